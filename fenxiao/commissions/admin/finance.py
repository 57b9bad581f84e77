"""Finance's admin page for commissions: 佣金对账 (admin/commissions/commission/reconciliation/).

It shows `selectors.reconciliation()`: commission and team-bonus expense against what is still owed
to distributors (their debts apart), paid out and kept as withdrawal fees, from the ledger entries
and from the cached balances; the commission rows against their postings; and the flows per month.
Read-only, for staff who may view commissions.

The commission admin (`commissions`) serves it among its own URLs.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.money import yuan

from .. import selectors
from ..models import Commission

VIEW_PERMISSION = "commissions.view_commission"

# The figures of the identity, in the order the page shows them.
FIGURE_LABELS = (
    ("commission_expense_fen", _("佣金费用")),
    ("team_bonus_expense_fen", _("团队奖励费用")),
    ("reward_expense_fen", _("邀请奖励与排行榜奖金费用")),
    ("pending_fen", _("待结算（预估收益）")),
    ("available_fen", _("可提现（已扣欠款）")),
    ("debt_fen", _("分销商欠款")),
    ("withdrawing_fen", _("提现中")),
    ("paid_out_fen", _("已打款")),
    ("fees_fen", _("提现手续费收入")),
)


def can_reconcile(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


def _pair(report, name: str) -> dict:
    derived, cached = getattr(report.derived, name), getattr(report.cached, name)
    return {"derived": yuan(derived), "cached": yuan(cached), "differs": derived != cached}


def reconciliation_view(request, *, site: admin.AdminSite):
    if not can_reconcile(request.user):
        raise PermissionDenied
    report = selectors.reconciliation()
    labels = dict(FIGURE_LABELS)
    figures = [{"label": label, **_pair(report, name)} for name, label in FIGURE_LABELS]
    sums = [
        {"label": label, **_pair(report, name)}
        for name, label in (
            ("expense_fen", _("费用合计")),
            ("payable_fen", _("应付分销商（净额）")),
            ("accounted_fen", _("应付 + 已打款 + 手续费")),
            ("difference_fen", _("差额")),
        )
    ]
    checks = [
        {
            "key": check.key,
            "label": check.label,
            "ok": check.ok,
            "rows": yuan(check.rows_fen),
            "ledger": yuan(check.ledger_fen),
            "difference": yuan(check.difference_fen),
        }
        for check in report.checks
    ]
    months = [
        {
            "month": m.month,
            "amounts": [
                yuan(v)
                for v in (
                    m.accrued_fen,
                    m.cancelled_fen,
                    m.settled_fen,
                    m.clawed_back_fen,
                    m.team_bonus_fen,
                    m.rewards_fen,
                    m.paid_out_fen,
                    m.fees_fen,
                )
            ],
        }
        for m in report.months
    ]
    context = {
        **site.each_context(request),
        "opts": Commission._meta,
        "title": gettext("佣金对账"),
        "report": report,
        "figures": figures,
        "sums": sums,
        "checks": checks,
        "months": months,
        "owed": yuan(report.derived.owed_to_distributors_fen),
        "debt": yuan(report.derived.debt_fen),
        "cache_differences": [
            {"label": labels.get(d.figure, d.figure), "cached": d.cached_fen, "derived": d.derived_fen}
            for d in report.cache_differences
        ],
    }
    return TemplateResponse(request, "admin/commissions/reconciliation.html", context)
