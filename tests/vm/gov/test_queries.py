"""gov's JSON paths (``/gov/<name>``, vm/gov/queries.py) on the chain of
tests/vm/gov/query_chain.py at height 5: Cosmos's v1 shapes in proto3 JSON's conventions,
with depind's heights beside the times."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from tests.vm.gov.query_chain import KEEP_SENDING, gov_app
from tests.vm.helpers import ALICE, BOB, CAROL, DAVE, assert_code, query_json, raw
from tests.vm.staking.helpers import POWER
from vm.app import App


@pytest.fixture(scope="module")
def app() -> App:
    return gov_app()


def ask(app: App, name: str, **request: Any) -> Any:
    return query_json(app, f"/gov/{name}", request)


def refused(app: App, name: str, code: int, **request: Any) -> str:
    result = app.query(f"/gov/{name}", msgspec.json.encode(request))
    assert_code(result, code)
    return result.log


def ids(answer: Any) -> list[str]:
    return [p["id"] for p in answer["proposals"]]


def test_a_passed_proposal() -> None:
    proposal = ask(gov_app(), "proposal", proposal_id=1)["proposal"]
    assert proposal == {
        "id": "1",
        "messages": [
            {"type_url": KEEP_SENDING.type_url, "value": base64.b64encode(KEEP_SENDING.value).decode()}
        ],
        "status": "PROPOSAL_STATUS_PASSED",
        "final_tally_result": {
            "yes_count": str(11 * POWER),
            "abstain_count": "0",
            "no_count": str(5 * POWER),
            "no_with_veto_count": "0",
        },
        "submit_height": "2",
        "submit_time": "2024-01-01T00:00:02Z",
        "deposit_end_height": "12",
        "total_deposit": [{"denom": "udepin", "amount": "1000"}],
        "voting_start_height": "2",
        "voting_start_time": "2024-01-01T00:00:02Z",
        "voting_end_height": "5",
        "voting_end_time": "2024-01-01T00:00:05Z",
        "metadata": "ipfs://Keep sending",
        "title": "Keep sending",
        "summary": "Keep sending, at length",
        "proposer": ALICE.address,
        "expedited": False,
        "failed_reason": "",
    }


def test_times_not_known_yet_are_null(app: App) -> None:
    waiting = ask(app, "proposal", proposal_id=2)["proposal"]
    assert waiting["status"] == "PROPOSAL_STATUS_DEPOSIT_PERIOD" and waiting["messages"] == []
    assert (waiting["voting_start_height"], waiting["voting_start_time"], waiting["voting_end_time"]) == (
        "0",
        None,
        None,
    )
    voting = ask(app, "proposal", proposal_id=3)["proposal"]
    assert (voting["voting_start_height"], voting["voting_end_height"]) == ("4", "7")
    assert voting["voting_start_time"] == "2024-01-01T00:00:04Z" and voting["voting_end_time"] is None


def test_proposals_filtered_and_paged(app: App) -> None:
    assert ids(ask(app, "proposals")) == ["1", "2", "3"]
    assert ids(ask(app, "proposals", status="PROPOSAL_STATUS_VOTING_PERIOD")) == ["3"]
    assert ids(ask(app, "proposals", voter=ALICE.address)) == ["3"]
    assert ids(ask(app, "proposals", depositor=CAROL.address)) == ["2", "3"]
    assert ids(ask(app, "proposals", depositor=BOB.address, status="PROPOSAL_STATUS_PASSED")) == []
    first = ask(app, "proposals", limit=2)
    assert ids(first) == ["1", "2"] and first["next_key"] == (3).to_bytes(8, "big").hex()
    rest = ask(app, "proposals", limit=2, next_key=first["next_key"])
    assert ids(rest) == ["3"] and rest["next_key"] == ""


def test_votes_and_a_vote(app: App) -> None:
    votes = ask(app, "votes", proposal_id=3)
    assert [v["voter"] for v in votes["votes"]] == [CAROL.address, ALICE.address] and votes["next_key"] == ""
    split = {
        "proposal_id": "3",
        "voter": ALICE.address,
        "options": [
            {"option": "VOTE_OPTION_YES", "weight": "0.600000000000000000"},
            {"option": "VOTE_OPTION_NO", "weight": "0.400000000000000000"},
        ],
        "metadata": "split",
    }
    assert votes["votes"][1] == split
    assert ask(app, "vote", proposal_id=3, voter=ALICE.address) == {"vote": split}
    paged = ask(app, "votes", proposal_id=3, limit=1)
    assert len(paged["votes"]) == 1 and paged["next_key"] == raw(ALICE).hex()


def test_deposits_and_a_deposit(app: App) -> None:
    deposits = ask(app, "deposits", proposal_id=2)["deposits"]
    assert deposits == [
        {"proposal_id": "2", "depositor": CAROL.address, "amount": [{"denom": "udepin", "amount": "100"}]},
        {"proposal_id": "2", "depositor": BOB.address, "amount": [{"denom": "udepin", "amount": "400"}]},
    ]
    assert ask(app, "deposit", proposal_id=2, depositor=BOB.address) == {"deposit": deposits[1]}


def test_tally_now(app: App) -> None:
    assert ask(app, "tally", proposal_id=3)["tally"] == {
        "yes_count": str(6 * POWER),
        "abstain_count": "0",
        "no_count": str(5 * POWER),
        "no_with_veto_count": "0",
    }
    assert ask(app, "tally", proposal_id=2)["tally"]["yes_count"] == "0"


def test_params_are_served_by_the_params_path(app: App) -> None:
    params = query_json(app, "/params", {"module": "gov"})
    assert isinstance(params, dict)
    assert (params["gov"]["voting_blocks"], params["gov"]["max_deposit_blocks"]) == (3, 10)


def test_missing_records_are_not_found(app: App) -> None:
    assert refused(app, "proposal", 38, proposal_id=9) == "proposal 9 doesn't exist"
    assert refused(app, "tally", 38, proposal_id=9) == "proposal 9 doesn't exist"
    assert refused(app, "vote", 38, proposal_id=3, voter=BOB.address).startswith(f"voter {BOB.address}")
    assert refused(app, "deposit", 38, proposal_id=2, depositor=DAVE.address).startswith(
        f"depositor {DAVE.address}"
    )


@pytest.mark.parametrize(
    ("name", "request_", "code"),
    [
        ("proposal", {}, 18),
        ("proposal", {"proposal_id": 0}, 18),
        ("proposal", {"proposal_id": "1"}, 18),
        ("proposal", {"proposal_id": True}, 18),
        ("proposals", {"status": "passed"}, 18),
        ("proposals", {"voter": "depin1nope"}, 7),
        ("proposals", {"limit": 0}, 18),
        ("proposals", {"limit": 101}, 18),
        ("proposals", {"next_key": "zz"}, 18),
        ("proposals", {"next_key": "0102"}, 18),  # not an id
        ("votes", {"proposal_id": 3, "next_key": (3).to_bytes(8, "big").hex()}, 18),  # not an address
        ("vote", {"proposal_id": 3}, 18),
        ("deposit", {"proposal_id": 2, "depositor": 5}, 18),
    ],
)
def test_invalid_requests(app: App, name: str, request_: dict[str, Any], code: int) -> None:
    refused(app, name, code, **request_)
