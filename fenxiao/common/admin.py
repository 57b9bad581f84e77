"""Console building blocks shared by every app's admin: records that only services write (audit
trails, ledger entries, events) are shown, never added, changed or deleted by hand."""

from __future__ import annotations

from django.contrib import admin, messages

from .errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def act_on_each(modeladmin, request, items, act, *, name, done_message) -> int:
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
