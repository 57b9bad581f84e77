"""Reads of the SMS app."""

from __future__ import annotations

from django.core.cache import cache

from .providers import configured_name, dev_cache_key


def is_dev_provider() -> bool:
    return configured_name() == "dev"


def dev_code(phone: str, purpose: str) -> str | None:
    """The latest code the development provider "sent" to `phone` for `purpose`, for the demo pages and
    the tests; always None with a real provider."""
    if not is_dev_provider():
        return None
    return cache.get(dev_cache_key(phone, purpose))
