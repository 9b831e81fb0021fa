"""Chain methods, with CometBFT's names, parameters and result shapes."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import trio

from consensus.tendermint.messages import block_id as compute_block_id
from consensus.types import APP_VERSION, BLOCK_PROTOCOL, Block, BlockID
from node import query as event_query
from node.config import RPCConfig
from node.rpc import present
from node.rpc.errors import (
    HEIGHT_UNAVAILABLE,
    INVALID_PARAMS,
    NOT_FOUND,
    RESPONSE_TOO_LARGE,
    SUBSCRIPTION,
    TIMEOUT,
    RPCError,
)
from node.rpc.proofs import TxTree
from node.storage.records import BlockResults, TxLocation

if TYPE_CHECKING:
    from node.events import EventBus, Subscription
    from node.node import Node
    from node.storage.chain import ChainStore

T = TypeVar("T")

VERSION = "0.1.0"
COMETBFT_VERSION = "0.38.17"  # the CometBFT release whose RPC shapes this node follows
P2P_PROTOCOL = "8"  # CometBFT 0.38's p2p protocol version
COMETBFT_CHANNELS = "40202122233038606100"  # CometBFT 0.38's reactor channels, as its node info lists them
MAX_PER_PAGE = 100
HASH_BYTES = 32  # SHA-256: block and tx hashes
MAX_BLOCKCHAIN_RANGE = 20
MAX_BLOCK_EVENTS_RANGE = 100
MAX_SEARCH_COUNT = 10_000  # tx_search counts this many matches at most; later pages are refused
MAX_SEARCH_READS = 100_000  # steps through the index one tx_search may take
# Handlers run on the consensus task's thread: a long loop pauses after this many items so
# that consensus (and other requests) run in between. A worker thread would not help: it
# would contend for the GIL with block execution itself.
CHECKPOINT_EVERY = 256


@dataclass
class Session:
    """One WebSocket connection: its subscriptions are delivered by the server."""

    client: str
    started: trio.MemorySendChannel[Subscription]


@dataclass
class Call:
    node: Node
    session: Session | None = None
    response_budget: int = RPCConfig.max_response_bytes  # bytes this request's answer may take

    @property
    def bus(self) -> EventBus:
        return self.node.bus


# -- helpers --------------------------------------------------------------------


def resolve_height(ctx: Call, height: int | None) -> int:
    latest, base = ctx.node.chain.height(), ctx.node.chain.base()
    if height is None or height == 0:
        if latest == 0:
            raise RPCError(HEIGHT_UNAVAILABLE, "no blocks yet")
        return latest
    if height < 0:
        raise RPCError(INVALID_PARAMS, "height must be greater than 0")
    if height > latest:
        raise RPCError(
            HEIGHT_UNAVAILABLE,
            f"height {height} must be less than or equal to the current blockchain height {latest}",
        )
    if height < base:
        raise RPCError(HEIGHT_UNAVAILABLE, f"height {height} is below the lowest stored height {base}")
    return height


def load_block(ctx: Call, height: int) -> Block:
    block = ctx.node.chain.load_block(height)
    if block is None:
        raise RPCError(NOT_FOUND, f"block {height} not found")
    return block


def decode_tx_param(tx: str) -> bytes:
    """Txs travel base64-encoded, as in CometBFT's JSON-RPC."""
    try:
        return base64.b64decode(tx, validate=True)
    except (binascii.Error, ValueError):
        raise RPCError(INVALID_PARAMS, "tx must be base64") from None


def decode_hash(text: str) -> bytes:
    """A 32-byte hash in hex (64 digits, "0x" optional), or in base64: CometBFT's JSON form of
    bytes, in which cosmjs sends ``tx``'s hash. The lengths tell the two apart."""
    digits = text.removeprefix("0x")
    is_hex = len(digits) == 2 * HASH_BYTES
    try:
        raw = bytes.fromhex(digits) if is_hex else base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RPCError(INVALID_PARAMS, "hash must be hex or base64") from None
    if len(raw) != HASH_BYTES:
        raise RPCError(INVALID_PARAMS, f"hash must be {HASH_BYTES} bytes")
    return raw


def page_size(per_page: int | None) -> int:
    return min(max(per_page or 30, 1), MAX_PER_PAGE)


def check_page(number: int, size: int, total: int) -> None:
    pages = max((total + size - 1) // size, 1)
    if not 1 <= number <= pages:
        raise RPCError(INVALID_PARAMS, f"page should be within [1, {pages}] range, given {number}")


def page_bounds(page: int | None, per_page: int | None, total: int) -> tuple[int, int]:
    size = page_size(per_page)
    check_page(page or 1, size, total)
    return ((page or 1) - 1) * size, size


async def present_within(
    items: Sequence[T], present_one: Callable[[T], Any], budget: int, what: str
) -> list[Any]:
    """Each item presented, CHECKPOINT_EVERY at a time with a pause between; refused as soon
    as their JSON passes ``budget`` bytes, before the rest is built."""
    presented: list[Any] = []
    size = 0
    for start in range(0, len(items), CHECKPOINT_EVERY):
        await trio.lowlevel.checkpoint()
        chunk = [present_one(item) for item in items[start : start + CHECKPOINT_EVERY]]
        size += len(msgspec.json.encode(chunk))
        if size > budget:
            raise RPCError(RESPONSE_TOO_LARGE, f"{what} take more than {budget} bytes")
        presented.extend(chunk)
    return presented


# -- info -----------------------------------------------------------------------


async def health(ctx: Call) -> dict[str, Any]:
    """Node liveness: an empty result."""
    return {}


async def status(ctx: Call) -> dict[str, Any]:
    """Node info, latest and earliest blocks, and this node's validator key."""
    return {
        "node_info": node_info(ctx.node),
        "sync_info": sync_info(ctx.node),
        "validator_info": validator_info(ctx.node),
    }


def node_info(node: Node) -> dict[str, Any]:
    """CometBFT's ``DefaultNodeInfo``. ``version`` names the CometBFT release whose RPC this
    node speaks: cosmjs picks its decoder by it (0.38.x: Comet38Client); depind's own
    version is in ``abci_info``."""
    node_id, listen_addr, peer_id = node_address(node)
    other = {"tx_index": "on", "rpc_address": f"tcp://{node.config.rpc.laddr}"}
    if peer_id:
        other["peer_id"] = peer_id
    return {
        "protocol_version": {"p2p": P2P_PROTOCOL, "block": str(BLOCK_PROTOCOL), "app": str(APP_VERSION)},
        "id": node_id,
        "listen_addr": listen_addr,
        "network": node.chain_id,
        "version": COMETBFT_VERSION,
        "channels": COMETBFT_CHANNELS,
        "moniker": node.config.moniker,
        "other": other,
    }


def sync_info(node: Node) -> dict[str, Any]:
    """As CometBFT: the latest and earliest stored blocks' hashes, header app hashes and times.
    Before the first block there are none; the latest app hash is then the genesis state's."""
    latest = node.chain.height()
    block = node.chain.load_block(latest) if latest else None
    earliest = node.chain.load_block(node.chain.base()) if latest else None
    return {
        "latest_block_hash": present.hex_upper(block.hash()) if block else "",
        "latest_app_hash": present.hex_upper(block.header.app_hash if block else node.app.info()[1]),
        "latest_block_height": str(latest),
        "latest_block_time": present.rfc3339(block.header.time_ns if block else 0),
        "earliest_block_hash": present.hex_upper(earliest.hash()) if earliest else "",
        "earliest_app_hash": present.hex_upper(earliest.header.app_hash) if earliest else "",
        "earliest_block_height": str(earliest.header.height if earliest else 0),
        "earliest_block_time": present.rfc3339(earliest.header.time_ns if earliest else 0),
        "catching_up": is_catching_up(node),
    }


def validator_info(node: Node) -> dict[str, Any]:
    """This node's consensus key, and its power in the set of the next height (0: not in it)."""
    validators = node.validators_at(max(node.chain.height() + 1, node.genesis.initial_height))
    me = (validators or node.validators).get(node.pv.address)
    return {
        "address": present.hex_upper(node.pv.address),
        "pub_key": {"type": "tendermint/PubKeyEd25519", "value": present.b64(node.pv.pub_key)},
        "voting_power": str(me[1].voting_power if me else 0),
    }


def node_address(node: Node) -> tuple[str, str, str]:
    """(id, listen address, libp2p peer id). A networked node's id is the hex of its libp2p peer
    id's bytes (clients such as cosmjs read the id as hex), its address the p2p listen address;
    a single-validator node, which has no p2p host, names its validator address and RPC."""
    if node.network is not None:
        from libp2p.peer.id import ID  # loaded already: the node runs libp2p

        peer_id = str(node.network.p2p.peer_id)
        return ID.from_base58(peer_id).to_bytes().hex(), node.config.p2p.listen_addr, peer_id
    return present.hex_upper(node.pv.address).lower(), node.config.rpc.laddr, ""


def is_catching_up(node: Node) -> bool:
    """Block sync is fetching committed blocks from peers that are ahead."""
    engine = node.consensus
    return engine is not None and engine.syncing


async def genesis(ctx: Call) -> dict[str, Any]:
    """The genesis document, written as CometBFT writes its own."""
    return {"genesis": present.genesis_doc(ctx.node.genesis)}


async def consensus_params(ctx: Call, height: int | None = None) -> dict[str, Any]:
    """The consensus params in force at ``height`` (latest if omitted). Only the params in
    state now are kept, so an older height is answered when its header's consensus hash
    shows the same params were in force then."""
    h = resolve_height(ctx, height)
    params = ctx.node.app.consensus_params()
    if load_block(ctx, h).header.consensus_hash != params.hash():
        raise RPCError(NOT_FOUND, f"consensus params of height {h} are no longer kept")
    return {"block_height": str(h), "consensus_params": present.consensus_params(params)}


async def abci_info(ctx: Call) -> dict[str, Any]:
    """The application's last committed height and app hash."""
    height, app_hash = ctx.node.app.info()
    return {
        "response": {
            "data": "depind",
            "version": VERSION,
            "app_version": "1",
            "last_block_height": str(height),
            "last_block_app_hash": present.b64(app_hash),
        }
    }


# -- blocks ---------------------------------------------------------------------


def block_id_of(ctx: Call, height: int, found: Block) -> BlockID:
    """The id its commit names; computed as consensus computes it if no commit is stored."""
    return ctx.node.block_id(height) or compute_block_id(found)


async def block(ctx: Call, height: int | None = None) -> dict[str, Any]:
    """The block at ``height`` (latest if omitted)."""
    h = resolve_height(ctx, height)
    found = load_block(ctx, h)
    return {"block_id": present.block_id(block_id_of(ctx, h, found)), "block": present.block(found)}


async def block_by_hash(ctx: Call, hash: str) -> dict[str, Any]:
    """The block with this hash (hex)."""
    h = ctx.node.chain.height_of_hash(decode_hash(hash))
    if h is None:
        raise RPCError(NOT_FOUND, f"block {hash} not found")
    return await block(ctx, h)


async def block_results(ctx: Call, height: int | None = None) -> dict[str, Any]:
    """Tx results, events and app hash of the block at ``height``."""
    h = resolve_height(ctx, height)
    results = load_results(ctx, h)
    what = f'the tx results of block {h} (page through them with tx_search "tx.height={h}")'
    txs_results = await present_within(results.txs_results, present.tx_result, ctx.response_budget, what)
    return present.block_results(results, txs_results)


async def header(ctx: Call, height: int | None = None) -> dict[str, Any]:
    """The header of the block at ``height``."""
    return {"header": present.header(load_block(ctx, resolve_height(ctx, height)).header)}


async def commit(ctx: Call, height: int | None = None) -> dict[str, Any]:
    """The signed header at ``height``. As CometBFT: below the latest height, the commit the
    next block carries as its last commit (``canonical``: every precommit that arrived before
    that block, late ones too); at the latest, the commit this node saw when it decided."""
    h = resolve_height(ctx, height)
    found = load_block(ctx, h)
    following = ctx.node.chain.load_block(h + 1) if h < ctx.node.chain.height() else None
    if following is not None and following.last_commit is not None:
        signed, canonical = following.last_commit, True
    else:
        seen = ctx.node.chain.load_commit(h)
        if seen is None:
            raise RPCError(NOT_FOUND, f"commit of block {h} not found")
        signed, canonical = seen, False
    return {
        "signed_header": {"header": present.header(found.header), "commit": present.commit(signed)},
        "canonical": canonical,
    }


async def blockchain(ctx: Call, minHeight: int | None = None, maxHeight: int | None = None) -> dict[str, Any]:
    """Block metas from ``maxHeight`` down to ``minHeight`` (at most 20)."""
    metas = []
    for h in heights_down(ctx, minHeight, maxHeight, MAX_BLOCKCHAIN_RANGE):
        found = load_block(ctx, h)
        metas.append(present.block_meta(found, block_id_of(ctx, h, found), ctx.node.block_size(found)))
        await trio.lowlevel.checkpoint()  # each block is decoded and re-encoded: milliseconds when full
    return {"last_height": str(ctx.node.chain.height()), "block_metas": metas}


async def block_events(
    ctx: Call, minHeight: int | None = None, maxHeight: int | None = None
) -> dict[str, Any]:
    """The finalize-block events (mint, rewards, verdicts, slashes: the blocks' own work) of
    the blocks from ``maxHeight`` down to ``minHeight`` (at most 100), without their txs'
    results, which make ``block_results`` megabytes on a busy chain."""
    blocks = []
    for h in heights_down(ctx, minHeight, maxHeight, MAX_BLOCK_EVENTS_RANGE):
        events = present.events(load_results(ctx, h).finalize_block_events)
        blocks.append({"height": str(h), "finalize_block_events": events})
        await trio.lowlevel.checkpoint()
    return {"last_height": str(ctx.node.chain.height()), "blocks": blocks}


def heights_down(ctx: Call, minHeight: int | None, maxHeight: int | None, most: int) -> range:
    """From ``maxHeight`` (the latest if not given) down to ``minHeight``, within the stored
    blocks and at most ``most`` of them, as CometBFT's ``blockchain`` bounds its range."""
    latest, base = ctx.node.chain.height(), ctx.node.chain.base()
    high = min(maxHeight or latest, latest)
    low = max(minHeight or 1, base, high - most + 1)
    if minHeight is not None and maxHeight is not None and minHeight > maxHeight:
        raise RPCError(INVALID_PARAMS, f"min height {minHeight} can't be greater than max height {maxHeight}")
    return range(high, low - 1, -1)


async def validators(
    ctx: Call, height: int | None = None, page: int | None = None, per_page: int | None = None
) -> dict[str, Any]:
    """The validator set at ``height`` (paginated)."""
    h = resolve_height(ctx, height)
    found = ctx.node.validators_at(h)
    if found is None:
        raise RPCError(NOT_FOUND, f"validator set of height {h} not found")
    all_validators = found.validators
    start, size = page_bounds(page, per_page, len(all_validators))
    chosen = all_validators[start : start + size]
    return {
        "block_height": str(h),
        "validators": [present.validator(v) for v in chosen],
        "count": str(len(chosen)),
        "total": str(len(all_validators)),
    }


# -- txs ------------------------------------------------------------------------


def load_results(ctx: Call, height: int) -> BlockResults:
    results = ctx.node.chain.load_results(height)
    if results is None:
        raise RPCError(NOT_FOUND, f"results for block {height} not found")
    return results


@dataclass(frozen=True)
class TxBlock:
    """A block and its results, read once to present several of its txs."""

    height: int
    block: Block
    results: BlockResults
    tree: TxTree | None  # when proofs are asked for

    def tx_json(self, index: int) -> dict[str, Any]:
        proof = None if self.tree is None else self.tree.prove(index)
        tx_bytes = self.block.data.txs[index]
        result = present.tx_result(self.results.txs_results[index])
        return present.tx(tx_bytes, self.height, index, result, proof)


async def load_tx_block(ctx: Call, height: int, prove: bool) -> TxBlock:
    """Pausing after the reads, and after the hashing for proofs: each takes milliseconds
    for a full block."""
    found = load_block(ctx, height)
    results = load_results(ctx, height)
    await trio.lowlevel.checkpoint()
    tree = TxTree(found.data.txs) if prove else None
    await trio.lowlevel.checkpoint()
    return TxBlock(height, found, results, tree)


async def tx(ctx: Call, hash: str, prove: bool = False) -> dict[str, Any]:
    """A committed tx by hash (hex), with its result; ``prove`` adds its Merkle proof."""
    location = ctx.node.chain.locate_tx(decode_hash(hash))
    if location is None:
        raise RPCError(NOT_FOUND, f"tx ({hash}) not found")
    return (await load_tx_block(ctx, location.height, prove)).tx_json(location.index)


async def tx_search(
    ctx: Call,
    query: str,
    prove: bool = False,
    page: int | None = None,
    per_page: int | None = None,
    order_by: str = "asc",
) -> dict[str, Any]:
    """Committed txs whose events match ``query`` (e.g. "transfer.recipient='depin1...'")."""
    if order_by not in ("asc", "desc"):
        raise RPCError(INVALID_PARAMS, "order_by must be asc or desc")
    try:
        parsed = event_query.parse(query)
    except event_query.QueryError as exc:
        raise RPCError(INVALID_PARAMS, str(exc)) from None
    size, number = page_size(per_page), page or 1
    check_page(number, size, MAX_SEARCH_COUNT)  # a page past the count limit is refused unread
    newest_first = order_by == "desc"
    matches = intersect(search_sources(ctx.node.chain, parsed, newest_first), newest_first)
    chosen, total = await scan_page(matches, (number - 1) * size, size)
    check_page(number, size, total)
    return {"txs": await txs_json(ctx, chosen, prove), "total_count": str(total)}


def search_sources(chain: ChainStore, query: event_query.Query, reverse: bool) -> list[Iterator[TxLocation]]:
    """One index read per condition, each in the order asked; tx.height conditions bound them all."""
    low, high = 1, chain.height()
    for condition in query.conditions:
        if condition.key == "tx.height" and isinstance(condition.value, int):
            low, high = _narrow(condition.op, condition.value, low, high)
        elif condition.op != "=":
            raise RPCError(INVALID_PARAMS, f"tx_search supports '=' on event attributes, not {condition.op}")
    if low > high:
        return [iter(())]
    sources: list[Iterator[TxLocation]] = []
    for condition in query.conditions:
        if condition.key == "tx.height" and isinstance(condition.value, int):
            continue
        if condition.key == "tx.hash":
            location = chain.locate_tx(decode_hash(str(condition.value)))
            in_range = [location] if location is not None and low <= location.height <= high else []
            sources.append(iter(in_range))
        else:
            sources.append(chain.txs_with_attribute(condition.key, str(condition.value), low, high, reverse))
    return sources or [chain.txs_in_heights(low, high, reverse)]


def _narrow(op: str, value: int, low: int, high: int) -> tuple[int, int]:
    bounds = {
        "=": (value, value),
        ">": (value + 1, high),
        ">=": (value, high),
        "<": (low, value - 1),
        "<=": (low, value),
    }
    if op not in bounds:
        raise RPCError(INVALID_PARAMS, f"tx.height does not support {op}")
    new_low, new_high = bounds[op]
    return max(low, new_low), min(high, new_high)


def intersect(sources: list[Iterator[TxLocation]], reverse: bool) -> Iterator[TxLocation | None]:
    """The locations found in every source, each source sorted the same way. Yields once per
    step: the location when all sources agree on it, None when one of them had to advance,
    so that the caller can bound and pace the index reads."""
    sign = -1 if reverse else 1
    heads: list[TxLocation] = []
    for source in sources:
        head = next(source, None)
        if head is None:
            return
        heads.append(head)
    while True:
        positions = [(sign * head.height, sign * head.index) for head in heads]
        behind = positions.index(min(positions))
        if positions[behind] == max(positions):
            yield heads[0]
            advancing = range(len(sources))
        else:
            yield None
            advancing = range(behind, behind + 1)
        for i in advancing:
            head = next(sources[i], None)
            if head is None:
                return
            heads[i] = head


async def scan_page(
    matches: Iterator[TxLocation | None], first: int, size: int
) -> tuple[list[TxLocation], int]:
    """Matches ``first`` to ``first + size`` and how many there are, up to MAX_SEARCH_COUNT."""
    chosen: list[TxLocation] = []
    count = 0
    for step, found in enumerate(matches, 1):
        if step > MAX_SEARCH_READS:
            raise RPCError(
                INVALID_PARAMS,
                f"query steps through more than {MAX_SEARCH_READS} index entries; "
                "narrow it (e.g. with tx.height)",
            )
        if step % CHECKPOINT_EVERY == 0:
            await trio.lowlevel.checkpoint()
        if found is None:
            continue
        if first <= count < first + size:
            chosen.append(found)
        count += 1
        if count == MAX_SEARCH_COUNT:
            break
    return chosen, count


async def txs_json(ctx: Call, locations: list[TxLocation], prove: bool) -> list[dict[str, Any]]:
    """Each tx with its result; a page is in height order, so each block is read once."""
    presented = []
    loaded: TxBlock | None = None
    for location in locations:
        if loaded is None or loaded.height != location.height:
            loaded = await load_tx_block(ctx, location.height, prove)
        presented.append(loaded.tx_json(location.index))
    return presented


# -- mempool --------------------------------------------------------------------


async def broadcast_tx_async(ctx: Call, tx: str) -> dict[str, Any]:
    """Submit a tx and return its hash at once, without the CheckTx verdict."""
    raw = decode_tx_param(tx)
    await ctx.node.submit_tx(raw)
    return present.broadcast_result(raw)


async def broadcast_tx_sync(ctx: Call, tx: str) -> dict[str, Any]:
    """Submit a tx and return the CheckTx verdict (code 0: admitted to the mempool)."""
    raw = decode_tx_param(tx)
    checked = await ctx.node.submit_tx(raw)
    return present.broadcast_result(raw, checked.code, checked.codespace, checked.log)


async def broadcast_tx_commit(ctx: Call, tx: str) -> dict[str, Any]:
    """Submit a tx and wait until it is committed in a block (or the timeout passes)."""
    raw = decode_tx_param(tx)
    tx_hash = hashlib.sha256(raw).digest()
    waiter = ctx.bus.tx_waiter(tx_hash)
    try:
        checked = await ctx.node.submit_tx(raw)
        answer = {"check_tx": present.check_tx_result(checked), "tx_result": {}, "hash": present.tx_hash(raw)}
        if checked.code != 0:
            return answer | {"height": "0"}
        with trio.move_on_after(ctx.node.config.rpc.timeout_broadcast_tx_commit_s):
            committed = await waiter.receive()
            result = present.tx_result(committed.record)
            return answer | {"tx_result": result, "height": str(committed.height)}
        raise RPCError(
            TIMEOUT, "timed out waiting for the tx to be committed; it may still be included later"
        )
    finally:
        ctx.bus.drop_tx_waiter(tx_hash, waiter)


async def check_tx(ctx: Call, tx: str) -> dict[str, Any]:
    """Run CheckTx without adding the tx to the mempool."""
    raw = decode_tx_param(tx)
    return present.check_tx_result(ctx.node.app.check_tx(raw, keep=False))


async def unconfirmed_txs(ctx: Call, limit: int | None = None) -> dict[str, Any]:
    """Up to ``limit`` (default 30, max 100) txs waiting in the mempool."""
    mempool = ctx.node.mempool
    txs = mempool.txs(min(max(limit or 30, 1), MAX_PER_PAGE))
    return {
        "n_txs": str(len(txs)),
        "total": str(mempool.size()),
        "total_bytes": str(mempool.size_bytes()),
        "txs": [present.b64(t) for t in txs],
    }


async def num_unconfirmed_txs(ctx: Call) -> dict[str, Any]:
    """How many txs wait in the mempool."""
    mempool = ctx.node.mempool
    return {
        "n_txs": str(mempool.size()),
        "total": str(mempool.size()),
        "total_bytes": str(mempool.size_bytes()),
        "txs": None,
    }


# -- subscriptions (WebSocket) ----------------------------------------------------


def _session(ctx: Call) -> Session:
    if ctx.session is None:
        raise RPCError(SUBSCRIPTION, "subscriptions need a WebSocket connection at /websocket")
    return ctx.session


async def subscribe(ctx: Call, query: str) -> dict[str, Any]:
    """Receive events matching ``query``, e.g. "tm.event='NewBlock'" or "tm.event='Tx'"."""
    from node.events import SubscriptionError

    session = _session(ctx)
    try:
        parsed = event_query.parse(query)
        subscription = ctx.bus.subscribe(session.client, parsed)
    except (event_query.QueryError, SubscriptionError) as exc:
        raise RPCError(SUBSCRIPTION, str(exc)) from None
    await session.started.send(subscription)
    return {}


async def unsubscribe(ctx: Call, query: str) -> dict[str, Any]:
    """Stop the subscription to ``query``."""
    if not ctx.bus.unsubscribe(_session(ctx).client, query):
        raise RPCError(SUBSCRIPTION, f"not subscribed to {query!r}")
    return {}


async def unsubscribe_all(ctx: Call) -> dict[str, Any]:
    """Stop every subscription of this connection."""
    ctx.bus.unsubscribe_all(_session(ctx).client)
    return {}
