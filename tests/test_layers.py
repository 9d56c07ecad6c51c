"""The layer rule: bot → flows → storage, never upward; flows hold no SQL or Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "storage": ("bot", "flows", "aiogram", "telegram"),
    "flows": ("bot", "aiogram", "telegram", "sqlalchemy"),
}


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package: str) -> None:
    bad = []
    for path in (ROOT / package).rglob("*.py"):
        for name in imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_flows_files_and_classes_stay_small() -> None:
    """A file over 400 lines or a class over 250 is a sign to cut along a seam."""
    big = []
    for path in (ROOT / "flows").rglob("*.py"):
        text = path.read_text()
        if text.count("\n") > 400:
            big.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 250:
                big.append(f"{path.relative_to(ROOT)}: class {node.name}")
    assert big == []


def test_no_import_circle_among_flows_modules() -> None:
    """Module-level imports inside flows/ form no circle (shared helpers sit below)."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "flows").rglob("*.py"):
        tree = ast.parse(path.read_text())
        found = set()
        for node in tree.body:  # module level only: an import inside a function is lazy
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                    "flows."):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("flows.")}
        graph[_module(path)] = found
    cycles = []

    def visit(node: str, stack: list[str], done: set[str]) -> None:
        if node in stack:
            cycles.append(" → ".join([*stack[stack.index(node):], node]))
            return
        if node in done or node not in graph:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*stack, node], done)
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        visit(module, [], done)
    assert cycles == []


def storage_modules(path: Path) -> set[str]:
    """The ``storage`` modules a file imports, ``from storage import x`` counted as
    ``storage.x``, anywhere in the file (an import inside a function too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "storage"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "storage":
                found |= {f"storage.{a.name}" for a in node.names}
            elif node.module.startswith("storage."):
                found.add(node.module)
    return found


def test_casework_reaches_storage_through_one_interface() -> None:
    """Casework reads and writes through ``storage/casestore.py`` only, so its whole surface
    on the database is one list, not calls spread over the statement modules."""
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in sorted((ROOT / "flows" / "casework").rglob("*.py"))
           for name in sorted(storage_modules(path)) if name != "storage.casestore"]
    assert bad == []


def test_casework_decisions_import_no_storage() -> None:
    """The desk's decisions get what was read and return changes: no storage at all."""
    assert storage_modules(ROOT / "flows" / "casework" / "decisions.py") == set()


def test_the_interface_check_sees_every_way_of_importing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import storage.db\nfrom storage import casework as db, casestore\n"
                      "from storage.console import QueueFilter\n"
                      "def f() -> None:\n    from storage import repository\n")
    assert storage_modules(sample) == {"storage.db", "storage.casework", "storage.casestore",
                                       "storage.console", "storage.repository"}


@pytest.mark.parametrize("package", ["bot", "storage"])
def test_no_file_over_400_lines(package: str) -> None:
    """The file limit holds outside flows/ too (the CLI was cut along its command groups)."""
    big = [f"{path.relative_to(ROOT)}: {path.read_text().count(chr(10))} lines"
           for path in (ROOT / package).rglob("*.py") if path.read_text().count("\n") > 400]
    assert big == []
