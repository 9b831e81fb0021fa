"""Generate the Python for depind's protobuf packages (``make proto``).

Reads ``proto/**/*.proto``, writes ``protos/**/*_pb2.py`` and ``.pyi`` with the
protoc that grpcio-tools bundles (its version is pinned in uv.lock). The Cosmos
types depind's files import (Coin, the amino and msg options) come from cosmpy's
generated modules: their descriptors are handed to protoc as a descriptor set,
and the generated imports are pointed at cosmpy's package. The output depends
only on the inputs, so ``tests/test_proto.py`` regenerates and compares.

    uv run python scripts/gen_proto.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "proto"
PACKAGE = "protos"

# Imports of generated Cosmos modules, rewritten to where cosmpy installs them.
_FOREIGN = re.compile(r"^from (amino|cosmos|cosmos_proto|gogoproto)([. ])", re.MULTILINE)
_OWN = re.compile(r"^from depind([. ])", re.MULTILINE)


def foreign_descriptors() -> list[FileDescriptor]:
    """The files depind's .proto files import that cosmpy provides, with their imports."""
    from cosmpy.protos.amino import amino_pb2
    from cosmpy.protos.cosmos.base.query.v1beta1 import pagination_pb2
    from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
    from cosmpy.protos.cosmos.msg.v1 import msg_pb2

    ordered: list[FileDescriptor] = []

    def visit(file: FileDescriptor) -> None:
        if file in ordered:
            return
        for dependency in file.dependencies:
            visit(dependency)
        ordered.append(file)

    for module in (amino_pb2, coin_pb2, msg_pb2, pagination_pb2):
        visit(module.DESCRIPTOR)
    return ordered


def descriptor_set(path: Path) -> None:
    files = descriptor_pb2.FileDescriptorSet()
    for descriptor in foreign_descriptors():
        descriptor.CopyToProto(files.file.add())
    path.write_bytes(files.SerializeToString(deterministic=True))


def rewrite_imports(text: str) -> str:
    text = _FOREIGN.sub(r"from cosmpy.protos.\1\2", text)
    return _OWN.sub(rf"from {PACKAGE}.depind\1", text)


def generate(out: Path) -> list[Path]:
    """Write the generated package under ``out`` and return the files written."""
    sources = sorted(p.relative_to(SOURCES).as_posix() for p in SOURCES.rglob("*.proto"))
    package = out / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        deps = Path(scratch) / "deps.pb"
        descriptor_set(deps)
        args = [
            "protoc",
            f"--descriptor_set_in={deps}",
            f"--proto_path={SOURCES}",
            f"--python_out={package}",
            f"--pyi_out={package}",
            *sources,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
    written = sorted(p for p in package.rglob("*.py*") if p.suffix in (".py", ".pyi"))
    for path in written:
        path.write_text(rewrite_imports(path.read_text()))
    for folder in sorted({p.parent for p in written} | {package}):
        while folder != out:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("")
            folder = folder.parent
    return sorted(p for p in package.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="folder to write the protos package into")
    out = parser.parse_args().out
    for path in generate(out):
        print(path.relative_to(out), file=sys.stderr)


if __name__ == "__main__":
    main()
