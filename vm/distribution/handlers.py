"""distribution message handlers, one per message (Cosmos's msg_server.go)."""

from __future__ import annotations

from cosmpy.protos.cosmos.distribution.v1beta1 import tx_pb2

from vm.codec import coin_pb
from vm.context import Context
from vm.distribution import events
from vm.distribution.errors import EmptyDelegationDistInfo, NoValidatorDistInfo, SetWithdrawAddrDisabled
from vm.distribution.keeper import DistributionKeeper
from vm.distribution.msgs import (
    MsgCommunityPoolSpend,
    MsgFundCommunityPool,
    MsgSetWithdrawAddress,
    MsgUpdateParams,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from vm.distribution.params import check_community_tax, format_params
from vm.distribution.rewards import (
    initialize_delegation,
    withdraw_delegation_rewards,
    withdraw_validator_commission,
)
from vm.distribution.types import parse_valoper
from vm.errors import Unauthorized
from vm.types import Address, format_address, parse_address


def handle_set_withdraw_address(keeper: DistributionKeeper, ctx: Context, msg: MsgSetWithdrawAddress) -> None:
    delegator = parse_address(msg.delegator_address, "invalid delegator address")
    withdraw = parse_address(msg.withdraw_address, "invalid withdraw address")
    if keeper.bank.is_blocked(withdraw):
        raise Unauthorized(f"{msg.withdraw_address} is not allowed to receive external funds")
    if not keeper.get_params(ctx.store).withdraw_addr_enabled:
        raise SetWithdrawAddrDisabled()
    ctx.emit(events.SetWithdrawAddress(withdraw_address=msg.withdraw_address))
    keeper.set_withdraw_address(ctx.store, delegator, withdraw)


def handle_withdraw_delegator_reward(
    keeper: DistributionKeeper, ctx: Context, msg: MsgWithdrawDelegatorReward
) -> tx_pb2.MsgWithdrawDelegatorRewardResponse:
    """Pay the rewards so far and start counting again from now; answers with the coins paid."""
    operator = parse_valoper(msg.validator_address, "invalid validator address")
    delegator = parse_address(msg.delegator_address, "invalid delegator address")
    validator = keeper.staking.get_validator(ctx.store, operator)
    if validator is None:
        raise NoValidatorDistInfo()
    delegation = keeper.staking.get_delegation(ctx.store, delegator, operator)
    if delegation is None:
        raise EmptyDelegationDistInfo()
    paid = withdraw_delegation_rewards(keeper, ctx, validator, delegation)
    initialize_delegation(keeper, ctx.store, ctx.env.height, validator, delegation)
    return tx_pb2.MsgWithdrawDelegatorRewardResponse(amount=[coin_pb(coin) for coin in paid])


def handle_withdraw_validator_commission(
    keeper: DistributionKeeper, ctx: Context, msg: MsgWithdrawValidatorCommission
) -> tx_pb2.MsgWithdrawValidatorCommissionResponse:
    """Answers with the coins paid."""
    operator = parse_valoper(msg.validator_address, "invalid validator address")
    paid = withdraw_validator_commission(keeper, ctx, operator)
    return tx_pb2.MsgWithdrawValidatorCommissionResponse(amount=[coin_pb(coin) for coin in paid])


def handle_fund_community_pool(keeper: DistributionKeeper, ctx: Context, msg: MsgFundCommunityPool) -> None:
    keeper.fund_community_pool(ctx, parse_address(msg.depositor, "invalid depositor address"), msg.amount)


def handle_community_pool_spend(
    keeper: DistributionKeeper, authority: Address, ctx: Context, msg: MsgCommunityPoolSpend
) -> None:
    check_authority(authority, msg.authority)
    recipient = parse_address(msg.recipient, "invalid recipient address")
    if keeper.bank.is_blocked(recipient):
        raise Unauthorized(f"{msg.recipient} is not allowed to receive external funds")
    keeper.distribute_from_community_pool(ctx, msg.amount, recipient)


def handle_update_params(
    keeper: DistributionKeeper, authority: Address, ctx: Context, msg: MsgUpdateParams
) -> None:
    check_authority(authority, msg.authority)
    community_tax = check_community_tax(msg.params.community_tax)
    keeper.params.set(ctx.store, format_params(community_tax, msg.params.withdraw_addr_enabled))


def check_authority(authority: Address, signer: str) -> None:
    if signer != format_address(authority):
        raise Unauthorized(f"invalid authority; expected {format_address(authority)}, got {signer}")
