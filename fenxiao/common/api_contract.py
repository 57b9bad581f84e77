"""Marks an API view carries for the published contract (the OpenAPI document built in config/openapi.py)."""

from collections.abc import Callable
from typing import Any, TypeVar

RATE_LIMITED_ATTR = "openapi_rate_limited"

View = TypeVar("View", bound=Callable[..., Any])


def rate_limited(view: View) -> View:
    """Mark an API view as rate-limited so the contract declares its 429 answer.

    Put it under the router decorator: `@router.post(...)` then `@rate_limited`.
    """
    setattr(view, RATE_LIMITED_ATTR, True)
    return view
