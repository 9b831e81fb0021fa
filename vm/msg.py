"""The shape every transaction message has: a tag, a signer and stateless checks."""

from __future__ import annotations

from vm.encoding import Canonical


class Msg(Canonical, tag_field="@type", frozen=True):
    """Base message. Subclasses set ``tag`` to their protobuf type URL
    (``tag=type_url(tx_pb2.MsgSend)``), name their fields as that type does (vm/codec.py)
    and implement both methods."""

    def signer(self) -> str:
        raise NotImplementedError

    def validate(self) -> None:
        """Stateless checks; raise an ``InvalidTx`` subclass."""
        raise NotImplementedError
