"""What a message handler sees: the block environment, a gas-metered store and
an event log. Time and randomness enter vm/ only through ``BlockEnv``."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from vm.gas import GasMeter
from vm.store.cache import Store


@dataclass(frozen=True)
class BlockEnv:
    chain_id: str
    height: int
    time_ns: int  # header time, nanoseconds since the Unix epoch
    proposer: bytes  # consensus address of the block's proposer
    beacon: bytes  # hash of the previous block: public randomness fixed before this block


class EventAttribute(msgspec.Struct, array_like=True, frozen=True):
    key: str
    value: str


class Event(msgspec.Struct, array_like=True, frozen=True):
    type: str
    attributes: list[EventAttribute]


@dataclass
class Context:
    store: Store
    env: BlockEnv
    gas: GasMeter
    events: list[Event] = field(default_factory=list)

    def emit(self, type_: str, **attributes: str) -> None:
        attrs = [EventAttribute(key, value) for key, value in attributes.items()]
        self.events.append(Event(type_, attrs))
