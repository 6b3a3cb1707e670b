"""docs/events.md against the code: the events the hub can carry, their fields and types, their
topics, and the values of their enumerations.

Integrators build on the wire names and fields (B6); the page is their contract, so it must
change when the code does. What the code can publish is found, not listed here: every domain
event of the engine (``Publisher.publish`` pushes any of them), plus any literal
``hub.publish("name", {...}, ...)`` in the production packages. Topics are observed by running
the real ``Publisher`` on one instance of each event.
"""

from __future__ import annotations

import ast
import re
import types
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

import crm.hub
from stasis_app.acd import outputs as o
from stasis_app.publisher import Publisher
from stasis_app.wire import event_type
from web.api.agent import console_status, pop_payload
from web.live import OWN_EVENTS, _display_numbers

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "events.md"
PRODUCTION = ("crm", "web", "stasis_app", "prowebcrm")
TABLE_ROW = re.compile(r"^\| `(\w+)` \| ([^|]+?) \| (.*) \|$")


# -- the code ---------------------------------------------------------------------------------


def engine_events() -> list[type[o.Event]]:
    # From the module's names, not Event.__subclasses__(): a slotted dataclass leaves its
    # pre-slots class behind as a second subclass.
    return sorted({value for value in vars(o).values()
                   if isinstance(value, type) and issubclass(value, o.Event)
                   and value is not o.Event}, key=lambda cls: cls.__name__)


class _Ints:
    """Distinct integers per field, so a topic ``agent:1003`` says which field it came from."""

    def __init__(self) -> None:
        self.field_of: dict[int, str] = {}

    def next(self, name: str) -> int:
        number = 1000 + len(self.field_of)
        self.field_of[number] = name
        return number


def _value(kind: Any, name: str, ints: _Ints) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return _value(next(a for a in get_args(kind) if a is not type(None)), name, ints)
    if origin is tuple:
        return (_value(get_args(kind)[0], name, ints),)
    if kind is bool:
        return True
    if kind is int:
        return ints.next(name)
    if kind is float:
        return 1733390000.5
    if kind is str:
        return f"{name}-1"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return next(iter(kind))
    if is_dataclass(kind):
        return _sample(kind, ints)
    raise AssertionError(f"no sample value for {kind!r} ({name}): teach the test this type")


def _sample(cls: type, ints: _Ints) -> Any:
    hints = get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], f.name, ints) for f in fields(cls)})


class _AnyJournal:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class _RecordingHub:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []

    def wants(self, topics: Any) -> bool:
        return True

    def publish(self, type_: str, data: dict[str, Any], topics: Any) -> None:
        self.published.append((type_, data, tuple(topics)))


@dataclass
class Published:
    """One event as the code publishes it: wire name, data, topics (``agent:<field>``)."""

    name: str
    cls: type | None
    data: dict[str, Any]
    topics: set[str]


@cache
def published_by_engine() -> dict[str, Published]:
    out = {}
    for cls in engine_events():
        ints = _Ints()
        event = _sample(cls, ints)
        hub = _RecordingHub()
        Publisher(_AnyJournal(), hub).publish(event)  # type: ignore[arg-type]
        assert len(hub.published) == 1, f"{cls.__name__} published {len(hub.published)} times"
        name, data, topics = hub.published[0]
        assert name == event_type(event)
        named = set()
        for topic in topics:
            head, _, number = topic.partition(":")
            named.add(f"{head}:<{ints.field_of[int(number)]}>" if number else topic)
        out[name] = Published(name, cls, data, named)
    return out


@cache
def _production_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for folder in PRODUCTION:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "publish"
                        and ast.unparse(node.func.value).lower().endswith("hub")):
                    calls.append((str(path.relative_to(ROOT)), node))
    return calls


@cache
def published_literally() -> dict[str, Published]:
    """``hub.publish("name", {"key": …, **more}, [topic, …])`` outside the Publisher."""
    out = {}
    for path, call in _production_calls():
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        payload, topic_list = call.args[1], call.args[2]
        assert isinstance(payload, ast.Dict) and isinstance(topic_list, (ast.List, ast.Tuple)), (
            f"{path}: publish {first.value!r} with a literal dict and topic list, or teach "
            "this test to read it")
        keys = {k.value for k in payload.keys if isinstance(k, ast.Constant)}
        topics = set()
        for element in topic_list.elts:
            if isinstance(element, ast.Call) and ast.unparse(element.func) == "agent_topic":
                argument = ast.unparse(element.args[0])
                field = next(k.value for k, v in zip(payload.keys, payload.values, strict=True)
                             if isinstance(k, ast.Constant) and ast.unparse(v) == argument)
                topics.add(f"agent:<{field}>")
            else:
                topics.add(getattr(crm.hub, ast.unparse(element)))
        out[first.value] = Published(first.value, None, dict.fromkeys(keys), topics)
    return out


def published() -> dict[str, Published]:
    return {**published_by_engine(), **published_literally()}


def type_name(kind: Any) -> str:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        args = get_args(kind)
        named = " or ".join(type_name(a) for a in args if a is not type(None))
        return named + (" or null" if type(None) in args else "")
    if origin is tuple:
        return "list of " + type_name(get_args(kind)[0])
    plain = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if kind in plain:
        return plain[kind]
    return kind.__name__


def enums_in(cls: type, seen: set[type] | None = None) -> set[type[Enum]]:
    seen = set() if seen is None else seen
    found: set[type[Enum]] = set()
    for kind in get_type_hints(cls).values():
        stack = [kind]
        while stack:
            item = stack.pop()
            stack.extend(get_args(item))
            if isinstance(item, type) and issubclass(item, Enum):
                found.add(item)
            elif is_dataclass(item) and item not in seen:
                seen.add(item)
                found |= enums_in(item, seen)
    return found


# -- the page ---------------------------------------------------------------------------------


@dataclass
class Documented:
    name: str
    text: str
    fields: dict[str, tuple[str, str]]  # name -> (type, meaning)
    nested: dict[str, dict[str, tuple[str, str]]]  # "QueueEntry" -> its table
    topics: set[str]
    own: bool


def _tables(text: str) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """Each table of the text with the line introducing it ("A QueueEntry:" or the rest)."""
    tables: list[tuple[str, dict[str, tuple[str, str]]]] = []
    label, rows, previous = "", None, ""
    for line in text.splitlines():
        match = TABLE_ROW.match(line)
        if match:
            if rows is None:
                rows = {}
                tables.append((label, rows))
            rows[match.group(1)] = (match.group(2).strip(), match.group(3).strip())
        elif not line.startswith("|"):
            rows = None
            if line.strip():
                previous = line.strip()
        if line.startswith("| field"):
            label = previous
    return tables


@cache
def documented() -> dict[str, Documented]:
    text = DOC.read_text(encoding="utf-8")
    events_part = text.split("\n## Events\n", 1)[1].split("\n## ", 1)[0]
    out = {}
    for section in re.split(r"^### ", events_part, flags=re.MULTILINE)[1:]:
        name, _, body = section.partition("\n")
        topics_text = re.search(r"Topics:(.*?)\.(?:\s|$)", body, re.DOTALL)
        assert topics_text, f"{name}: no 'Topics: ….' sentence"
        tables = _tables(body)
        assert tables, f"{name}: no field table"
        nested = {}
        for label, rows in tables[1:]:
            nested_name = re.fullmatch(r"An? (\w+):", label)
            assert nested_name, f"{name}: a second table needs a line 'A TypeName:' before it"
            nested[nested_name.group(1)] = rows
        out[name.strip()] = Documented(
            name=name.strip(), text=body, fields=tables[0][1], nested=nested,
            topics=set(re.findall(r"`([^`]+)`", topics_text.group(1))), own="**Own" in body)
    return out


def documented_values() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    values_part = text.split("\n## Values\n", 1)[1]
    return {m.group(1): re.findall(r"`([^`]+)`", m.group(2))
            for m in re.finditer(r"^- \*\*(\w+)\*\*: (.*)$", values_part, re.MULTILINE)}


# -- the tests --------------------------------------------------------------------------------


def test_the_page_lists_exactly_the_events_the_code_publishes() -> None:
    code, doc = published(), documented()
    assert len(code) >= 17  # the engine's events and the supervisors' actions, at least
    assert sorted(doc) == sorted(code), (
        f"missing on the page: {sorted(set(code) - set(doc))}; "
        f"on the page but never published: {sorted(set(doc) - set(code))}")


def test_only_the_publisher_publishes_computed_names() -> None:
    # A hub.publish with a computed name elsewhere would publish events this test cannot see.
    computed = {path for path, call in _production_calls()
                if not (call.args and isinstance(call.args[0], ast.Constant))}
    assert computed == {"stasis_app/publisher.py"}


def _added_fields(event: Published) -> dict[str, str]:
    """What web.live adds to this event's data on the way out, with the type the page gives."""
    added = {}
    shown = dict(event.data)
    _display_numbers(shown, "FR")
    for key in set(shown) - set(event.data):
        added[key] = "string"
    # The page names the models web.live builds them with (their schemas in the OpenAPI).
    if event.name in OWN_EVENTS and {"agent_id", "from_agent_id"} & set(event.data):
        added["status"] = get_type_hints(console_status)["return"].__name__
    if event.name == "screen.pop":
        added["pop"] = get_type_hints(pop_payload)["return"].__name__
    return added


@pytest.mark.parametrize("name", sorted(published_by_engine()))
def test_engine_event_fields_and_types(name: str) -> None:
    event, doc = published_by_engine()[name], documented()[name]
    assert event.cls is not None
    hints = get_type_hints(event.cls)
    expected = {f.name: type_name(hints[f.name]) for f in fields(event.cls)}
    assert set(event.data) == set(expected)  # what goes on the wire is the dataclass
    expected.update(_added_fields(event))
    assert {k: t for k, (t, _) in doc.fields.items()} == expected
    for key, (_, meaning) in doc.fields.items():
        is_added = key not in event.data
        assert meaning.startswith("added") == is_added, f"{name}.{key}: mark added fields"
        assert len(meaning) > 3, f"{name}.{key} has no meaning"


@pytest.mark.parametrize("name", sorted(published_literally()))
def test_web_event_fields(name: str) -> None:
    event, doc = published_literally()[name], documented()[name]
    expected = set(event.data) | set(_added_fields(event))
    assert set(doc.fields) == expected


def test_nested_objects_are_documented() -> None:
    doc = documented()
    for name, event in published_by_engine().items():
        assert event.cls is not None
        for f in fields(event.cls):
            kind = get_type_hints(event.cls)[f.name]
            inner = get_args(kind)[0] if get_origin(kind) is tuple else None
            if inner is not None and is_dataclass(inner):
                table = doc[name].nested.get(inner.__name__)
                assert table is not None, f"{name}.{f.name}: document {inner.__name__}"
                hints = get_type_hints(inner)
                assert {k: t for k, (t, _) in table.items()} == {
                    g.name: type_name(hints[g.name]) for g in fields(inner)}
                # web.live adds the display form to each entry too: the row must say so.
                entry = event.data[f.name][0]
                shown = {f.name: [dict(entry)]}
                _display_numbers(shown, "FR")
                for key in set(shown[f.name][0]) - set(entry):
                    assert f"`{key}`" in doc[name].fields[f.name][1]


def test_topics_are_the_ones_published_on() -> None:
    doc = documented()
    for name, event in published().items():
        assert doc[name].topics == event.topics, name


def test_own_events_are_marked() -> None:
    marked = {name for name, event in documented().items() if event.own}
    assert marked == set(OWN_EVENTS)


def test_every_enumeration_lists_its_values() -> None:
    enums: set[type[Enum]] = set()
    for cls in engine_events():
        enums |= enums_in(cls)
    values = documented_values()
    assert set(values) == {e.__name__ for e in enums}
    for enum in enums:
        assert values[enum.__name__] == [member.value for member in enum], enum.__name__


def test_the_topics_table_matches_the_hub() -> None:
    text = DOC.read_text(encoding="utf-8")
    for topic in (crm.hub.SUPERVISION, crm.hub.INTEGRATIONS, crm.hub.agent_topic(0)[:-1]):
        assert f"| `{topic}" in text


def test_added_models_are_in_the_openapi_description() -> None:
    # The page sends readers to /api/v1/openapi.json for the objects web.live adds.
    from web.openapi import build_openapi
    from web.routes import API_TABLES

    schemas = build_openapi(API_TABLES)["components"]["schemas"]
    text = DOC.read_text(encoding="utf-8")
    for function in (console_status, pop_payload):
        name = get_type_hints(function)["return"].__name__
        assert name in schemas and f"schema `{name}`" in text
