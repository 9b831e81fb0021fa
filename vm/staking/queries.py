"""staking reads for queries: the pages behind Cosmos's ``cosmos.staking.v1beta1.Query``
services (vm/staking/services.py) and depind's JSON paths ``/staking/<name>``.

Both page through the store in key order with Cosmos's ``PageRequest`` rules
(vm/pagination.py). A page's key is the part of the store key after the fixed prefix:
an operator, a delegator, or two addresses (source and destination validator of a
redelegation; delegator and destination when paging a source validator's).

JSON answers are depind's own presentation (docs/rpc.md): Cosmos's REST shapes where
they fit, 64-bit integers as strings, LegacyDec values as decimal text, and the
completion *heights* that Cosmos's protobuf types have no field for. Their ``next_key``
is the page key in hex, empty on the last page.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from cosmpy.protos.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest, PageResponse

from vm import dec
from vm.errors import InvalidRequest, InvalidTx, NotFound
from vm.pagination import paginate
from vm.query_args import limit_arg, text_arg
from vm.staking.keeper import StakingKeeper
from vm.staking.store import NOT_BONDED_POOL
from vm.staking.types import (
    STATUS_NAMES,
    BondStatus,
    Delegation,
    Redelegation,
    RedelegationEntry,
    UnbondingDelegation,
    Validator,
    format_valoper,
    parse_valoper,
    tokens_from_shares,
)
from vm.store.cache import ReadStore
from vm.types import Address, format_address, parse_address

T = TypeVar("T")
Page = tuple[list[T], PageResponse]

ED25519_TYPE_URL = "/cosmos.crypto.ed25519.PubKey"
STATUSES = {name: status for status, name in STATUS_NAMES.items()}


class StatusError(InvalidTx):
    """A query failure as Cosmos's ``status.Errorf`` words it: the log is the message
    alone, and the sdk code names the gRPC status ("rpc error: code = NotFound desc =
    validator ... not found" once vm/app.py adds the prefix)."""

    @property
    def log(self) -> str:
        return self.detail


class NotFoundStatus(StatusError):
    code = NotFound.code
    title = NotFound.title


class InvalidArgumentStatus(StatusError):
    code = InvalidRequest.code
    title = InvalidRequest.title


# -- request fields ------------------------------------------------------------------------------


def parse_status(text: str) -> BondStatus | None:
    """A ``BOND_STATUS_*`` name, or None (every status) for an empty one."""
    if not text:
        return None
    status = STATUSES.get(text)
    if status is None:
        raise InvalidArgumentStatus(f"invalid validator status {text}")
    return status


def required_delegator(text: str) -> Address:
    if not text:
        raise InvalidArgumentStatus("delegator address cannot be empty")
    return parse_address(text, "delegator address")


def required_validator(text: str) -> Address:
    if not text:
        raise InvalidArgumentStatus("validator address cannot be empty")
    return parse_valoper(text)


# -- pages ---------------------------------------------------------------------------------------


def _page(items: Callable[[bytes], Iterator[T]], key: Callable[[T], bytes], page: PageRequest) -> Page[T]:
    return paginate(lambda start: ((key(item), item) for item in items(start)), page)


def validators_page(
    keeper: StakingKeeper, store: ReadStore, status: BondStatus | None, page: PageRequest
) -> Page[Validator]:
    """Validators in operator order; with a status, only those (limit, offset and total
    count matching validators, as Cosmos's filtered pagination does)."""

    def matching(start: bytes) -> Iterator[Validator]:
        for validator in keeper.iterate_validators(store, start):
            if status is None or validator.status == status:
                yield validator

    return _page(matching, lambda v: v.operator, page)


def delegator_delegations_page(
    keeper: StakingKeeper, store: ReadStore, delegator: Address, page: PageRequest
) -> Page[Delegation]:
    return _page(partial(keeper.delegations_of, store, delegator), lambda d: d.validator, page)


def validator_delegations_page(
    keeper: StakingKeeper, store: ReadStore, operator: Address, page: PageRequest
) -> Page[Delegation]:
    return _page(partial(keeper.validator_delegations, store, operator), lambda d: d.delegator, page)


def delegator_unbondings_page(
    keeper: StakingKeeper, store: ReadStore, delegator: Address, page: PageRequest
) -> Page[UnbondingDelegation]:
    return _page(partial(keeper.unbonding_delegations_of, store, delegator), lambda u: u.validator, page)


def validator_unbondings_page(
    keeper: StakingKeeper, store: ReadStore, operator: Address, page: PageRequest
) -> Page[UnbondingDelegation]:
    items = partial(keeper.iterate_unbonding_delegations_from, store, operator)
    return _page(items, lambda u: u.delegator, page)


def delegator_redelegations_page(
    keeper: StakingKeeper,
    store: ReadStore,
    delegator: Address,
    page: PageRequest,
    source: Address | None = None,
    destination: Address | None = None,
) -> Page[Redelegation]:
    """A delegator's redelegations by (source, destination); only those from ``source``
    and to ``destination`` where given."""

    def matching(start: bytes) -> Iterator[Redelegation]:
        for red in keeper.redelegations_of(store, delegator, max(start, source or b"")):
            if source is not None and red.validator_src != source:
                break  # keyed by source first: no later one comes from it either
            if destination is None or red.validator_dst == destination:
                yield red

    return _page(matching, lambda r: r.validator_src + r.validator_dst, page)


def source_redelegations_page(
    keeper: StakingKeeper,
    store: ReadStore,
    source: Address,
    page: PageRequest,
    destination: Address | None = None,
) -> Page[Redelegation]:
    """Redelegations away from ``source`` by (delegator, destination); only those to
    ``destination`` where given."""

    def matching(start: bytes) -> Iterator[Redelegation]:
        for red in keeper.iterate_redelegations_from(store, source, start):
            if destination is None or red.validator_dst == destination:
                yield red

    return _page(matching, lambda r: r.delegator + r.validator_dst, page)


# -- values derived for answers ------------------------------------------------------------------


def delegation_balance(keeper: StakingKeeper, store: ReadStore, delegation: Delegation) -> int:
    """What the delegation's shares are worth now, truncated (Cosmos's DelegationResponse)."""
    return dec.truncate_int(keeper.delegation_tokens(store, delegation.delegator, delegation.validator))


def redelegation_entry_balance(destination: Validator | None, entry: RedelegationEntry) -> int:
    """What an entry's destination shares are worth now, truncated (Cosmos's
    RedelegationEntryResponse.balance); nothing if the destination holds no shares."""
    if destination is None or destination.delegator_shares == 0:
        return 0
    return dec.truncate_int(tokens_from_shares(destination, entry.shares_dst))


def validator_by_cons_hex(keeper: StakingKeeper, store: ReadStore, text: str) -> Validator:
    """The validator of a consensus address in hex, as CometBFT's ``status`` shows it."""
    try:
        cons_address = bytes.fromhex(text)
    except ValueError:
        raise InvalidRequest(f"consensus address {text[:80]!r} is not hex") from None
    found = keeper.get_validator_by_cons_addr(store, cons_address)
    if found is None:
        raise NotFoundStatus(f"validator with consensus address {text.upper()} not found")
    return found


# -- JSON paths ----------------------------------------------------------------------------------


def query_validators(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    status = parse_status(text_arg(request, "status", ""))
    found, page = validators_page(keeper, store, status, _page_request(request))
    return {"validators": [validator_view(keeper, store, v) for v in found], "next_key": page.next_key.hex()}


def query_validator(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """By operator ``address``, or by ``cons_address`` (hex)."""
    cons_address = text_arg(request, "cons_address", "")
    if cons_address:
        return validator_view(keeper, store, validator_by_cons_hex(keeper, store, cons_address))
    address = text_arg(request, "address", "")
    found = keeper.get_validator(store, required_validator(address))
    if found is None:
        raise NotFoundStatus(f"validator {address} not found")
    return validator_view(keeper, store, found)


def query_delegations(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A ``delegator``'s delegations, a ``validator``'s, or with both the one between them."""
    delegator, validator = text_arg(request, "delegator", ""), text_arg(request, "validator", "")
    if delegator and validator:
        found = keeper.get_delegation(store, parse_address(delegator, "delegator"), parse_valoper(validator))
        if found is None:
            raise NotFoundStatus(f"delegation with delegator {delegator} not found for validator {validator}")
        items, next_key = [found], b""
    elif validator:
        items, page = validator_delegations_page(
            keeper, store, parse_valoper(validator), _page_request(request)
        )
        next_key = page.next_key
    else:
        owner = required_delegator(delegator)
        items, page = delegator_delegations_page(keeper, store, owner, _page_request(request))
        next_key = page.next_key
    views = [delegation_view(keeper, store, d) for d in items]
    return {"delegation_responses": views, "next_key": next_key.hex()}


def query_unbonding_delegations(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A ``delegator``'s unbonding delegations, a ``validator``'s, or with both the one."""
    delegator, validator = text_arg(request, "delegator", ""), text_arg(request, "validator", "")
    if delegator and validator:
        found = keeper.get_unbonding_delegation(
            store, parse_address(delegator, "delegator"), parse_valoper(validator)
        )
        if found is None:
            raise NotFoundStatus(
                f"unbonding delegation with delegator {delegator} not found for validator {validator}"
            )
        items, next_key = [found], b""
    elif validator:
        items, page = validator_unbondings_page(
            keeper, store, parse_valoper(validator), _page_request(request)
        )
        next_key = page.next_key
    else:
        owner = required_delegator(delegator)
        items, page = delegator_unbondings_page(keeper, store, owner, _page_request(request))
        next_key = page.next_key
    return {"unbonding_responses": [unbonding_view(u) for u in items], "next_key": next_key.hex()}


def query_redelegations(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    """A ``delegator``'s redelegations, or without one those from ``src_validator``; only
    those from ``src_validator`` and to ``dst_validator`` where given."""
    delegator = text_arg(request, "delegator", "")
    source = _optional_valoper(request, "src_validator")
    destination = _optional_valoper(request, "dst_validator")
    page = _page_request(request)
    if delegator:
        owner = parse_address(delegator, "delegator")
        found, answer = delegator_redelegations_page(keeper, store, owner, page, source, destination)
    elif source is not None:
        found, answer = source_redelegations_page(keeper, store, source, page, destination)
    else:
        raise InvalidArgumentStatus("a delegator or a source validator address is needed")
    return {
        "redelegation_responses": [redelegation_view(keeper, store, r) for r in found],
        "next_key": answer.next_key.hex(),
    }


def query_pool(keeper: StakingKeeper, store: ReadStore, request: dict[str, Any]) -> Any:
    return {
        "bonded_tokens": str(keeper.total_bonded_tokens(store)),
        "not_bonded_tokens": str(keeper.pool_balance(store, NOT_BONDED_POOL)),
    }


def _optional_valoper(request: dict[str, Any], name: str) -> Address | None:
    text = text_arg(request, name, "")
    return parse_valoper(text, name) if text else None


def _page_request(request: dict[str, Any]) -> PageRequest:
    next_key = text_arg(request, "next_key", "")
    try:
        key = bytes.fromhex(next_key)
    except ValueError:
        raise InvalidRequest("next_key must be the hex a previous page gave") from None
    return PageRequest(key=key, limit=limit_arg(request))


# -- JSON views ----------------------------------------------------------------------------------


def validator_view(keeper: StakingKeeper, store: ReadStore, validator: Validator) -> dict[str, Any]:
    rates = validator.commission.rates
    description = validator.description
    return {
        "operator_address": format_valoper(validator.operator),
        "consensus_pubkey": {"@type": ED25519_TYPE_URL, "key": _b64(validator.pubkey)},
        "consensus_address": validator.cons_address.hex().upper(),
        "jailed": validator.jailed,
        "status": STATUS_NAMES[validator.status],
        "tokens": str(validator.tokens),
        "delegator_shares": dec.format(validator.delegator_shares),
        "description": {
            "moniker": description.moniker,
            "identity": description.identity,
            "website": description.website,
            "security_contact": description.security_contact,
            "details": description.details,
        },
        "unbonding_height": str(validator.unbonding_height),
        "unbonding_completion_height": str(validator.unbonding_completion),
        "commission": {
            "commission_rates": {
                "rate": dec.format(rates.rate),
                "max_rate": dec.format(rates.max_rate),
                "max_change_rate": dec.format(rates.max_change_rate),
            },
            "update_height": str(validator.commission.update_height),
            "update_time_ns": str(validator.commission.update_time_ns),
        },
        "min_self_delegation": str(validator.min_self_delegation),
        "power": str(keeper.get_last_power(store, validator.operator)),
    }


def delegation_view(keeper: StakingKeeper, store: ReadStore, delegation: Delegation) -> dict[str, Any]:
    return {
        "delegation": {
            "delegator_address": format_address(Address(delegation.delegator)),
            "validator_address": format_valoper(delegation.validator),
            "shares": dec.format(delegation.shares),
        },
        "balance": {
            "denom": keeper.bond_denom(store),
            "amount": str(delegation_balance(keeper, store, delegation)),
        },
    }


def unbonding_view(ubd: UnbondingDelegation) -> dict[str, Any]:
    return {
        "delegator_address": format_address(Address(ubd.delegator)),
        "validator_address": format_valoper(ubd.validator),
        "entries": [
            {
                "creation_height": str(e.creation_height),
                "completion_height": str(e.completion_height),
                "initial_balance": str(e.initial_balance),
                "balance": str(e.balance),
                "unbonding_id": str(e.unbonding_id),
            }
            for e in ubd.entries
        ],
    }


def redelegation_view(keeper: StakingKeeper, store: ReadStore, red: Redelegation) -> dict[str, Any]:
    destination = keeper.get_validator(store, red.validator_dst)
    return {
        "delegator_address": format_address(Address(red.delegator)),
        "validator_src_address": format_valoper(red.validator_src),
        "validator_dst_address": format_valoper(red.validator_dst),
        "entries": [
            {
                "creation_height": str(e.creation_height),
                "completion_height": str(e.completion_height),
                "initial_balance": str(e.initial_balance),
                "shares_dst": dec.format(e.shares_dst),
                "balance": str(redelegation_entry_balance(destination, e)),
                "unbonding_id": str(e.unbonding_id),
            }
            for e in red.entries
        ],
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
