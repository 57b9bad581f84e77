"""Who is told when a payment succeeds or a refund succeeds.

An app that takes payments registers its purpose once, in its AppConfig.ready():

    register_handler("order", on_paid=services.on_payment_succeeded, on_refunded=services.on_refund_succeeded)

`on_paid(payment)` runs exactly once per payment, inside the database transaction that moves the
payment to SUCCEEDED; if it raises, the payment stays PENDING. `on_refunded(refund)` likewise when a
refund succeeds. The payments app never imports the apps that register here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Handler:
    purpose: str
    on_paid: Callable
    on_refunded: Callable | None = None


_handlers: dict[str, Handler] = {}
_lock = threading.Lock()


def register_handler(purpose: str, *, on_paid, on_refunded=None) -> None:
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose):
        raise ImproperlyConfigured(f"payment purpose {purpose!r}: lowercase letters, digits and _, at most 32 characters")
    if not callable(on_paid) or (on_refunded is not None and not callable(on_refunded)):
        raise ImproperlyConfigured(f"payment purpose {purpose!r}: on_paid and on_refunded must be callables")
    handler = Handler(purpose=purpose, on_paid=on_paid, on_refunded=on_refunded)
    with _lock:
        existing = _handlers.get(purpose)
        if existing is not None and existing != handler:
            raise ImproperlyConfigured(f"payment purpose {purpose!r} already has another handler")
        _handlers[purpose] = handler


def unregister_handler(purpose: str) -> None:
    """Remove a purpose's handler (tests register their own purposes and take them away again)."""
    with _lock:
        _handlers.pop(purpose, None)


def get_handler(purpose: str) -> Handler | None:
    return _handlers.get(purpose)


def registered_purposes() -> list[str]:
    return sorted(_handlers)
