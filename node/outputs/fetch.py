"""The verifier's side: download a result's outputs from its provider and accept only the committed ones.

The chain gives the job (so the outputs' shapes, hence their exact size) and the result root; the
provider's endpoint gives bytes. `fetch_outputs` asks for them in ranges of at most
`range_bytes`, in order, writes each to a file as it completes and feeds it to the streamed
output root (node/outputs/hashing.py), so memory holds one range whatever the size. It never
asks for, nor accepts, a byte past the expected size. The file gets its final name only once
the bytes hash to an output root that binds, with the job's spec digest, to the committed
result root; until then nothing downstream can mistake it for the outputs.

Failures are typed, so the verifier can tell a provider that is down (retry later, or open a
data-availability challenge) from one that serves the wrong thing (a provable lie):

- `ProviderUnreachable`: no answer, or only errors (5xx, 429), after `attempts` tries of a range;
- `FetchTimeout`: the overall deadline passed (checked between tries and while bytes arrive);
- `BadAnswer`: a final answer that is not the bytes asked for (404: nothing published; another
  status; a Content-Range for other bytes);
- `WrongSize`: the provider's outputs have another size than the job's, or it sent more bytes
  than it said;
- `RootMismatch`: all the bytes came, and they are not the committed outputs.

Each try of a range that failed for a reason that may pass (a connection error, a timeout, a cut
body, 5xx, 429) waits twice as long as the one before (up to `max_backoff_s`, or longer if the
server's Retry-After says so) and is tried again.

`download` is that loop for any bytes whose size is known in advance: node/outputs/inputs.py
fetches a job's supplied inputs with it, under the same limits and with the same failures.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from node.outputs.hashing import OutputHasher
from node.outputs.layout import ExpectedOutputs, outputs_url

CONTENT_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")
PART_SUFFIX = ".part"
OUTPUTS_SUFFIX = ".outputs"


class FetchError(Exception):
    """The outputs could not be fetched; the subclass says why."""


class ProviderUnreachable(FetchError):
    pass


class FetchTimeout(FetchError):
    pass


class BadAnswer(FetchError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class WrongSize(FetchError):
    pass


class RootMismatch(FetchError):
    pass


class _Retry(Exception):
    """A try failed in a way that may pass: try the range again after a pause."""

    def __init__(self, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class FetchLimits:
    range_bytes: int = 4 << 20  # asked for per request (a server may send fewer)
    attempts: int = 5  # tries of one range before the provider counts as unreachable
    first_backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    deadline_s: float = 600.0  # for the whole download
    request_timeout_s: float = 30.0  # between bytes
    connect_timeout_s: float = 5.0  # a provider that has not answered the connection by then is down

    def __post_init__(self) -> None:
        timeouts = (self.deadline_s, self.request_timeout_s, self.connect_timeout_s)
        if self.range_bytes < 1 or self.attempts < 1 or min(timeouts) <= 0:
            raise ValueError(f"fetch limits must be positive: {self}")


DEFAULT_LIMITS = FetchLimits()


def fetch_outputs(
    endpoint: str,
    expected: ExpectedOutputs,
    work_dir: Path,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> Path:
    """Download the outputs of `expected` from the provider at `endpoint` (``http://host:port``)
    into `work_dir`; the returned file holds exactly the committed outputs."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / (expected.result_root.hex() + OUTPUTS_SUFFIX)
    partial = target.with_name(target.name + PART_SUFFIX)
    try:
        url = outputs_url(endpoint, expected.result_root)
        output_root = _download(url, expected, partial, limits, transport)
        if not expected.accepts(output_root):
            raise RootMismatch(
                f"the outputs from {endpoint} hash to the output root {output_root.hex()}, which is not "
                f"the one committed in the result {expected.result_root.hex()}"
            )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


def _download(
    url: str,
    expected: ExpectedOutputs,
    path: Path,
    limits: FetchLimits,
    transport: httpx.BaseTransport | None,
) -> bytes:
    """Write the outputs at `url` to `path`, range by range in order; their output root."""
    hasher = OutputHasher(expected.shapes)
    with path.open("wb") as out:

        def receive(data: bytes) -> None:
            out.write(data)
            hasher.update(data)

        download(url, Expected(expected.size, "outputs"), receive, limits, transport)
    return hasher.root()


@dataclass(frozen=True)
class Expected:
    """What a download must be: exactly `size` bytes of `what` (named in errors)."""

    size: int
    what: str


def download(
    url: str,
    expected: Expected,
    receive: Callable[[bytes], None],
    limits: FetchLimits,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Bytes 0 .. size - 1 at `url`, asked for range by range in order, each range handed to
    `receive` as it completes: memory holds one range."""
    deadline = time.monotonic() + limits.deadline_s
    with httpx.Client(transport=transport) as client:
        position = 0
        while position < expected.size:
            stop = min(position + limits.range_bytes, expected.size)
            data = _fetch_range(client, url, (position, stop), expected, limits, deadline)
            receive(data)
            position += len(data)


def _fetch_range(
    client: httpx.Client,
    url: str,
    span: tuple[int, int],
    expected: Expected,
    limits: FetchLimits,
    deadline: float,
) -> bytes:
    """Bytes span[0] .. (at most) span[1] - 1 of the expected bytes, tried up to `attempts` times."""
    backoff = limits.first_backoff_s
    for attempt in range(1, limits.attempts + 1):
        try:
            return _try_range(client, url, span, expected, limits, deadline)
        except httpx.TransportError as err:
            failure, asked = f"{type(err).__name__}: {err}", 0.0
        except _Retry as err:
            failure, asked = str(err), err.retry_after_s
        if time.monotonic() >= deadline:
            raise FetchTimeout(f"{url}: the deadline passed ({failure})")
        if attempt == limits.attempts:
            break
        pause = max(backoff, min(asked, limits.max_backoff_s))
        if time.monotonic() + pause >= deadline:
            raise FetchTimeout(f"{url}: the deadline passed while retrying ({failure})")
        time.sleep(pause)
        backoff = min(2 * backoff, limits.max_backoff_s)
    raise ProviderUnreachable(f"{url}: {limits.attempts} tries failed, the last: {failure}")


def _try_range(
    client: httpx.Client,
    url: str,
    span: tuple[int, int],
    expected: Expected,
    limits: FetchLimits,
    deadline: float,
) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchTimeout(f"{url}: the deadline passed at byte {span[0]} of {expected.size}")
    headers = {"range": f"bytes={span[0]}-{span[1] - 1}", "accept-encoding": "identity"}
    timeout = httpx.Timeout(min(limits.request_timeout_s, left), connect=min(limits.connect_timeout_s, left))
    with client.stream("GET", url, headers=headers, timeout=timeout) as response:
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(f"answered {status}", retry_after(response))
        if status != 206:
            raise BadAnswer(f"{url} answered {status} to a request for bytes {span[0]}-{span[1] - 1}", status)
        first, stop = _content_range(url, response, span, expected)
        return _read_body(url, response, stop - first, deadline)


def _content_range(
    url: str, response: httpx.Response, span: tuple[int, int], expected: Expected
) -> tuple[int, int]:
    """The bytes a 206 answer holds: from span[0], at least one and at most what was asked."""
    match = CONTENT_RANGE.fullmatch(response.headers.get("content-range", ""))
    if match is None:
        raise BadAnswer(f"{url} answered 206 without a valid Content-Range", 206)
    first, last, total = (int(group) for group in match.groups())
    if total != expected.size:
        what = expected.what
        raise WrongSize(f"{url} serves {total} bytes of {what}; the job's {what} are {expected.size} bytes")
    if first != span[0] or not first <= last < span[1]:
        raise BadAnswer(f"{url} sent bytes {first}-{last} for a request for {span[0]}-{span[1] - 1}", 206)
    return first, last + 1


def _read_body(url: str, response: httpx.Response, length: int, deadline: float) -> bytes:
    """Exactly `length` bytes, refusing more, with the deadline checked as they arrive."""
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > length:
            raise WrongSize(f"{url} sent more than the {length} bytes its Content-Range announced")
        if time.monotonic() > deadline:
            raise FetchTimeout(f"{url}: the deadline passed while bytes were arriving")
    if len(body) < length:
        raise _Retry(f"the answer ended after {len(body)} of {length} bytes")
    return bytes(body)


def retry_after(response: httpx.Response) -> float:
    """The pause a 503 or 429 answer asks for, in seconds (0: none said)."""
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else 0.0
