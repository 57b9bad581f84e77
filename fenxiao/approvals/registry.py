"""What happens when a request of a kind is approved or rejected.

A domain app registers each kind it proposes once, in its AppConfig.ready():

    register_kind("team_bonus", label=_("团队奖励发放"), on_approve=team_bonus.execute_approved)

`on_approve(request, actor)` runs inside the transaction that approves the request and returns a
JSON-able dict kept as the request's result; if it raises, the request stays pending. `on_reject(request,
actor)` likewise when it is rejected (e.g. to put an object back). Handlers must be idempotent: the
object they act on keeps its own once-only key (a ledger idempotency key, a unique row).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Kind:
    kind: str
    label: Any
    on_approve: Callable
    on_reject: Callable | None = None


_kinds: dict[str, Kind] = {}
_lock = threading.Lock()


def register_kind(kind: str, *, label, on_approve, on_reject=None) -> None:
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise ImproperlyConfigured(f"approval kind {kind!r}: lowercase letters, digits and _, at most 32 characters")
    if not callable(on_approve) or (on_reject is not None and not callable(on_reject)):
        raise ImproperlyConfigured(f"approval kind {kind!r}: on_approve and on_reject must be callables")
    entry = Kind(kind=kind, label=label, on_approve=on_approve, on_reject=on_reject)
    with _lock:
        existing = _kinds.get(kind)
        if existing is not None and (existing.on_approve, existing.on_reject) != (on_approve, on_reject):
            raise ImproperlyConfigured(f"approval kind {kind!r} already has another handler")
        _kinds[kind] = entry


def unregister_kind(kind: str) -> None:
    with _lock:
        _kinds.pop(kind, None)


def get_kind(kind: str) -> Kind | None:
    return _kinds.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_kinds)


def label_for(kind: str) -> str:
    entry = _kinds.get(kind)
    return str(entry.label) if entry else kind
