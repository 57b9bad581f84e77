"""Marks an API view carries for the published contract (the OpenAPI document built in config/openapi.py)."""

RATE_LIMITED_ATTR = "openapi_rate_limited"


def rate_limited(view):
    """Mark an API view as rate-limited so the contract declares its 429 answer.

    Put it under the router decorator: `@router.post(...)` then `@rate_limited`.
    """
    setattr(view, RATE_LIMITED_ATTR, True)
    return view
