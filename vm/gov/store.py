"""gov state under ``gov/``, each record read and written here only.

Keys (inside the module's prefix; ids are 8 bytes big-endian, addresses 20 raw bytes):

    params                          GovParams
    seq                             the next proposal id (8 bytes)
    constitution                    the chain's constitution text (genesis only, as Cosmos)
    p/<id>                          Proposal
    s/<status><id>                  index: proposals by status (1 byte), for filtered pages
    d/<id><depositor>               the depositor's deposit on the proposal (list[Coin])
    v/<id><voter>                   the voter's Vote
    q/deposit/<height><id>          proposals whose deposit period ends at that height
    q/voting/<height><id>           proposals whose voting period ends at that height
    q/tally/<height><id>            proposals being tallied, by the height their count began
    q/sweep/<height><id>            ended proposals whose votes are being deleted; the value is
                                      the last voter deleted (0x01 before the first)
    t/<id>                          TallyProgress of a tally counted over several blocks

Queues hold a proposal until its period ends; end-block pops at most the params'
``max_proposals_ended_per_block`` of them, and counts or deletes at most
``max_votes_tallied_per_block`` votes (vm/gov/blocks.py, vm/gov/counting.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from genesis.gov import GovParams
from vm.encoding import encode, stored_decoder
from vm.gov.errors import UnknownProposal
from vm.gov.expected import BankKeeper, StakingKeeper
from vm.gov.types import Proposal, ProposalStatus, TallyProgress, Vote
from vm.module import ModuleParams
from vm.queue import DueQueue
from vm.store.cache import ReadStore, Store
from vm.store.kv import prefix_end
from vm.store.prefix import PrefixStore, PrefixView
from vm.types import Address, Coin

MODULE_ACCOUNT = "gov"  # holds every deposit until it is refunded or burned

SEQ = b"seq"
CONSTITUTION = b"constitution"
PROPOSAL = b"p/"
BY_STATUS = b"s/"
DEPOSIT = b"d/"
VOTE = b"v/"
PROGRESS = b"t/"

ID_SIZE = 8
ADDRESS_SIZE = 20

_read_proposal = stored_decoder(Proposal)
_read_vote = stored_decoder(Vote)
_read_coins = stored_decoder(list[Coin])
_read_progress = stored_decoder(TallyProgress)


def id_bytes(value: int) -> bytes:
    return value.to_bytes(ID_SIZE, "big")


def status_byte(status: ProposalStatus) -> bytes:
    return bytes([status])


class GovStore:
    def __init__(
        self, prefix: bytes, params: ModuleParams[GovParams], bank: BankKeeper, staking: StakingKeeper
    ) -> None:
        self.prefix = prefix
        self._kv: Callable[[ReadStore], PrefixStore] = PrefixView(prefix).of
        self.params = params
        self.bank = bank
        self.staking = staking
        self.deposit_queue = DueQueue(prefix + b"q/deposit/")  # items: proposal ids
        self.voting_queue = DueQueue(prefix + b"q/voting/")  # items: proposal ids
        self.tally_queue = DueQueue(prefix + b"q/tally/")  # items: proposal ids
        self.sweep_queue = DueQueue(prefix + b"q/sweep/")  # items: proposal ids; values: cursors

    def get_params(self, store: ReadStore) -> GovParams:
        return self.params.get(store)

    # -- ids and the constitution ----------------------------------------------------------------

    def next_proposal_id(self, store: ReadStore) -> int:
        raw = self._kv(store).get(SEQ)
        return 1 if raw is None else int.from_bytes(raw, "big")

    def set_next_proposal_id(self, store: Store, value: int) -> None:
        self._kv(store).set(SEQ, id_bytes(value))

    def constitution(self, store: ReadStore) -> str:
        raw = self._kv(store).get(CONSTITUTION)
        return "" if raw is None else raw.decode()

    def set_constitution(self, store: Store, text: str) -> None:
        if text:
            self._kv(store).set(CONSTITUTION, text.encode())

    # -- proposals -----------------------------------------------------------------------------

    def get_proposal(self, store: ReadStore, proposal_id: int) -> Proposal | None:
        raw = self._kv(store).get(PROPOSAL + id_bytes(proposal_id))
        return None if raw is None else _read_proposal(raw)

    def proposal(self, store: ReadStore, proposal_id: int) -> Proposal:
        found = self.get_proposal(store, proposal_id)
        if found is None:
            raise UnknownProposal(f"proposal {proposal_id} doesn't exist")
        return found

    def set_proposal(self, store: Store, old: Proposal | None, new: Proposal) -> None:
        """Write ``new`` (``old`` is what was stored, None for a new proposal), moving its
        status index entry when the status changed."""
        kv = self._kv(store)
        key = id_bytes(new.id)
        if old is not None and old.status != new.status:
            kv.delete(BY_STATUS + status_byte(old.status) + key)
        if old is None or old.status != new.status:
            kv.set(BY_STATUS + status_byte(new.status) + key, b"\x01")
        kv.set(PROPOSAL + key, encode(new))

    def delete_proposal(self, store: Store, proposal: Proposal) -> None:
        kv = self._kv(store)
        key = id_bytes(proposal.id)
        kv.delete(BY_STATUS + status_byte(proposal.status) + key)
        kv.delete(PROPOSAL + key)

    def proposals_from(self, store: ReadStore, start: bytes) -> Iterator[tuple[bytes, Proposal]]:
        """Every proposal from the id ``start`` (8 bytes, or empty) on, each with its id key."""
        for key, raw in self._kv(store).iterate(PROPOSAL + start, prefix_end(PROPOSAL)):
            yield key[len(PROPOSAL) :], _read_proposal(raw)

    def proposals_with_status(
        self, store: ReadStore, status: ProposalStatus, start: bytes
    ) -> Iterator[tuple[bytes, Proposal]]:
        """The proposals in ``status`` from the id ``start`` on, each with its id key."""
        prefix = BY_STATUS + status_byte(status)
        for key, _ in self._kv(store).iterate(prefix + start, prefix_end(prefix)):
            proposal_key = key[len(prefix) :]
            yield proposal_key, self.proposal(store, int.from_bytes(proposal_key, "big"))

    # -- deposits ------------------------------------------------------------------------------

    def get_deposit(self, store: ReadStore, proposal_id: int, depositor: Address) -> list[Coin]:
        raw = self._kv(store).get(DEPOSIT + id_bytes(proposal_id) + depositor)
        return [] if raw is None else _read_coins(raw)

    def set_deposit(self, store: Store, proposal_id: int, depositor: Address, coins: list[Coin]) -> None:
        self._kv(store).set(DEPOSIT + id_bytes(proposal_id) + depositor, encode(coins))

    def delete_deposit(self, store: Store, proposal_id: int, depositor: Address) -> None:
        self._kv(store).delete(DEPOSIT + id_bytes(proposal_id) + depositor)

    def deposits(
        self, store: ReadStore, proposal_id: int, start: bytes = b""
    ) -> Iterator[tuple[Address, list[Coin]]]:
        """A proposal's deposits from the depositor ``start`` on, in depositor order."""
        prefix = DEPOSIT + id_bytes(proposal_id)
        for key, raw in self._kv(store).iterate(prefix + start, DEPOSIT + id_bytes(proposal_id + 1)):
            yield Address(key[len(prefix) :]), _read_coins(raw)

    def all_deposits(self, store: ReadStore) -> Iterator[tuple[int, Address, list[Coin]]]:
        for key, raw in self._kv(store).iterate(DEPOSIT, prefix_end(DEPOSIT)):
            body = key[len(DEPOSIT) :]
            yield int.from_bytes(body[:ID_SIZE], "big"), Address(body[ID_SIZE:]), _read_coins(raw)

    # -- votes ---------------------------------------------------------------------------------

    def get_vote(self, store: ReadStore, proposal_id: int, voter: Address) -> Vote | None:
        raw = self._kv(store).get(VOTE + id_bytes(proposal_id) + voter)
        return None if raw is None else _read_vote(raw)

    def set_vote(self, store: Store, proposal_id: int, voter: Address, vote: Vote) -> None:
        self._kv(store).set(VOTE + id_bytes(proposal_id) + voter, encode(vote))

    def delete_vote(self, store: Store, proposal_id: int, voter: Address) -> None:
        self._kv(store).delete(VOTE + id_bytes(proposal_id) + voter)

    def votes(self, store: ReadStore, proposal_id: int, start: bytes = b"") -> Iterator[tuple[Address, Vote]]:
        """A proposal's votes from the voter ``start`` on, in voter order."""
        prefix = VOTE + id_bytes(proposal_id)
        for key, raw in self._kv(store).iterate(prefix + start, VOTE + id_bytes(proposal_id + 1)):
            yield Address(key[len(prefix) :]), _read_vote(raw)

    def all_votes(self, store: ReadStore) -> Iterator[tuple[int, Address, Vote]]:
        for key, raw in self._kv(store).iterate(VOTE, prefix_end(VOTE)):
            body = key[len(VOTE) :]
            yield int.from_bytes(body[:ID_SIZE], "big"), Address(body[ID_SIZE:]), _read_vote(raw)

    # -- tallies in progress ---------------------------------------------------------------------

    def get_progress(self, store: ReadStore, proposal_id: int) -> TallyProgress | None:
        raw = self._kv(store).get(PROGRESS + id_bytes(proposal_id))
        return None if raw is None else _read_progress(raw)

    def set_progress(self, store: Store, proposal_id: int, progress: TallyProgress) -> None:
        self._kv(store).set(PROGRESS + id_bytes(proposal_id), encode(progress))

    def delete_progress(self, store: Store, proposal_id: int) -> None:
        self._kv(store).delete(PROGRESS + id_bytes(proposal_id))
