"""The compute keeper: the state of vm/compute/store.py and what other code may ask of it.

- Queries read jobs, attestations and provider totals through the getters and iterators
  of ``ComputeStore``, and a job's standing through ``valid_power``.
- The provider module, through the hooks compute registers (vm/compute/hooks.py), has
  ``check_provider_exit`` refuse the exit of a provider whose jobs are not settled: their
  verdicts may still slash its collateral.
"""

from __future__ import annotations

from vm.compute.errors import JobsOpen
from vm.compute.store import ComputeStore
from vm.compute.types import Job, JobState
from vm.store.cache import ReadStore
from vm.types import Address, format_address


class ComputeKeeper(ComputeStore):
    def valid_power(self, store: ReadStore, job: Job) -> int:
        """The power of the committee members whose valid attestations count (not disputed)."""
        if job.committee is None:
            return 0
        powers = {member.operator: member.power for member in job.committee.members}
        return sum(powers.get(r.member, 0) for r in self.attestations_of(store, job.id) if r.counts())

    def deposits_owed(self, store: ReadStore) -> int:
        """What the deposits account must hold: the price of every job not settled, the bond
        of every open availability challenge and of every dispute awaiting its answer."""
        return sum(held_for(job) for job in self.iterate_jobs(store) if not JobState(job.state).is_terminal)

    def check_provider_exit(self, store: ReadStore, provider: Address) -> None:
        if self.has_open_jobs(store, provider):
            raise JobsOpen(f"{format_address(provider)} has jobs awaiting their verdict")


def held_for(job: Job) -> int:
    """What the deposits account holds for an unsettled job: its price, its open
    availability challenge's bond and the bonds of its disputes awaiting answers."""
    challenge = job.open_challenge()
    disputes = sum(dispute.bond for dispute in job.disputes)
    return job.price + (0 if challenge is None else challenge.bond) + disputes
