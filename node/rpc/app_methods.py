"""Application queries over JSON-RPC: ``abci_query`` and named shortcuts."""

from __future__ import annotations

import json
from typing import Any

from node import services
from node.rpc import present
from node.rpc.errors import INVALID_PARAMS, NOT_FOUND, QUERY_FAILED, RPCError
from node.rpc.methods import Call, decode_tx_param
from vm.errors import InvalidTx
from vm.market.msgs import validate_gpu_class
from vm.market.types import GpuClass

NOT_FOUND_CODE = 38  # the sdk codespace's "not found"


async def abci_query(
    ctx: Call, path: str, data: str = "", height: int = 0, prove: bool = False
) -> dict[str, Any]:
    """Query app state: "/store" with a hex key (optionally with a Merkle proof), a module path,
    or a gRPC path with a protobuf request (the node answers the tx and block services itself)."""
    try:
        raw = bytes.fromhex(data.removeprefix("0x"))
    except ValueError:
        raise RPCError(INVALID_PARAMS, "data must be hex") from None
    if services.serves(path):
        result = await services.query(ctx.node, path, raw, height, prove)
    else:
        result = ctx.node.app.query(path, raw, height, prove)
    response: dict[str, Any] = {
        "code": result.code,
        "log": result.log,
        "info": "",
        "index": "0",
        "key": present.b64(result.key),
        "value": present.b64(result.value),
        "proofOps": None,
        "height": str(result.height),
        "codespace": result.codespace,
    }
    if result.proof:
        response["proofOps"] = {
            "ops": [
                {
                    "type": "depind:smt",
                    "key": present.b64(result.key),
                    "data": present.b64(result.proof),
                }
            ]
        }
    return {"response": response}


def run_query(ctx: Call, path: str, request: dict[str, Any], height: int = 0) -> Any:
    """A module path's JSON answer at ``height`` (0: the latest), with the height it was read at."""
    result = ctx.node.app.query(path, json.dumps(request).encode(), height, False)
    if result.code == NOT_FOUND_CODE and result.codespace == "sdk":
        raise RPCError(NOT_FOUND, result.log)
    if result.code != 0:
        raise RPCError(QUERY_FAILED, f"{result.codespace} code {result.code}: {result.log}")
    answer = json.loads(result.value)
    if isinstance(answer, dict):
        answer["height"] = str(result.height)
    return answer


async def account(ctx: Call, address: str) -> Any:
    """Account number, sequence and public key of an address."""
    return run_query(ctx, "/auth/account", {"address": address})


async def balances(ctx: Call, address: str, denom: str | None = None) -> Any:
    """Balances of an address (one denom if given)."""
    request = {"address": address} if denom is None else {"address": address, "denom": denom}
    return run_query(ctx, "/bank/balances", request)


async def supply(ctx: Call) -> Any:
    """Total supply of every denom."""
    return run_query(ctx, "/bank/supply", {})


async def provider(ctx: Call, owner: str) -> Any:
    """A GPU provider by owner address."""
    return run_query(ctx, "/provider/provider", {"owner": owner})


async def providers(ctx: Call, limit: int = 100, next_key: str = "") -> Any:
    """GPU providers in owner order, ``limit`` per page; pass ``next_key`` to continue."""
    return run_query(ctx, "/provider/providers", {"limit": limit, "next_key": next_key})


async def offers(
    ctx: Call,
    provider: str = "",
    gpu_model: str = "",
    state: str = "",
    limit: int = 100,
    next_key: str = "",
    region: str = "",
    max_price: int = 0,
) -> Any:
    """GPU market offers in id order, filtered by ``provider``, ``gpu_model``, ``state``
    (active, paused, closed), the provider's ``region`` and ``max_price`` (per GPU-hour now;
    0: any), ``limit`` per page; pass ``next_key`` to continue."""
    request = {"provider": provider, "gpu_model": gpu_model, "state": state, "region": region}
    paging = {"max_price": max_price, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/market/offers", request | paging)


async def offer(ctx: Call, id: int) -> Any:
    """A GPU market offer by id, with its price per GPU-hour now."""
    return run_query(ctx, "/market/offer", {"id": id})


async def orders(
    ctx: Call, requester: str = "", state: str = "", limit: int = 100, next_key: str = ""
) -> Any:
    """GPU market orders in id order, filtered by ``requester`` and ``state`` (open, matched,
    cancelled, expired), ``limit`` per page; pass ``next_key`` to continue."""
    request = {"requester": requester, "state": state, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/market/orders", request)


async def order(ctx: Call, id: int) -> Any:
    """A GPU market order by id."""
    return run_query(ctx, "/market/order", {"id": id})


async def leases(
    ctx: Call,
    provider: str = "",
    requester: str = "",
    state: str = "",
    limit: int = 100,
    next_key: str = "",
) -> Any:
    """GPU leases in id order, filtered by ``provider``, ``requester`` and ``state`` (pending,
    active, closed), each with its escrow now; ``limit`` per page, ``next_key`` to continue."""
    request = {"provider": provider, "requester": requester, "state": state}
    return run_query(ctx, "/market/leases", request | {"limit": limit, "next_key": next_key})


async def lease(ctx: Call, id: int) -> Any:
    """A GPU lease by id, with its escrow exact at the last block's time (null once closed)."""
    return run_query(ctx, "/market/lease", {"id": id})


async def price_index(ctx: Call, model: str, memory_mib: int, compute_capability: str) -> Any:
    """A GPU class's reference price per GPU-hour and its history, oldest first."""
    try:
        validate_gpu_class(GpuClass(model, max(memory_mib, 0), compute_capability))
    except InvalidTx as error:
        raise RPCError(INVALID_PARAMS, error.detail) from None
    request = {"model": model, "memory_mib": memory_mib, "compute_capability": compute_capability}
    return run_query(ctx, "/market/price_index", request)


async def market_summary(ctx: Call, limit: int = 100, next_key: str = "") -> Any:
    """GPU market offers, orders and leases by state, and the GPU classes with GPUs offered or
    leased (each with its reference price now) in class-key order, ``limit`` per page; pass
    ``next_key`` to continue."""
    return run_query(ctx, "/market/summary", {"limit": limit, "next_key": next_key})


async def compute_summary(ctx: Call) -> Any:
    """Compute jobs by state, the work units verified, fraud proofs, attestation disputes by
    outcome, availability challenges and the slashes the compute module caused, by reason."""
    return run_query(ctx, "/compute/summary", {})


async def summary(ctx: Call) -> Any:
    """The market's, compute's and slashing's summaries read at one height (the market's first
    page of GPU classes): what an overview page shows."""
    market = run_query(ctx, "/market/summary", {})
    height = market.pop("height")
    sections = {"market": market}
    for name in ("compute", "slashing"):
        sections[name] = run_query(ctx, f"/{name}/summary", {}, int(height))
        del sections[name]["height"]
    return {"height": height} | sections


async def jobs(
    ctx: Call,
    lease_id: int = 0,
    provider: str = "",
    requester: str = "",
    state: str = "",
    limit: int = 100,
    next_key: str = "",
) -> Any:
    """Compute jobs in id order, filtered by ``lease_id``, ``provider``, ``requester`` and
    ``state`` (pending, committed, verifying, valid, invalid, provider_fault, unverified);
    ``limit`` per page, ``next_key`` to continue."""
    request: dict[str, Any] = {"provider": provider, "requester": requester, "state": state}
    if lease_id:
        request["lease_id"] = lease_id
    return run_query(ctx, "/compute/jobs", request | {"limit": limit, "next_key": next_key})


async def job(ctx: Call, id: int) -> Any:
    """A compute job by id, with its result, committee and fraud record."""
    return run_query(ctx, "/compute/job", {"id": id})


async def attestations(ctx: Call, job_id: int) -> Any:
    """A compute job's attestations, in member address order."""
    return run_query(ctx, "/compute/attestations", {"job_id": job_id})


async def verdict(ctx: Call, job_id: int) -> Any:
    """Where a compute job's verification stands: its state, whether final, the valid and
    total committee power, and any fraud record."""
    return run_query(ctx, "/compute/verdict", {"job_id": job_id})


async def provider_stats(ctx: Call, provider: str) -> Any:
    """A provider's verified compute jobs, work units and known energy."""
    return run_query(ctx, "/compute/provider_stats", {"provider": provider})


async def posted_chunks(ctx: Call, job_id: int) -> Any:
    """The chunks a compute job's provider posted to answer its availability challenge, with
    their bytes in hex, in the challenge's order (none while no answer was posted)."""
    return run_query(ctx, "/compute/posted_chunks", {"job_id": job_id})


async def capacity(ctx: Call, provider: str) -> Any:
    """A provider's capacity claim, its measured capacity (what matching reads: multiply-adds
    per second) and where its capacity challenges stand."""
    return run_query(ctx, "/compute/capacity", {"provider": provider})


async def inflation(ctx: Call) -> Any:
    """The current annual inflation rate (x/mint), as LegacyDec text."""
    return run_query(ctx, "/mint/inflation", {})


async def annual_provisions(ctx: Call) -> Any:
    """Coins minted per year at the current inflation rate (x/mint), as LegacyDec text."""
    return run_query(ctx, "/mint/annual_provisions", {})


async def validators_staking(ctx: Call, status: str = "", limit: int = 100, next_key: str = "") -> Any:
    """Staking validators in operator order, ``limit`` per page (all statuses, or one
    ``BOND_STATUS_*``); pass ``next_key`` to get the next page."""
    request = {"status": status, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/staking/validators", request)


async def validator_staking(ctx: Call, address: str = "", cons_address: str = "") -> Any:
    """A staking validator by operator ``address``, or by ``cons_address`` (hex, as ``status``)."""
    return run_query(ctx, "/staking/validator", {"address": address, "cons_address": cons_address})


async def delegations(
    ctx: Call, delegator: str = "", validator: str = "", limit: int = 100, next_key: str = ""
) -> Any:
    """A delegator's delegations, a validator's, or with both the one between them."""
    request = {"delegator": delegator, "validator": validator, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/staking/delegations", request)


async def unbonding_delegations(
    ctx: Call, delegator: str = "", validator: str = "", limit: int = 100, next_key: str = ""
) -> Any:
    """A delegator's unbonding delegations, a validator's, or with both the one between them."""
    request = {"delegator": delegator, "validator": validator, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/staking/unbonding_delegations", request)


async def redelegations(
    ctx: Call,
    delegator: str = "",
    src_validator: str = "",
    dst_validator: str = "",
    limit: int = 100,
    next_key: str = "",
) -> Any:
    """A delegator's redelegations, or a source validator's; filtered by the validators given."""
    request = {
        "delegator": delegator,
        "src_validator": src_validator,
        "dst_validator": dst_validator,
        "limit": limit,
        "next_key": next_key,
    }
    return run_query(ctx, "/staking/redelegations", request)


async def staking_pool(ctx: Call) -> Any:
    """Tokens in the bonded and not-bonded staking pools."""
    return run_query(ctx, "/staking/pool", {})


async def delegation_rewards(ctx: Call, delegator: str, validator: str = "") -> Any:
    """A delegator's rewards, per validator and in total (x/distribution), or with
    ``validator`` one delegation's; amounts as LegacyDec text."""
    request = {"delegator": delegator} if not validator else {"delegator": delegator, "validator": validator}
    return run_query(ctx, "/distribution/rewards", request)


async def validator_commission(ctx: Call, validator: str) -> Any:
    """A validator's accumulated commission, not yet withdrawn; amounts as LegacyDec text."""
    return run_query(ctx, "/distribution/commission", {"validator": validator})


async def validator_slashes(ctx: Call, validator: str, limit: int = 100, next_key: str = "") -> Any:
    """A validator's slash events (x/distribution), oldest first: height, period and fraction
    of its tokens; ``limit`` per page, ``next_key`` to continue."""
    request = {"validator": validator, "limit": limit, "next_key": next_key}
    return run_query(ctx, "/distribution/slashes", request)


async def community_pool(ctx: Call) -> Any:
    """The community pool; amounts as LegacyDec text."""
    return run_query(ctx, "/distribution/community_pool", {})


async def signing_info(ctx: Call, cons_address: str) -> Any:
    """A validator's liveness and jail record (x/slashing) by consensus address: bech32
    (``depinvalcons1...``) or hex (as ``status`` and ``validators`` show it)."""
    return run_query(ctx, "/slashing/signing_info", {"cons_address": cons_address})


async def upgrade_plan(ctx: Call) -> Any:
    """The software upgrade scheduled (x/upgrade), if any: its name, height and info."""
    return run_query(ctx, "/upgrade/current_plan", {})


async def params(ctx: Call, module: str | None = None) -> Any:
    """Module parameters (all modules if ``module`` is omitted)."""
    return run_query(ctx, "/params", {} if module is None else {"module": module})


async def invariants(ctx: Call) -> Any:
    """The registered invariants (supply, staking pools, escrow, ...) broken in the latest
    state, as ``<module>/<name>: <what is wrong>``; none on a healthy chain. It reads every
    module's whole state: a tool for operators and tests, not for a public endpoint."""
    return run_query(ctx, "/invariants", {})


async def simulate(ctx: Call, tx: str) -> Any:
    """Gas a tx would use now and its result ``data`` (its messages' responses); signature
    and fee are not checked."""
    raw = decode_tx_param(tx)
    result = ctx.node.app.query("/simulate", raw, 0, False)
    return json.loads(result.value)
