"""The rules every piece of outside input passes before any app sees it.

- Integers fit a signed 64-bit column (the widest the database has): a larger number in an API body,
  query string or path is refused with 400 `out_of_range` instead of failing in the database, and a
  page URL's id simply does not match (404).
- Text carries no control characters: NUL (which PostgreSQL cannot store), the other C0 and C1 controls,
  DEL and lone surrogates are refused with 422 `invalid_input`. Tab, line feed and carriage return stay
  allowed, because multi-line text (notes, addresses, reasons) is ordinary input.
- Input names only the fields it has. A field that looks like a rate for a third commission level is
  `commission_depth_exceeded`; any other unknown field is `invalid_input`.

The API applies these to the raw request (`fenxiao.common.api_guard`) and, for integers sent as text,
in `InputSchema`, the base of every request body schema (`StrictIn` for operator input); the pages and
the admin in `fenxiao.common.middleware`; the page URLs through the `int64` path converter. What only
the database can know (a column narrower than 64 bits) is answered by config/api.py's handlers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from .errors import CommonCode, DomainError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# C0 controls except \t \n \r, DEL, C1 controls, and UTF-16 surrogates (which no encoder accepts alone).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")

# A rate for a level beyond direct + indirect, however it is spelled: third_rate_bp, level3_rate_bp, tier3…
THIRD_LEVEL_TAGS = ("third", "level3", "l3", "depth3", "tier3")


class InputError(DomainError):
    """Out of range (400), invalid input (422), payload too large (413)."""

    codes = CommonCode


def third_level_fields(names: Iterable[str]) -> list[str]:
    """The names among `names` that would set a third commission level."""
    return sorted(name for name in names if any(tag in str(name).lower() for tag in THIRD_LEVEL_TAGS))


def out_of_range(field: str) -> InputError:
    return InputError(
        CommonCode.OUT_OF_RANGE,
        _("数值超出允许范围"),
        {"field": field, "min": INT64_MIN, "max": INT64_MAX},
    )


def control_character(source: str, loc: tuple[Any, ...]) -> InputError:
    message = _("文本中不能包含控制字符")
    return InputError(
        CommonCode.INVALID_INPUT,
        _("请求参数不正确"),
        {"errors": [{"type": "control_character", "loc": [source, *loc], "msg": message}]},
        status=422,
    )


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _problems(value: Any, loc: tuple[Any, ...]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            yield "range", loc
    elif isinstance(value, float):
        # pydantic turns a whole float such as 1e30 into an int
        if value != value or not INT64_MIN <= value <= INT64_MAX:
            yield "range", loc
    elif isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            yield "control", loc
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                yield "control", (*loc, key)
            yield from _problems(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _problems(item, (*loc, index))


def check_data(value: Any, source: str = "body") -> None:
    """Refuse a parsed JSON document holding an integer beyond 64 bits or a control character."""
    for kind, loc in _problems(value, ()):
        raise out_of_range(_dotted(loc)) if kind == "range" else control_character(source, loc)


def check_text_fields(items: Iterable[tuple[str, str]], source: str, *, numbers: bool = False) -> None:
    """Refuse text parameters holding a control character. With `numbers` (the API's query strings and
    path segments, whose integer parameters arrive as text) a value made only of digits that does not fit
    64 bits is refused too; forms are left out because a bank card number is digits and may be longer."""
    for key, value in items:
        value = str(value)
        if CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value):
            raise control_character(source, (key,))
        if numbers and len(value) > 18 and _INTEGER_TEXT.fullmatch(value) and not INT64_MIN <= int(value) <= INT64_MAX:
            raise out_of_range(key)


class Int64Converter:
    """`<int64:name>` in a page URL: a non-negative whole number that fits the database. A larger one
    does not match the pattern, so the page answers 404 like for any id that does not exist."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > INT64_MAX:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def _big_integers(value: Any, loc: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            yield loc
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _big_integers(getattr(value, name), (*loc, name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _big_integers(key, (*loc, key))
            yield from _big_integers(item, (*loc, key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _big_integers(item, (*loc, index))


class InputSchema(Schema):
    """The base of every request body schema.

    A field the schema does not declare is refused (422 `invalid_input`, the error's `loc` naming the
    field), never silently dropped: a client that misspells a field learns it instead of getting 200
    with nothing saved (docs/decisions/0010-unknown-input-fields.md).

    Integer fields fit 64 bits once validated, so a number sent as text ("99999999999999999999", which
    pydantic accepts for an int) is refused with `out_of_range` too; the raw JSON check cannot do that
    without knowing which strings are numbers."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _integers_fit_64_bits(self) -> Self:
        for loc in _big_integers(self, ()):
            raise PydanticCustomError("out_of_range", "integer beyond 64 bits: {field}", {"field": _dotted(loc)})
        return self


class StrictIn(InputSchema):
    """The base of operator input schemas; it refuses unknown fields like every input (a third-level
    rate is reported as `commission_depth_exceeded`, see `third_level_fields`)."""
