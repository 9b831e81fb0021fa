"""compute messages through the application: signed txs in blocks, rejections with their
codes, params only through the authority."""

from __future__ import annotations

from tests.vm.compute.helpers import submit_msg
from tests.vm.compute.vectors import COMPUTE_MESSAGES
from tests.vm.helpers import ALICE, BOB, assert_code, deliver, new_app, query_json, signed
from vm.compute.msgs import MsgUpdateParams


def test_a_job_on_no_lease_fails_in_a_block_with_its_code() -> None:
    app = new_app()
    assert_code(deliver(app, signed(app, BOB, [submit_msg()])), 3, "compute")
    assert query_json(app, "/compute/jobs") == {"jobs": [], "next_key": None}


def test_invalid_params_update_by_a_user() -> None:
    app = new_app()
    update = next(m for m in COMPUTE_MESSAGES if isinstance(m, MsgUpdateParams))
    assert_code(deliver(app, signed(app, ALICE, [update])), 4)  # only the authority
