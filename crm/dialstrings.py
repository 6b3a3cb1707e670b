"""What a user may type that ends up in a dial string: extensions and numbers to dial.

The agent's extension fills the agent dial template (``PJSIP/{extension}``), the supervisor's
spy extension the same, a click-to-call or transfer number the outbound one
(``PJSIP/{number}@trunk``). A value with ``@`` or ``/`` there chooses where Asterisk sends the
call (toll fraud, a caller's audio sent off-site), one with ``&`` rings several places, one
with ``,`` or a control character changes the dial's arguments. So every such value passes
two checks, here and nowhere else:

- a fixed allow-list of characters no deployment can widen (ASCII letters and digits,
  ``*``, ``#``, ``+``, ``.``, ``_``, ``-``);
- the deployment's own pattern for extensions (``PROWEBCRM_EXTENSION_PATTERN``, digits only
  by default) and a fixed pattern for outside numbers.

The extension pattern is per deployment, but the input models are built at import time: the
pattern is therefore process-wide, set once from the settings when the web app is created
(:func:`configure`), and read at validation time and when the OpenAPI document is generated.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from crm.errors import N_

DEFAULT_EXTENSION_PATTERN = r"^[0-9]{2,8}$"
MAX_EXTENSION_LENGTH = 32
# Whatever the deployment's pattern says, nothing outside these characters reaches a dial
# string: no "@", "/", ",", "&", ";", quotes, brackets, whitespace or control character.
_ALLOWED = re.compile(r"[A-Za-z0-9*#+._-]+")
# An outside number as the ACD dials it: an optional "+", then ASCII digits, "*" or "#".
NUMBER_PATTERN = r"^\+?[0-9*#]{1,32}$"
_NUMBER = re.compile(NUMBER_PATTERN)
# What outbound legs present (a group's outbound caller id, PROWEBCRM_OUTBOUND_CALLER_ID): a
# number (digits, optional leading "+"), or '"Name" <number>'. It becomes the originate's
# callerId, hence From and P-Asserted-Identity on the trunk: nothing else may get through.
CALLER_ID_PATTERN = r'^(\+?[0-9]{1,20}|"[^"<>\\]{1,50}" <\+?[0-9]{1,20}>)$'

_extension_pattern = re.compile(DEFAULT_EXTENSION_PATTERN)

# Values any sane pattern must refuse: a pattern that accepts one of these is a mistake
# (and the allow-list would refuse the value anyway, so the admin is told at start-up).
_PROBES = ("1@2", "1@trunk", "1/2", "1,2", "1&2", "1 2", "1\t2", "1\n2", "1;2", "")


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be the extension pattern, or None when it can."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    accepted = [probe for probe in _PROBES if compiled.fullmatch(probe)]
    if accepted:
        return f"accepts {accepted[0]!r}; allow digits (and letters) only"
    return None


def configure(pattern: str) -> None:
    """Use ``pattern`` (already checked by the settings) for every extension from now on."""
    global _extension_pattern
    problem = pattern_problem(pattern)
    if problem:
        raise ValueError(f"extension pattern {pattern!r} {problem}")
    _extension_pattern = re.compile(pattern)


def extension_pattern() -> str:
    return _extension_pattern.pattern


def is_extension(value: str) -> bool:
    return (len(value) <= MAX_EXTENSION_LENGTH and bool(_ALLOWED.fullmatch(value))
            and bool(_extension_pattern.fullmatch(value)))


def is_number(value: str) -> bool:
    return bool(_NUMBER.fullmatch(value))


def check_extension(value: str) -> str:
    if not is_extension(value):
        raise ValueError(N_("not a valid extension for this call centre"))
    return value


def check_optional_extension(value: str) -> str:
    return value if value == "" else check_extension(value)


def check_number(value: str) -> str:
    if not is_number(value):
        raise ValueError(N_("not a number that can be dialled (digits, * and #, "
                            "optionally after +)"))
    return value


def check_transfer_target(kind: str, value: str) -> str:
    """A transfer's ``value``: an id for kind agent/group, a dialable number for number."""
    if kind == "number":
        return check_number(value)
    if not (value.isascii() and value.isdigit() and len(value) <= 10
            and 1 <= int(value) <= 2**31 - 1):
        raise ValueError(N_("must be the id of an agent or a group"))
    return value


class _PatternInSchema:
    """Writes the deployment's current pattern into the JSON schema (OpenAPI), so clients
    see the rule the server applies."""

    def __init__(self, optional: bool) -> None:
        self.optional = optional

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        result: dict[str, Any] = handler(schema)
        body = f"(?:{_extension_pattern.pattern})"
        result["pattern"] = f"^(?:{body}|)$" if self.optional else f"^{body}$"
        result["description"] = ("the phone's extension; the call centre's pattern "
                                 "(PROWEBCRM_EXTENSION_PATTERN)"
                                 + (", or empty for none" if self.optional else ""))
        return result


Extension = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EXTENSION_LENGTH),
    AfterValidator(check_extension),
    _PatternInSchema(optional=False),
]
# An account's default extension: empty means "none yet".
OptionalExtension = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_EXTENSION_LENGTH),
    AfterValidator(check_optional_extension),
    _PatternInSchema(optional=True),
]
DialNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=33,
                      pattern=NUMBER_PATTERN),
]
