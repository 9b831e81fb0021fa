"""bank message handlers: one function per message."""

from __future__ import annotations

from vm.bank import keeper
from vm.bank.msgs import MsgMultiSend, MsgSend
from vm.context import Context
from vm.errors import InvalidRequest, Unauthorized
from vm.types import Address, format_coins, parse_address


def handle_send(ctx: Context, msg: MsgSend, blocked: frozenset[Address]) -> None:
    _check_enabled(ctx)
    recipient = parse_address(msg.to_address, "to_address")
    if recipient in blocked:
        raise Unauthorized(f"{msg.to_address} is a module account and cannot receive funds")
    keeper.send(ctx.store, parse_address(msg.from_address), recipient, msg.amount)
    ctx.emit(
        "transfer",
        recipient=msg.to_address,
        sender=msg.from_address,
        amount=format_coins(msg.amount),
    )


def handle_multi_send(ctx: Context, msg: MsgMultiSend, blocked: frozenset[Address]) -> None:
    _check_enabled(ctx)
    source = msg.inputs[0]
    keeper.subtract_coins(ctx.store, parse_address(source.address), source.coins)
    for output in msg.outputs:
        recipient = parse_address(output.address, "output address")
        if recipient in blocked:
            raise Unauthorized(f"{output.address} is a module account and cannot receive funds")
        keeper.add_coins(ctx.store, recipient, output.coins)
        ctx.emit(
            "transfer",
            recipient=output.address,
            sender=source.address,
            amount=format_coins(output.coins),
        )


def _check_enabled(ctx: Context) -> None:
    if not keeper.get_bank_params(ctx.store).send_enabled:
        raise InvalidRequest("sends are disabled by the bank params")
