"""What a message handler sees: the block environment, a gas-metered store and
an event log. Time and randomness enter vm/ only through ``BlockEnv``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import msgspec

from genesis.schema import EvidenceParams
from vm.block import NO_COMMIT, CommitInfoLike, MisbehaviorLike
from vm.gas import GasMeter
from vm.store.cache import Store


@dataclass(frozen=True)
class BlockEnv:
    chain_id: str
    height: int
    time_ns: int  # header time, nanoseconds since the Unix epoch
    proposer: bytes  # consensus address of the block's proposer
    beacon: bytes  # randomness no single proposer chooses (vm/beacon, docs/beacon.md)
    last_commit: CommitInfoLike = NO_COMMIT  # who signed the previous block
    misbehavior: Sequence[MisbehaviorLike] = ()  # evidence committed in this block (vm/slashing)
    # consensus_params.evidence.max_age_num_blocks in force (Cosmos's ctx.ConsensusParams())
    max_evidence_age_blocks: int = EvidenceParams().max_age_num_blocks


class EventAttribute(msgspec.Struct, array_like=True, frozen=True):
    key: str
    value: str
    index: bool = False  # whether the node's tx index makes it searchable


class Event(msgspec.Struct, array_like=True, frozen=True):
    type: str
    attributes: list[EventAttribute]


class TypedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A module's event: its fields are the attributes, all strings, in declaration order.

    Subclasses name their type and the attributes the tx index should make searchable:
    ``class Transfer(TypedEvent, tag="transfer"): ...`` with ``indexed = frozenset(...)``.
    Indexing only what clients search keeps the index small."""

    indexed: ClassVar[frozenset[str]] = frozenset()

    def to_event(self) -> Event:
        type_, keys = _shape(type(self))
        values = msgspec.structs.astuple(self)
        pairs = zip(keys, values, strict=True)
        return Event(type_, [EventAttribute(key, value, index) for (key, index), value in pairs])


@dataclass
class Context:
    store: Store
    env: BlockEnv
    gas: GasMeter
    events: list[Event] = field(default_factory=list)

    def emit(self, event: TypedEvent) -> None:
        self.events.append(event.to_event())


_shapes: dict[type[TypedEvent], tuple[str, list[tuple[str, bool]]]] = {}


def _shape(cls: type[TypedEvent]) -> tuple[str, list[tuple[str, bool]]]:
    """An event class's type and (attribute, indexed) pairs, worked out once per class."""
    shape = _shapes.get(cls)
    if shape is None:
        keys = [(name, name in cls.indexed) for name in cls.__struct_fields__]
        shape = _shapes[cls] = (str(cls.__struct_config__.tag), keys)
    return shape
