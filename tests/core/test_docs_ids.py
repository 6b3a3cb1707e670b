"""Every requirement id the code cites (S7, C4, R-order, B10…) is defined in docs/requirements.md.

Comments and docstrings point at requirements by id; an id that resolves nowhere sends the
reader nowhere. The requirements page gives each id a heading of its own (``### S7 …``), so a
cited id must be one of those headings.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "docs" / "requirements.md"
SCANNED = ("crm", "web", "stasis_app", "prowebcrm", "asterisk_sim", "bench", "tests", "templates")
SUFFIXES = {".py", ".js", ".html"}
# Third-party code shipped as is: its text is not ours to cite anything.
SKIPPED_PARTS = {"vendor", "__pycache__"}

# S1…S9, C1…C9, B1…B13 and the ARI rules (R-ids…); not inside a longer word (``0xC1``,
# ``MP-S3``), a URL escape (``lumi%C3%A8re``) or a colour (``#C10``).
ID = re.compile(r"(?<![\w%#-])(?:[SCB][0-9]{1,2}|R-[a-z]+)(?![\w-])")
HEADING = re.compile(r"^#{2,4} +(\S+)", re.MULTILINE)


def _prose(path: Path) -> str:
    """Comments and string literals of a Python file (an identifier such as ``C1`` in code is
    no citation); the whole text of a template or a script, whose comments cite ids too."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return text
    parts = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            parts.append(token.string)
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", None):
            parts.append(token.string)
    return "\n".join(parts)


@cache
def cited_ids() -> dict[str, list[str]]:
    """Each cited id and the files citing it."""
    found: dict[str, list[str]] = defaultdict(list)
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in SUFFIXES or SKIPPED_PARTS & set(path.parts):
                continue
            for ident in set(ID.findall(_prose(path))):
                found[ident].append(str(path.relative_to(ROOT)))
    return found


def defined_ids() -> list[str]:
    text = REQUIREMENTS.read_text(encoding="utf-8")
    return [word for word in HEADING.findall(text) if ID.fullmatch(word)]


def test_every_cited_id_is_defined() -> None:
    defined = set(defined_ids())
    cited = cited_ids()
    missing = {ident: files[:3] for ident, files in cited.items() if ident not in defined}
    assert not missing, f"ids cited in the code but not headings of docs/requirements.md: {missing}"


def test_the_scan_sees_the_citations() -> None:
    # A scanner that silently found nothing would pass the test above: it must see the
    # citations known to be there, in Python comments, docstrings and scripts alike.
    cited = cited_ids()
    assert len(cited) >= 30
    assert "stasis_app/acd/outputs.py" in cited["R-ids"]  # module docstring
    assert "crm/hub.py" in cited["B6"]  # comment
    assert "web/static/js/wallboard.js" in cited["B2"]  # script comment


def test_each_id_is_defined_once_and_says_something() -> None:
    ids = defined_ids()
    assert len(ids) == len(set(ids)), "an id has two headings"
    text = REQUIREMENTS.read_text(encoding="utf-8")
    for ident in ids:
        body = re.search(rf"^#{{2,4}} +{re.escape(ident)}\b.*?\n(.*?)(?=^#|\Z)", text,
                         re.MULTILINE | re.DOTALL)
        assert body is not None and len(body.group(1).split()) >= 8, f"{ident} has no text"


def test_the_whole_specification_is_there() -> None:
    expected = ({f"S{n}" for n in range(1, 10)} | {f"C{n}" for n in range(1, 10)}
                | {f"B{n}" for n in range(1, 14)}
                | {f"R-{name}" for name in ("ids", "wait", "order", "reconnect", "single",
                                            "subscribe", "fallback", "timers", "claim",
                                            "teardown", "transfer", "converge")})
    assert set(defined_ids()) == expected
