"""What the server and the fetcher agree on: the URL of a result's outputs and their size, and
the URL of a job's supplied inputs.

A result is named by its result root (32 bytes, 64 hex digits in URLs). Its outputs are the
canonical bytes the output root commits to (gpu/commit.py): every output tensor as int32
little-endian, row-major, the tensors concatenated in plan order. Their size follows from the
job's output shapes alone, so a verifier knows it before asking and refuses anything else.

A job's supplied inputs (node/outputs/inputs.py) are named by its header digest, the spec digest
the chain holds: 32 bytes, 64 hex digits in URLs too.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gpu.commit import OUTPUT_DTYPE
from gpu.header import JobHeader, header_digest, layout, result_root

OUTPUTS_PATH = "/outputs"
INPUTS_PATH = "/inputs"
RECORD_NAME = "result.json"
ROOT_BYTES = 32
# Exactly 64 hex digits and nothing else: a root (or digest) in a URL never names anything else.
ROOT_PATTERN = re.compile(r"[0-9a-fA-F]{64}")

Shape = tuple[int, int]


def parse_root(text: str) -> bytes | None:
    """The result root written as `text` (either case), or None if it is not 64 hex digits."""
    if ROOT_PATTERN.fullmatch(text) is None:
        return None
    return bytes.fromhex(text)


def outputs_path(root: bytes) -> str:
    return f"{OUTPUTS_PATH}/{root.hex()}"


def outputs_url(endpoint: str, root: bytes) -> str:
    """The URL of a result's outputs at a provider's `endpoint` (``http://host:port``)."""
    return endpoint.rstrip("/") + outputs_path(root)


def http_endpoint(endpoint: str) -> str:
    """A provider's registered endpoint (``host[:port][/path]``, maybe with a scheme) as a URL."""
    return endpoint if "://" in endpoint else f"http://{endpoint}"


def inputs_path(digest: bytes) -> str:
    return f"{INPUTS_PATH}/{digest.hex()}"


def inputs_url(endpoint: str, digest: bytes) -> str:
    """The URL of the supplied inputs of the job with header digest `digest` at a provider."""
    return endpoint.rstrip("/") + inputs_path(digest)


def output_size(shapes: Sequence[Shape]) -> int:
    """Bytes of the canonical outputs of tensors with these shapes."""
    return OUTPUT_DTYPE.itemsize * sum(rows * cols for rows, cols in shapes)


@dataclass(frozen=True)
class ExpectedOutputs:
    """What the chain says a result's outputs must be: their shapes (hence their size) and the
    result root they must bind to together with the job's spec digest."""

    result_root: bytes
    spec_digest: bytes
    shapes: tuple[Shape, ...]

    @property
    def size(self) -> int:
        return output_size(self.shapes)

    def accepts(self, output_root: bytes) -> bool:
        """Whether outputs with this chunk root are the ones committed on chain."""
        return result_root(self.spec_digest, output_root) == self.result_root


def expected_outputs(header: JobHeader, committed_root: bytes) -> ExpectedOutputs:
    """The outputs of the job with this header whose result was committed as `committed_root`."""
    if len(committed_root) != ROOT_BYTES:
        raise ValueError(f"a result root is {ROOT_BYTES} bytes, not {len(committed_root)}")
    shapes = tuple(step.shape for step in layout(header))
    return ExpectedOutputs(committed_root, header_digest(header), shapes)
