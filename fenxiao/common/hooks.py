"""One way for an app to tell whoever cares, without knowing who listens: a registry of hooks.

The app that owns the events declares them once:

    order_events = Hooks("order", events=("on_paid", "on_completed", ...))

and calls `order_events.fire("on_paid", order)` inside the transaction that makes the change. An app
that cares registers its callables once, in its AppConfig.ready():

    order_events.register("commissions", on_paid=..., on_completed=...)

Hooks run in registration order inside the sender's transaction, so what they write commits or rolls
back with the change; a hook that raises rolls the change back. A hook with slow work to do schedules
it for after the commit (`transaction.on_commit`) instead. Registering the same callables again is
harmless; registering other callables under a taken name is refused at start-up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

NAME_RE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")


class Hooks:
    def __init__(self, owner: str, *, events: Iterable[str]):
        self.owner = owner
        self.events = tuple(events)
        self._registered: dict[str, dict[str, Callable[..., Any]]] = {}
        self._lock = threading.Lock()

    def register(self, name: str, **callables: Callable[..., Any] | None) -> None:
        """Register (or register again, identically) the hooks of `name`, usually the app label."""
        what = f"{self.owner} hooks {name!r}"
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ImproperlyConfigured(f"{what}: lowercase letters, digits, _ and ., at most 64 characters")
        unknown = sorted(set(callables) - set(self.events))
        if unknown:
            raise ImproperlyConfigured(f"{what}: unknown events {unknown}, expected some of {list(self.events)}")
        for event, function in callables.items():
            if function is not None and not callable(function):
                raise ImproperlyConfigured(f"{what}: {event} must be callable")
        wanted = {event: function for event, function in callables.items() if function is not None}
        with self._lock:
            existing = self._registered.get(name)
            if existing is not None and existing != wanted:
                raise ImproperlyConfigured(f"{what} are already registered with other callables")
            self._registered[name] = wanted

    def unregister(self, name: str) -> None:
        """Remove a registration (tests register their own and take them away again)."""
        with self._lock:
            self._registered.pop(name, None)

    def registered(self) -> list[str]:
        return list(self._registered)

    def fire(self, event: str, *args: Any, **kwargs: Any) -> None:
        if event not in self.events:
            raise ValueError(f"{self.owner} has no event {event!r}")
        for functions in list(self._registered.values()):
            function = functions.get(event)
            if function is not None:
                function(*args, **kwargs)
