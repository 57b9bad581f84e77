"""The monthly evaluation of suppliers against the service-level thresholds (月度考核).

`evaluate_suppliers(month=…)` (the scheduled job, for the closed month; `now` picks the month before
now's) judges each admitted supplier's figures for that month: below the warning line it records a
warning on the supplier's timeline, below the suspension line (with enough shipments to judge) it
suspends the supplier — both through the suppliers app's evaluation service, which writes the
SupplierEvent. A supplier already evaluated for the month (its timeline holds that month's
evaluation) is left alone, so running the job twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import format_rate
from fenxiao.suppliers import services as supplier_services
from fenxiao.suppliers.models import Supplier, SupplierEvent

from . import selectors
from .selectors import OK, SUSPEND, Figures


def month_marker(first: date) -> str:
    """Carried by every evaluation note of a month: how a rerun knows the month was done."""
    return f"[{periods.month_label(first)}]"


def conclusion(f: Figures, first: date) -> str:
    parts = [month_marker(first), gettext("月度考核")]
    parts.append(gettext("准时发货率 %(rate)s") % {"rate": format_rate(f.on_time_bp) if f.on_time_bp is not None else "—"})
    parts.append(gettext("退款率 %(rate)s") % {"rate": format_rate(f.refund_bp) if f.refund_bp is not None else "—"})
    parts.append(gettext("发货单 %(n)s") % {"n": f.shipments})
    if f.verdict == SUSPEND:
        parts.append(gettext("低于暂停线，暂停合作"))
    elif f.verdict != OK:
        parts.append(gettext("低于预警线，请改进"))
    return " ".join(parts)


def score(f: Figures) -> int:
    """0–100 for the evaluation record: the on-time percentage less the refund percentage beyond the
    warning line (a month with nothing due counts as on time)."""
    on_time = 100 if f.on_time_bp is None else f.on_time_bp // 100
    excess_refund = max(0, (f.refund_bp or 0) - selectors.thresholds().warn_refund_bp) // 100
    return max(0, min(100, on_time - excess_refund))


def _record(supplier: Supplier, f: Figures, first: date) -> None:
    """Through the suppliers app: an evaluation note on the timeline, and the suspension when due."""
    supplier_services.evaluate(
        supplier_id=supplier.pk,
        actor=None,
        score=score(f),
        conclusion=conclusion(f, first),
        suspend=f.verdict == SUSPEND,
    )


@transaction.atomic
def evaluate_suppliers(*, month: str | None = None, now: datetime | None = None) -> dict[str, int]:
    """Judge the month (`month` "YYYY-MM", else the month before `now`'s): a warning for each
    supplier below the warning line, a suspension for each below the suspension line. Only
    suppliers with something to judge (shipments in the month) and not yet evaluated for the month
    are recorded; approved ones may be suspended, suspended ones only get the note. Returns counts."""
    now = now or timezone.now()
    first = selectors.parse_month_or_error(month or periods.previous_month(now), now)
    figures = selectors.month_figures(first, now=now)
    ids = [sid for sid, f in figures.items() if sid is not None and (f.shipments or f.due)]
    marker = month_marker(first)
    done = set(SupplierEvent.objects.filter(supplier_id__in=ids, note__contains=marker).values_list("supplier_id", flat=True))
    suppliers = Supplier.objects.filter(
        pk__in=[i for i in ids if i not in done], status__in=[Supplier.Status.APPROVED, Supplier.Status.SUSPENDED]
    ).order_by("pk")
    counts = {"evaluated": 0, "warned": 0, "suspended": 0, "skipped": len(done)}
    for supplier in suppliers:
        f = figures[supplier.pk]
        if f.verdict == SUSPEND and supplier.status != Supplier.Status.APPROVED:
            f.verdict = "warn"  # already suspended: the note alone
        _record(supplier, f, first)
        counts["evaluated"] += 1
        if f.verdict == SUSPEND:
            counts["suspended"] += 1
        elif f.verdict != OK:
            counts["warned"] += 1
    return counts
