"""provider events."""

from __future__ import annotations

from typing import ClassVar

from vm.context import TypedEvent

OWNER = frozenset({"owner"})


class ProviderRegistered(TypedEvent, tag="provider_registered", frozen=True):
    indexed: ClassVar[frozenset[str]] = OWNER

    owner: str
    gpus: str


class ProviderUpdated(TypedEvent, tag="provider_updated", frozen=True):
    indexed: ClassVar[frozenset[str]] = OWNER

    owner: str


class ProviderExiting(TypedEvent, tag="provider_exiting", frozen=True):
    indexed: ClassVar[frozenset[str]] = OWNER

    owner: str
    release_height: str


class ProviderExited(TypedEvent, tag="provider_exited", frozen=True):
    indexed: ClassVar[frozenset[str]] = OWNER

    owner: str
