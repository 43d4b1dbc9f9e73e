"""The layers hold (issue 18): the import contracts of ``pyproject.toml`` are kept, and
no module of apdu or jpki is in an import cycle, not even through a package's
``__init__`` (which import-linter's acyclic contract, comparing siblings, does not see).

An import inside a function or under ``TYPE_CHECKING`` counts: a cycle is resolved by
moving what the modules share, not by hiding an import."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def _config() -> Any:
    return tomllib.loads(PYPROJECT.read_text("utf-8"))["tool"]["importlinter"]


def test_the_import_contracts_are_kept() -> None:
    status = lint_imports(config_filenames=(str(PYPROJECT),), no_cache=True, no_logo=True)
    assert status == 0, "lint-imports: a contract is broken (its report is above)"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_is_in_an_import_cycle() -> None:
    config = _config()
    built = grimp.build_graph(*config["root_packages"], cache_dir=None)
    graph = {m: set(built.find_modules_directly_imported_by(m)) for m in built.modules}
    (acyclic,) = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    for ignored in acyclic.get("ignore_imports", []):
        importer, imported = (part.strip() for part in ignored.split("->"))
        graph[importer].discard(imported)
    assert _cycles(graph) == []


def test_a_cycle_is_found() -> None:
    """The search above can fail: through a package, and between two modules."""
    assert _cycles({"p": {"p.a"}, "p.a": {"p.b"}, "p.b": {"p"}, "q": set()}) == [
        ["p", "p.a", "p.b"]
    ]
    assert _cycles({"a": {"b"}, "b": {"a", "c"}, "c": set()}) == [["a", "b"]]
