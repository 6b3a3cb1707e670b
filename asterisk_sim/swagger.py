"""A small validator for ARI's Swagger 1.2 models (no dependency needed).

Checks required fields, types, unknown fields and enum values, following the
model inheritance (`subTypes`) and the `type` discriminator of Message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PRIMITIVES = {"string", "int", "long", "double", "boolean", "Date", "object", "containers", "void"}


class SwaggerModels:
    def __init__(self, docs_dir: Path) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.operations: list[tuple[str, re.Pattern[str], int, str]] = []
        for path in sorted(Path(docs_dir).glob("*.json")):
            doc = json.loads(path.read_text())
            self.models.update(doc.get("models", {}))
            for api in doc.get("apis", []):
                template = api["path"]
                regex = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
                for op in api.get("operations", []):
                    self.operations.append(
                        (
                            op["httpMethod"],
                            regex,
                            template.count("{"),
                            op.get("responseClass", "void"),
                        )
                    )
        self.parents: dict[str, str] = {}
        for name, model in self.models.items():
            for sub in model.get("subTypes", []):
                self.parents[sub] = name

    # --- models ---------------------------------------------------------------
    def properties(self, model: str) -> dict[str, dict[str, Any]]:
        chain = []
        cur: str | None = model
        while cur is not None:
            chain.append(cur)
            cur = self.parents.get(cur)
        props: dict[str, dict[str, Any]] = {}
        for name in reversed(chain):
            props.update(self.models[name].get("properties", {}))
        return props

    def validate(self, value: Any, type_name: str, where: str = "$") -> list[str]:
        if type_name.startswith("List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                return [f"{where}: expected a list for {type_name}"]
            errors: list[str] = []
            for i, item in enumerate(value):
                errors += self.validate(item, type_name[5:-1], f"{where}[{i}]")
            return errors
        if type_name in PRIMITIVES:
            return self._primitive(value, type_name, where)
        if type_name not in self.models:
            return [f"{where}: unknown type {type_name}"]
        if not isinstance(value, dict):
            return [f"{where}: expected object {type_name}"]
        model = type_name
        discriminator = self._discriminator(model)
        if discriminator and isinstance(value.get(discriminator), str):
            sub = value[discriminator]
            if sub not in self.models or not self._is_subtype(sub, model):
                return [f"{where}: {discriminator}={sub!r} is not a subtype of {model}"]
            model = sub
        props = self.properties(model)
        errors = []
        for name, spec in props.items():
            if spec.get("required") and name not in value:
                errors.append(f"{where}: {model}.{name} is required")
        for name, item in value.items():
            field_spec = props.get(name)
            if field_spec is None:
                errors.append(f"{where}: unknown field {model}.{name}")
                continue
            errors += self.validate(item, field_spec["type"], f"{where}.{name}")
            allowed = field_spec.get("allowableValues") or {}
            if allowed.get("valueType") == "LIST" and item not in allowed.get("values", []):
                errors.append(f"{where}.{name}: {item!r} not in {allowed['values']}")
        return errors

    def _discriminator(self, model: str) -> str | None:
        cur: str | None = model
        while cur is not None:
            disc = self.models[cur].get("discriminator")
            if disc:
                return str(disc)
            cur = self.parents.get(cur)
        return None

    def _is_subtype(self, sub: str, model: str) -> bool:
        cur: str | None = sub
        while cur is not None:
            if cur == model:
                return True
            cur = self.parents.get(cur)
        return False

    @staticmethod
    def _primitive(value: Any, type_name: str, where: str) -> list[str]:
        ok = {
            "string": isinstance(value, str),
            "Date": isinstance(value, str)
            and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d{4}|Z)", value)
            is not None,
            "int": isinstance(value, int) and not isinstance(value, bool),
            "long": isinstance(value, int) and not isinstance(value, bool),
            "double": isinstance(value, int | float) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "object": isinstance(value, dict),
            "containers": isinstance(value, dict),
            "void": value is None,
        }[type_name]
        return [] if ok else [f"{where}: {value!r} is not a valid {type_name}"]

    # --- events and REST replies -------------------------------------------
    def validate_event(self, event: dict[str, Any]) -> list[str]:
        if event.get("type") not in self.models:
            return [f"unknown event type {event.get('type')!r}"]
        return self.validate(event, "Message")

    def response_class(self, method: str, path: str) -> str | None:
        """The documented reply model for a request path (under /ari)."""
        rel = path[len("/ari") :] if path.startswith("/ari") else path
        matches = [(n, rc) for m, rx, n, rc in self.operations if m == method and rx.match(rel)]
        if not matches:
            return None
        return min(matches)[1]  # a literal segment beats a {parameter}

    def validate_reply(self, method: str, path: str, status: int, body: Any) -> list[str]:
        where = f"{method} {path} -> {status}"
        if status >= 400:
            if not (
                isinstance(body, dict)
                and set(body) == {"message"}
                and isinstance(body["message"], str)
            ):
                return [f"{where}: error body must be {{'message': str}}, got {body!r}"]
            return []
        rc = self.response_class(method, path)
        if rc is None:
            return [f"{where}: no such operation in the Swagger docs"]
        if rc == "void":
            return [] if body is None and status == 204 else [f"{where}: expected 204 no body"]
        return [f"{where}: {e}" for e in self.validate(body, rc)]
