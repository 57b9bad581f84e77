"""The base of every app's error type, and of its codes.

Each app declares its codes once, as a `StrEnum` in its `errors.py`, and subclasses DomainError once
with `codes = ThatEnum`. A service raises `OrderError(OrderCode.EMPTY_ORDER, message, detail)`; a
code that is not a member of the app's enum is refused at the raise, so no code is a bare string
and each is listed in one place. The API turns any of them into `{code, message, detail}` with the
error's HTTP status, and the pages show `message`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CommonCode(StrEnum):
    """Codes raised by `common` itself and by code that has no app error of its own."""

    NOT_FOUND = "not_found"
    OWN_OBJECT = "own_object"
    OWN_PROPOSAL = "own_proposal"
    INVALID_INPUT = "invalid_input"
    THROTTLED = "throttled"
    OUT_OF_RANGE = "out_of_range"
    PAYLOAD_TOO_LARGE = "payload_too_large"


class DomainError(Exception):
    status = 400
    #: The app's code enum. `None` only on DomainError itself, which accepts `CommonCode`.
    codes: ClassVar[type[StrEnum] | None] = None

    def __init__(self, code: StrEnum, message: StrOrPromise, detail: Any = None, *, status: int | None = None) -> None:
        self.code = self._code_value(code)
        super().__init__(message)
        self.message = str(message)
        self.detail = detail if detail is not None else {}
        if status is not None:
            self.status = status

    @classmethod
    def _code_value(cls, code: object) -> str:
        allowed = cls.codes or CommonCode
        if isinstance(code, (allowed, CommonCode)):
            return str(code.value)
        if isinstance(code, str) and (code in allowed._value2member_map_ or code in CommonCode._value2member_map_):
            return code
        raise TypeError(f"{cls.__name__}: {code!r} is not a member of {allowed.__name__} or CommonCode")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
