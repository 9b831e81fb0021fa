"""InitChain's delivery of the gentxs, after every module's genesis (Cosmos genutil's
InitGenesis): each runs as a tx would, signature and all, except that it is signed for
account number 0 and pays no fee (the ante handler's GENESIS mode, which the caller's
``deliver`` uses). A gentx that fails makes the genesis invalid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vm.errors import InvalidRequest, InvalidTx
from vm.execute import TxResult
from vm.genutil.gentx import decode_gentx
from vm.tx import MessageDecoder


def deliver_gentxs(
    gen_txs: list[Any], messages: MessageDecoder, deliver: Callable[[bytes], TxResult]
) -> None:
    for index, document in enumerate(gen_txs):
        try:
            tx_bytes, _ = decode_gentx(document, messages)
        except InvalidTx as error:
            raise InvalidRequest(f"gentx {index}: {error.detail}") from None
        result = deliver(tx_bytes)
        if result.code:
            raise InvalidRequest(f"gentx {index} failed: {result.log}")
