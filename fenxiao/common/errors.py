"""The base of every app's error type.

Each app subclasses DomainError once and raises it with a stable `code`; the API turns any of them
into `{code, message, detail}` with the error's HTTP status, and the pages show `message`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, detail: Any = None, *, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.detail = detail if detail is not None else {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
