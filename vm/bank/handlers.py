"""bank message handlers: one function per message."""

from __future__ import annotations

from vm.bank.events import Transfer
from vm.bank.keeper import BankKeeper
from vm.bank.msgs import MsgMultiSend, MsgSend
from vm.context import Context
from vm.errors import InvalidRequest, Unauthorized
from vm.types import Address, format_coins, parse_address


def handle_send(keeper: BankKeeper, ctx: Context, msg: MsgSend) -> None:
    _check_enabled(keeper, ctx)
    recipient = _recipient(keeper, msg.to_address)
    keeper.send(ctx.store, parse_address(msg.from_address), recipient, msg.amount)
    ctx.emit(Transfer(recipient=msg.to_address, sender=msg.from_address, amount=format_coins(msg.amount)))


def handle_multi_send(keeper: BankKeeper, ctx: Context, msg: MsgMultiSend) -> None:
    _check_enabled(keeper, ctx)
    source = msg.inputs[0]
    sender = parse_address(source.address)
    for output in msg.outputs:
        keeper.send(ctx.store, sender, _recipient(keeper, output.address), output.coins)
        ctx.emit(Transfer(recipient=output.address, sender=source.address, amount=format_coins(output.coins)))


def _recipient(keeper: BankKeeper, text: str) -> Address:
    recipient = parse_address(text, "recipient")
    if keeper.is_blocked(recipient):
        raise Unauthorized(f"{text} is a module account and cannot receive funds")
    return recipient


def _check_enabled(keeper: BankKeeper, ctx: Context) -> None:
    if not keeper.get_params(ctx.store).default_send_enabled:
        raise InvalidRequest("sends are disabled by the bank params")
