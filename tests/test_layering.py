"""The dependency rule (DESIGN.md "Layout") and vm/'s determinism rules, read from imports.

Imports point one way: node -> consensus, vm, gpu, genesis; vm -> gpu, genesis;
consensus never imports vm; gpu imports nothing from the chain; nothing imports
node except node itself and tests. vm/ imports no clock, randomness, threads,
async runtime, network or OS environment, and does not call ``float``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("node", "consensus", "vm", "gpu", "genesis")

# package -> the chain packages it must never import
FORBIDDEN_PACKAGES = {
    "consensus": {"vm", "node"},
    "gpu": {"vm", "node", "consensus", "genesis"},
    "vm": {"node", "consensus"},
    "genesis": {"vm", "node", "consensus"},
}
# Modules whose use would make the state transition depend on something other than (state, block).
NONDETERMINISTIC = {
    "time",
    "datetime",
    "random",
    "os",
    "threading",
    "socket",
    "asyncio",
    "trio",
    "secrets",
    "uuid",
}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # absolute dotted name

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports_of(path: Path, tree: ast.Module | None = None) -> Iterator[Import]:
    """Every module ``path`` imports: plain, from-, relative, under TYPE_CHECKING, inside
    functions, and ``importlib.import_module`` / ``__import__`` with a literal name."""
    tree = tree if tree is not None else parse(path)
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield Import(path, node.lineno, module)
        elif isinstance(node, ast.Call) and (name := _dynamic_import_name(node)) is not None:
            yield Import(path, node.lineno, name)


def _dynamic_import_name(call: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")`` or ``__import__("x")``."""
    func = call.func
    named = isinstance(func, ast.Name) and func.id in ("__import__", "import_module")
    if not (named or (isinstance(func, ast.Attribute) and func.attr == "import_module")):
        return None
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def float_uses(path: Path, tree: ast.Module | None = None) -> Iterator[str]:
    """Calls of ``float(...)`` and float literals."""
    tree = tree if tree is not None else parse(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
            yield f"{path.relative_to(ROOT)}:{node.lineno}: float(...)"
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            yield f"{path.relative_to(ROOT)}:{node.lineno}: float literal {node.value!r}"


def python_files(*folders: str) -> list[Path]:
    files = []
    for folder in folders:
        base = ROOT / folder
        if base.is_dir():
            files += sorted(p for p in base.rglob("*.py") if ".venv" not in p.parts)
    return files


def importable_packages() -> list[str]:
    """Top-level packages (folders with ``__init__.py``), except tests.

    Leaf programs such as scripts/ (benchmarks that drive a node) cannot be
    imported by anything and are exempt, like tests."""
    return sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests")


def violations_of_package_rule(package: str) -> list[str]:
    banned = FORBIDDEN_PACKAGES[package]
    return [
        f"{imp.where()}: {package}/ imports {imp.module}"
        for path in python_files(package)
        for imp in imports_of(path)
        if imp.top in banned
    ]


# -- the rules ---------------------------------------------------------------------------------


def test_packages_exist() -> None:
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package
    assert len(python_files("vm")) > 10


@pytest.mark.parametrize("package", sorted(FORBIDDEN_PACKAGES))
def test_package_imports_point_one_way(package: str) -> None:
    found = violations_of_package_rule(package)
    assert not found, "\n".join(found)


def test_nothing_imports_node_except_node_and_tests() -> None:
    folders = [f for f in importable_packages() if f != "node"]
    assert set(PACKAGES) - {"node"} <= set(folders)
    found = [
        f"{imp.where()}: imports {imp.module}"
        for path in python_files(*folders)
        for imp in imports_of(path)
        if imp.top == "node"
    ]
    assert not found, "\n".join(found)


def test_vm_imports_nothing_nondeterministic() -> None:
    found = [
        f"{imp.where()}: vm/ imports {imp.module}"
        for path in python_files("vm")
        for imp in imports_of(path)
        if imp.top in NONDETERMINISTIC
    ]
    assert not found, "\n".join(found)


def test_vm_uses_no_floats() -> None:
    found = [use for path in python_files("vm") for use in float_uses(path)]
    assert not found, "\n".join(found)


# -- the checker itself --------------------------------------------------------------------------


def check_source(source: str, path: Path = ROOT / "vm" / "auth" / "probe.py") -> tuple[list[str], list[str]]:
    tree = ast.parse(source)
    modules = [imp.module for imp in imports_of(path, tree)]
    return modules, list(float_uses(path, tree))


def test_checker_sees_every_import_form() -> None:
    source = """
import os.path
from time import monotonic
from . import keeper
from ..bank.keeper import send
from .. import node_like
import importlib
importlib.import_module("random")
__import__("socket")

def later():
    import threading
    if True:
        from typing import TYPE_CHECKING
"""
    modules, _ = check_source(source)
    assert {"os.path", "time", "vm.auth", "vm.bank.keeper", "vm", "random", "socket"} <= set(modules)
    assert "threading" in modules


def test_checker_reports_file_and_line() -> None:
    path = ROOT / "vm" / "probe.py"
    found = [imp.where() for imp in imports_of(path, ast.parse("x = 1\nimport node.keys\n"))]
    assert found == ["vm/probe.py:2"]


def test_checker_resolves_relative_imports_in_packages() -> None:
    path = ROOT / "vm" / "auth" / "__init__.py"
    modules = [
        imp.module for imp in imports_of(path, ast.parse("from .keeper import Account\nfrom .. import app\n"))
    ]
    assert modules == ["vm.auth.keeper", "vm"]


def test_checker_flags_floats() -> None:
    _, floats = check_source("a = float(x)\nb = 0.5\nc = 1 // 2\n")
    assert floats == ["vm/auth/probe.py:1: float(...)", "vm/auth/probe.py:2: float literal 0.5"]


def test_checker_finds_violations_in_a_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for package, source in {
        "vm": "import datetime\n\n\ndef f():\n    return float('1')\n",
        "consensus": "from vm.app import App\n",
        "gpu": "import genesis.schema\n",
        "genesis": "from node import keys\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "mod.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert violations_of_package_rule("consensus") == ["consensus/mod.py:1: consensus/ imports vm.app"]
    assert violations_of_package_rule("gpu") == ["gpu/mod.py:1: gpu/ imports genesis.schema"]
    assert violations_of_package_rule("genesis") == ["genesis/mod.py:1: genesis/ imports node"]
    with pytest.raises(AssertionError, match=r"vm/mod.py:1: vm/ imports datetime"):
        test_vm_imports_nothing_nondeterministic()
    with pytest.raises(AssertionError, match=r"vm/mod.py:5: float\(\.\.\.\)"):
        test_vm_uses_no_floats()
    with pytest.raises(AssertionError, match=r"genesis/mod.py:1: imports node"):
        test_nothing_imports_node_except_node_and_tests()


def vm_modules() -> list[str]:
    """The module folders of vm/ (those with a ``module.py`` for the registry)."""
    return sorted(p.parent.name for p in (ROOT / "vm").glob("*/module.py"))


def test_modules_reach_each_other_only_through_expected_keepers() -> None:
    """A module never imports another module's folder: what it needs from another is a
    protocol in its own ``expected.py``, filled in by the registry with the other's keeper."""
    modules = vm_modules()
    assert {"auth", "bank", "provider"} <= set(modules)
    found = [
        f"{imp.where()}: vm/{module}/ imports {imp.module}"
        for module in modules
        for path in python_files(f"vm/{module}")
        for imp in imports_of(path)
        if imp.module.startswith("vm.")
        and imp.module.split(".")[1] in modules
        and imp.module.split(".")[1] != module
    ]
    assert found == []
