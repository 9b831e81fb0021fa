"""bank messages."""

from __future__ import annotations

from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2

from genesis.schema import BankParams
from vm.codec import type_url
from vm.encoding import Canonical
from vm.errors import InvalidRequest
from vm.msg import Msg
from vm.types import Coin, parse_address, validate_coins

MAX_MULTI_SEND_OUTPUTS = 256


class MsgSend(Msg, tag=type_url(tx_pb2.MsgSend), frozen=True):
    from_address: str
    to_address: str
    amount: list[Coin]

    def signer(self) -> str:
        return self.from_address

    def validate(self) -> None:
        parse_address(self.from_address, "from_address")
        parse_address(self.to_address, "to_address")
        validate_coins(self.amount)


class Input(Canonical, frozen=True):
    address: str
    coins: list[Coin]


class Output(Canonical, frozen=True):
    address: str
    coins: list[Coin]


class MsgMultiSend(Msg, tag=type_url(tx_pb2.MsgMultiSend), frozen=True):
    """One input, many outputs (the Cosmos SDK allows a single input since v0.46)."""

    inputs: list[Input]
    outputs: list[Output]

    def signer(self) -> str:
        return self.inputs[0].address if self.inputs else ""

    def validate(self) -> None:
        if len(self.inputs) != 1:
            raise InvalidRequest("multi-send takes exactly one input")
        if not 1 <= len(self.outputs) <= MAX_MULTI_SEND_OUTPUTS:
            raise InvalidRequest(f"multi-send takes 1 to {MAX_MULTI_SEND_OUTPUTS} outputs")
        parse_address(self.inputs[0].address, "input address")
        validate_coins(self.inputs[0].coins, "input coins")
        for output in self.outputs:
            parse_address(output.address, "output address")
            validate_coins(output.coins, "output coins")
        if _sum(self.inputs[0].coins) != _sum_all(self.outputs):
            raise InvalidRequest("sum of outputs does not equal the input")


def _sum(coins: list[Coin]) -> dict[str, int]:
    return {coin.denom: coin.amount for coin in coins}


def _sum_all(outputs: list[Output]) -> dict[str, int]:
    total: dict[str, int] = {}
    for output in outputs:
        for coin in output.coins:
            total[coin.denom] = total.get(coin.denom, 0) + coin.amount
    return total


class MsgUpdateParams(Msg, tag=type_url(tx_pb2.MsgUpdateParams), frozen=True):
    """Replace the bank params; only the chain's authority may sign it."""

    authority: str
    params: BankParams

    def signer(self) -> str:
        return self.authority

    def validate(self) -> None:
        parse_address(self.authority, "authority")
