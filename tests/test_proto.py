"""The committed generated protobuf code is what ``make proto`` produces from proto/."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
gen_proto = importlib.import_module("gen_proto")


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    generated = {p.relative_to(tmp_path): p.read_bytes() for p in gen_proto.generate(tmp_path)}
    committed = {
        p.relative_to(ROOT): p.read_bytes() for p in (ROOT / gen_proto.PACKAGE).rglob("*") if p.is_file()
    }
    committed = {path: data for path, data in committed.items() if "__pycache__" not in path.parts}
    assert sorted(generated) == sorted(committed), "run `make proto` and commit the result"
    stale = [str(path) for path in generated if generated[path] != committed[path]]
    assert not stale, f"run `make proto`: {stale} differ from proto/"


def test_every_proto_file_is_generated() -> None:
    sources = {p.relative_to(ROOT / "proto").with_suffix("") for p in (ROOT / "proto").rglob("*.proto")}
    modules = {
        p.relative_to(ROOT / gen_proto.PACKAGE).with_name(p.name.removesuffix("_pb2.py"))
        for p in (ROOT / gen_proto.PACKAGE).rglob("*_pb2.py")
    }
    assert sources == modules
