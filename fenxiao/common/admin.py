"""Console building blocks shared by every app's admin: records that only services write (audit
trails, ledger entries, events) are shown, never added, changed or deleted by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest

from .errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # shared by the admins of many models
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]  # shared by the inlines of many models
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def act_on_each(
    modeladmin: Any,
    request: HttpRequest,
    items: Iterable[Any],
    act: Callable[[Any], object],
    *,
    name: Callable[[Any], str],
    done_message: Callable[[int], str],
) -> int:
    """A bulk console action: `act(item)` for each item in id order; a refusal (DomainError) is shown
    against the item's `name(item)` and the others go on; `done_message(n)` reports the ones done."""
    done = 0
    for item in items:
        try:
            act(item)
        except DomainError as exc:
            modeladmin.message_user(request, f"{name(item)}: {exc.message}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done))
    return done
