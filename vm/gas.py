"""Gas metering: every tx pays for its bytes, signature checks and store access."""

from __future__ import annotations

from dataclasses import dataclass

from vm.errors import OutOfGas

Gas = int

# Store costs follow the Cosmos SDK KVGasConfig defaults.
READ_COST_FLAT: Gas = 1000
READ_COST_PER_BYTE: Gas = 3
WRITE_COST_FLAT: Gas = 2000
WRITE_COST_PER_BYTE: Gas = 30
DELETE_COST: Gas = 1000
ITER_NEXT_COST_FLAT: Gas = 30


@dataclass
class GasMeter:
    limit: Gas
    consumed: Gas = 0

    def consume(self, amount: Gas, descriptor: str) -> None:
        self.consumed += amount
        if self.consumed > self.limit:
            raise OutOfGas(
                f"out of gas in location: {descriptor}; gasWanted: {self.limit}, gasUsed: {self.consumed}"
            )

    def remaining(self) -> Gas:
        return max(self.limit - self.consumed, 0)


def infinite_meter() -> GasMeter:
    """For block hooks and genesis, which the chain itself pays for."""
    return GasMeter(limit=2**63)
