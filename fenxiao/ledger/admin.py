"""Operator admin for the ledger: read-only. The ledger changes only through ledger.services.

"账本核对" (admin/ledger/account/check/) runs the same checks as `manage.py ledger_check` for finance
staff (those who may view accounts): every transaction balanced, every cached balance equal to the
sum of its entries, no forbidden negative balance, all debits equal to all credits.
"""

import time
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyAdmin, ReadOnlyInline, labelled_filter, show_money
from fenxiao.common.money import yuan

from . import kinds, selectors
from .models import Account, Entry, Transaction

CHECK_PERMISSION = "ledger.view_account"
# A badly damaged ledger can have a violation per row; the page lists this many and counts the rest.
VIOLATIONS_SHOWN = 200


def can_check_ledger(user: Any) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(CHECK_PERMISSION))


def run_check() -> dict[str, Any]:
    """The ledger's invariants, checked now: the violations (the first VIOLATIONS_SHOWN), their
    count, the totals and how long the check took."""
    started = time.perf_counter()
    shown: list[selectors.Violation] = []
    count = 0
    for violation in selectors.violations():
        count += 1
        if len(shown) < VIOLATIONS_SHOWN:
            shown.append(violation)
    totals = selectors.totals()
    if totals["debits_fen"] != totals["credits_fen"]:
        count += 1
        shown.append(
            selectors.Violation(
                "ledger_unbalanced",
                gettext("全部借方合计 %(debits)s 元，全部贷方合计 %(credits)s 元")
                % {"debits": yuan(totals["debits_fen"]), "credits": yuan(totals["credits_fen"])},
                {"debits_fen": totals["debits_fen"], "credits_fen": totals["credits_fen"]},
            )
        )
    return {
        "violations": shown,
        "violation_count": count,
        "hidden_count": count - len(shown),
        "totals": totals,
        "debits": show_money(totals["debits_fen"]),
        "credits": show_money(totals["credits_fen"]),
        "balanced": count == 0,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        "checked_at": timezone.now(),
    }


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ("account", "side", "amount_fen", "created_at")
    readonly_fields = fields
    ordering = ("id",)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "balance_fen", "allow_negative", "owner_type", "owner_id", "created_at")
    list_filter = ("kind", "allow_negative", "owner_type")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "kind", "allow_negative", "owner_type", "owner_id", "balance_fen", "created_at")
    fields = readonly_fields

    def get_urls(self) -> list[URLPattern]:
        own = [path("check/", self.admin_site.admin_view(self.check_view), name="ledger_check")]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"can_check_ledger": can_check_ledger(request.user)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def check_view(self, request: HttpRequest) -> HttpResponse:
        if not can_check_ledger(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("账本核对"),
            **run_check(),
        }
        return TemplateResponse(request, "admin/ledger/check.html", context)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind_label", "reference", "memo", "idempotency_key", "created_by")
    list_filter = (labelled_filter("kind", _("业务类型"), kinds.choices),)
    search_fields = ("idempotency_key", "reference", "memo", "entries__account__code")
    list_select_related = ("created_by",)
    readonly_fields = ("idempotency_key", "kind_label", "memo", "reference", "reverses", "created_at", "created_by")
    fields = readonly_fields
    inlines = [EntryInline]
    date_hierarchy = "created_at"

    @admin.display(description=_("业务类型"), ordering="kind")
    def kind_label(self, obj: Transaction) -> str:
        return kinds.label(obj.kind)
