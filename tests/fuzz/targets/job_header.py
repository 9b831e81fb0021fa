"""A job header as ``MsgSubmitJob`` carries it (canonical MessagePack): ``parse_header``, then
what the chain derives from it: its layout of steps and output chunks, work and digest.

Rejection: ``InvalidTx`` (``InvalidHeader``)."""

from __future__ import annotations

import msgspec

from gpu.header import header_digest, layout, output_layout, work_units
from gpu.jobs import job_header
from tests.fuzz.jobs import SPECS
from vm.compute.msgs import parse_header
from vm.errors import InvalidTx


def fuzz_one(data: bytes) -> None:
    try:
        header = parse_header(data)
    except InvalidTx:
        return
    output_layout(layout(header))
    work_units(header)
    header_digest(header)


def seeds() -> dict[str, bytes]:
    return {name: msgspec.msgpack.encode(job_header(spec)) for name, spec in SPECS.items()}
