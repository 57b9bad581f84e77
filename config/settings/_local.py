"""Throwaway secrets for local runs and tests, never for production."""

import base64
import os

from django.core.exceptions import ImproperlyConfigured


def local_secret(value: str, *, name: str, allowed: bool, fallback: str) -> str:
    """The configured value, else `fallback` when local fallbacks are allowed, else refuse to start."""
    if value:
        return value
    if allowed:
        return fallback
    raise ImproperlyConfigured(f"{name} is not set (run `make env` to generate .env)")


def throwaway_field_key() -> str:
    """A Fernet key valid for this process only."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
