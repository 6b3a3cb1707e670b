"""docs/architecture.md's table of packages and their imports is the real import graph.

The page tells a newcomer what each package may import; a dependency added in the code and
not on the page (or the reverse) makes it lie, so it is computed here from the sources,
imports inside functions included.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("crm", "web", "stasis_app", "prowebcrm", "asterisk_sim", "migrations")
# Sub-packages with rules of their own.
UNITS = ("stasis_app.acd", "stasis_app.ari")


def _unit(module: str) -> str:
    for unit in UNITS:
        if module == unit or module.startswith(unit + "."):
            return unit
    return module.split(".")[0]


def _module_of(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def imported_names(path: Path) -> list[tuple[str, bool]]:
    """Every module name the file imports, relative ones resolved (name, was relative)."""
    module, is_package = _module_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[:len(base) - node.level + 1]
                found.append((".".join(base + ([node.module] if node.module else [])), True))
            else:
                found.append((node.module or "", False))
    return found


def _sources() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


@cache
def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        source = _unit(_module_of(path)[0])
        graph[source]  # a package importing nothing is in the graph too
        for name, _ in imported_names(path):
            if name.split(".")[0] in PACKAGES and _unit(name) != source:
                graph[source].add(_unit(name))
    return graph


def documented_graph() -> dict[str, set[str]]:
    text = DOC.read_text(encoding="utf-8")
    part = text.split("## Packages and what each may import", 1)[1].split("\n## ", 1)[0]
    graph = {}
    for row in re.finditer(r"^\| `([\w.]+)` \| ([^|]*) \|", part, re.MULTILINE):
        graph[row.group(1)] = set(re.findall(r"`([\w.]+)`", row.group(2)))
    return graph


def test_the_table_is_the_import_graph() -> None:
    real, doc = import_graph(), documented_graph()
    assert set(doc) == set(real), "one row per package"
    for package in sorted(real):
        assert doc[package] == real[package], (
            f"{package}: page says {sorted(doc[package])}, code imports {sorted(real[package])}")


def test_the_engine_and_the_domain_stay_independent() -> None:
    # The rules the page states in words; the table test alone would let them change
    # silently with the page.
    real = import_graph()
    assert real["stasis_app.acd"] == set()
    assert real["stasis_app.ari"] == set()
    assert not real["crm"] & {"web", "stasis_app", "stasis_app.acd", "stasis_app.ari"}
    assert not real["web"] & {"stasis_app.ari", "asterisk_sim"}
    assert [p for p, imports in real.items() if "asterisk_sim" in imports] == ["prowebcrm"]


def test_the_scan_resolves_relative_imports() -> None:
    # A relative import resolved wrongly would hide an edge: each must name a real module.
    relative = [(path, name) for path in _sources()
                for name, was_relative in imported_names(path) if was_relative]
    assert relative, "the engine uses relative imports: the scan must see them"
    for path, name in relative:
        target = ROOT.joinpath(*name.split("."))
        assert target.with_suffix(".py").exists() or (target / "__init__.py").exists(), (
            f"{path}: {name}")
