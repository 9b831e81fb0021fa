"""What the targets share: how a broken invariant is reported, and where the corpora live."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


class Finding(AssertionError):
    """Input that a decoder accepted but that breaks what the decoder promises."""


def check(condition: bool, promise: str) -> None:
    """Raise ``Finding`` unless ``condition``; ``promise`` says what should have held."""
    if not condition:
        raise Finding(promise)


def corpus_files(target: str) -> list[Path]:
    """The committed inputs of ``target``, in name order."""
    folder = CORPUS / target
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def write_seeds(target: str, seeds: dict[str, bytes]) -> list[Path]:
    """Write ``seeds`` as ``corpus/<target>/<name>``; other files there (found inputs) stay."""
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in seeds.items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
