"""Routes each message to its module's handler."""

from __future__ import annotations

from vm.auth.ante import FEE_COLLECTOR
from vm.bank import handlers as bank
from vm.bank.keeper import BankKeeper
from vm.bank.msgs import MsgMultiSend, MsgSend
from vm.context import Context
from vm.errors import UnknownRequest
from vm.msg import Msg
from vm.provider import handlers as provider
from vm.provider.msgs import MsgExitProvider, MsgRegisterProvider, MsgUpdateProvider

# Module accounts hold pooled funds; plain sends to them would be unaccounted for.
BLOCKED = frozenset({FEE_COLLECTOR, provider.POOL})


def route(ctx: Context, msg: Msg, bank_keeper: BankKeeper) -> None:
    ctx.emit("message", action=str(type(msg).__struct_config__.tag), sender=msg.signer())
    match msg:
        case MsgSend():
            bank.handle_send(ctx, msg, BLOCKED)
        case MsgMultiSend():
            bank.handle_multi_send(ctx, msg, BLOCKED)
        case MsgRegisterProvider():
            provider.handle_register(ctx, msg, bank_keeper)
        case MsgUpdateProvider():
            provider.handle_update(ctx, msg, bank_keeper)
        case MsgExitProvider():
            provider.handle_exit(ctx, msg)
        case _:
            raise UnknownRequest(f"no handler for {type(msg).__name__}")


def end_block(ctx: Context, bank_keeper: BankKeeper) -> None:
    provider.end_block(ctx, bank_keeper)
