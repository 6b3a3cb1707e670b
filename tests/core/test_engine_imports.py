"""The engine (stasis_app.acd) imports nothing but itself and the standard library.

import-linter's "engine-pure" contract (pyproject.toml) lists the project's packages and the
third-party packages installed today; this test closes the gap for any other package a change
might bring in."""

from __future__ import annotations

import sys

import grimp

ENGINE = "stasis_app.acd"


def _outside_imports(package: str) -> dict[str, set[str]]:
    graph = grimp.build_graph("stasis_app", include_external_packages=True)
    found: dict[str, set[str]] = {}
    for module in graph.find_descendants(package) | {package}:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != package and not imported.startswith(package + "."):
                found.setdefault(imported.split(".")[0], set()).add(module)
    return found


def test_the_engine_imports_only_itself_and_the_standard_library() -> None:
    outside = _outside_imports(ENGINE)
    assert outside, "the graph found no import at all: the check would prove nothing"
    not_stdlib = {name: sorted(modules) for name, modules in outside.items()
                  if name not in sys.stdlib_module_names}
    assert not_stdlib == {}


def test_the_check_sees_a_third_party_import() -> None:
    """The same walk over the ARI client finds aiohttp: the check can fail."""
    outside = _outside_imports("stasis_app.ari")
    assert "aiohttp" in outside
    assert "aiohttp" not in sys.stdlib_module_names
