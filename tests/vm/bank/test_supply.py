"""The supply invariant under random sequences of sends, multi-sends, mints, burns and
failing txs: total supply always equals the sum of every balance (module accounts
included), and only successful mints and burns change it."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from node.keys.hd import PrivateKey
from tests.vm.faucet import MsgBurn, MsgMint, faucet_address, registry_with_faucet
from tests.vm.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DENOM,
    apply_block,
    balance,
    coins,
    make_genesis,
    new_app,
    send,
    signed,
    supply,
)
from vm.bank.msgs import Input, MsgMultiSend, Output
from vm.msg import Msg
from vm.types import Coin

HOLDERS = [ALICE, BOB, CAROL, DAVE]
START = 50_000
REGISTRY = registry_with_faucet()
amounts = st.integers(1, 30_000)  # sometimes more than a holder has: the tx then fails
holders = st.sampled_from(HOLDERS)


class SupplyMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        genesis = make_genesis({k: [Coin("uatom", START), Coin(DENOM, START)] for k in HOLDERS})
        self.app = new_app(genesis, registry=REGISTRY)
        self.expected = {DENOM: supply(self.app), "uatom": supply(self.app, "uatom")}

    def run(self, sender: PrivateKey, messages: list[Msg], sequence: int | None = None) -> int:
        tx = signed(self.app, sender, messages, sequence=sequence)
        return apply_block(self.app, [tx]).tx_results[0].code

    @rule(sender=holders, recipient=holders, amount=amounts, denom=st.sampled_from([DENOM, "uatom"]))
    def send(self, sender: PrivateKey, recipient: PrivateKey, amount: int, denom: str) -> None:
        self.run(sender, [send(sender, recipient, [Coin(denom, amount)])])

    @rule(sender=holders, recipients=st.lists(holders, min_size=1, max_size=3), amount=amounts)
    def multi_send(self, sender: PrivateKey, recipients: list[PrivateKey], amount: int) -> None:
        source = sender.address
        outputs = [Output(r.address, coins(amount)) for r in recipients]
        total = coins(amount * len(recipients))
        self.run(sender, [MsgMultiSend([Input(source, total)], outputs)])

    @rule(recipient=holders, amount=amounts)
    def mint(self, recipient: PrivateKey, amount: int) -> None:
        if self.run(recipient, [MsgMint(recipient.address, coins(amount))]) == 0:
            self.expected[DENOM] += amount

    @rule(holder=holders, amount=amounts)
    def burn(self, holder: PrivateKey, amount: int) -> None:
        if self.run(holder, [MsgBurn(holder.address, coins(amount))]) == 0:
            self.expected[DENOM] -= amount

    @rule(sender=holders, recipient=holders, amount=amounts)
    def wrong_sequence(self, sender: PrivateKey, recipient: PrivateKey, amount: int) -> None:
        """Refused before its fee: changes nothing."""
        assert self.run(sender, [send(sender, recipient, amount)], sequence=10**6) == 32

    @rule(holder=holders, amount=amounts)
    def mint_then_fail(self, holder: PrivateKey, amount: int) -> None:
        """A mint in a tx whose next message fails is reverted with the whole tx."""
        address = holder.address
        code = self.run(holder, [MsgMint(address, coins(amount)), send(holder, holder, 10**15)])
        assert code != 0

    @invariant()
    def supply_equals_the_sum_of_balances(self) -> None:
        assert REGISTRY.broken_invariants(self.app.state.values) == []
        assert {DENOM: supply(self.app), "uatom": supply(self.app, "uatom")} == self.expected
        assert balance(self.app, faucet_address(REGISTRY)) == 0


SupplyMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestSupply = SupplyMachine.TestCase
