"""Links between the docs pages (and from the README) lead somewhere: the file exists, and an
anchor names one of its headings."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # "# comments" in code blocks
    return {_slug(h) for h in re.findall(r"^#{1,6} +(.+)$", text, re.MULTILINE)}


def test_relative_links_resolve() -> None:
    assert len(PAGES) >= 5  # the README and the four pages
    checked = 0
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # an absolute URL
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target} does not exist"
            if anchor:
                assert anchor in _anchors(linked), f"{page.name}: no heading for #{anchor}"
            checked += 1
    assert checked >= 8
