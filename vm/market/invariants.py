"""market invariants: escrow is fully backed, no lease outlives its due time unnoticed, and
every index, total, queue, count and tally agrees with the records it is derived from."""

from __future__ import annotations

from collections import Counter

from vm.encoding import encode
from vm.market.escrow import get_due_ns
from vm.market.keeper import MarketKeeper
from vm.market.store import ESCROW, book_key, id_bytes, match_item
from vm.market.types import LeaseState, OrderState
from vm.store.cache import ReadStore


def escrow_backed(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """The escrow account holds exactly the open orders' deposits plus what open leases hold:
    their remaining escrow and their earnings not yet withdrawn."""
    denom = keeper.get_params(store).denom
    held = keeper.bank.get_balance(store, keeper.bank.module_address(ESCROW), denom)
    owed = keeper.escrow_owed(store)
    if held != owed:
        return f"escrow holds {held}{denom}; open orders and leases account for {owed}{denom}"
    return None


def leases_settled(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """No active lease is past its due time at the clock, unless the last block left a
    settlement backlog (then it waits, charged only to its due time, in the close queue);
    the queues hold exactly the open leases' due times, warnings and accept deadlines."""
    clock = keeper.get_clock(store)
    due: set[tuple[int, bytes]] = set()
    warnings: set[tuple[int, bytes]] = set()
    deadlines: set[tuple[int, bytes]] = set()
    for lease in keeper.iterate_leases(store):
        item = id_bytes(lease.id)
        if lease.state == LeaseState.ACTIVE:
            due_ns = get_due_ns(lease)
            if due_ns <= clock.time_ns and not clock.backlog:
                return f"lease {lease.id} is active at {clock.time_ns}, past its due time {due_ns}"
            due.add((due_ns, item))
            if lease.warn_ns:
                warnings.add((lease.warn_ns, item))
        elif lease.state == LeaseState.PENDING:
            deadlines.add((lease.accept_deadline, item))
    if set(keeper.close_queue.items(store)) != due:
        return "the close queue differs from the active leases' due times"
    if set(keeper.low_queue.items(store)) != warnings:
        return "the warning queue differs from the active leases' warning times"
    if set(keeper.accept_queue.items(store)) != deadlines:
        return "the accept queue differs from the pending leases' deadlines"
    return None


def offer_totals(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """Commitments, class totals and the book are what the offers and leases give."""
    committed: Counter[tuple[bytes, bytes]] = Counter()
    offered: Counter[bytes] = Counter()
    leased: Counter[bytes] = Counter()
    book: dict[bytes, bytes] = {}
    for offer in keeper.iterate_offers(store):
        key = offer.gpu_class.key()
        committed[offer.provider, key] += offer.commitment()
        offered[key] += offer.offered()
        if offer.free():
            book[book_key(offer)] = encode(offer)
    for lease in keeper.iterate_leases(store):
        if lease.state != LeaseState.CLOSED:
            leased[lease.gpu_class.key()] += lease.gpus
    stored = {(p, k): n for p, k, n in keeper.iterate_commitments(store)}
    if stored != {k: n for k, n in committed.items() if n}:
        return "commitments differ from the offers"
    stats = {s.gpu_class.key(): (s.offered, s.leased) for s in keeper.iterate_class_stats(store)}
    expected = {k: (offered[k], leased[k]) for k in offered.keys() | leased.keys() if offered[k] or leased[k]}
    if stats != expected:
        return "class totals differ from the offers and leases"
    if keeper.book_entries(store) != book:
        return "the book differs from the offers with free gpus (or holds other records)"
    booked = Counter(offer.gpu_class.key() for offer in keeper.iterate_offers(store) if offer.free())
    if any(keeper.booked_count(store, key) != count for key, count in booked.items()):
        return "a class's count of offers on the book differs from the book"
    if set(keeper.booked_classes(store, None)) != set(booked):
        return "the classes counted on the book differ from the book"
    return None


def orders_queued(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """Every open order waits in the match queue where its record says, with its record, and
    in the expiry queue if it expires; nothing else waits in them."""
    open_orders = [o for o in keeper.iterate_orders(store) if o.state == OrderState.OPEN]
    queued = set(keeper.match_queue.values(store))
    if queued != {(o.queued_height, match_item(o), encode(o)) for o in open_orders}:
        return (
            f"match queue holds {len(queued)} entries for {len(open_orders)} open orders (or other records)"
        )
    expiring = set(keeper.expiry_queue.items(store))
    if expiring != {(o.expires_ns, id_bytes(o.id)) for o in open_orders if o.expires_ns}:
        return "the expiry queue differs from the open orders' expiry times"
    return None


def prices_kept(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """Each priced class keeps the history points its price record numbers, and no other."""
    numbered: set[tuple[bytes, int]] = set()
    for class_key, found in keeper.iterate_references(store):
        numbered.update((class_key, number) for number in range(found.first, found.next))
    if set(keeper.iterate_price_history(store)) != numbered:
        return "the price history points differ from those the price records number"
    return None


def stakers_counted(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """The delegations counted for each delegator are those staking holds."""
    counts = Counter(delegation.delegator for delegation in keeper.staking.iterate_delegations(store))
    if dict(keeper.iterate_delegation_counts(store)) != dict(counts):
        return "the delegators' delegation counts differ from staking's delegations"
    return None


def records_tallied(keeper: MarketKeeper, store: ReadStore) -> str | None:
    """The tallies of offers, orders and leases by state are a recount of the records."""
    recounts = {
        b"offer": Counter(offer.state for offer in keeper.iterate_offers(store)),
        b"order": Counter(order.state for order in keeper.iterate_orders(store)),
        b"lease": Counter(lease.state for lease in keeper.iterate_leases(store)),
    }
    for kind, recount in recounts.items():
        if keeper.state_counts(store, kind) != dict(recount):
            return f"the {kind.decode()}s' tally by state differs from the {kind.decode()}s"
    return None
