"""Reads for the operator's marketing activities: an activity's figures and its audit rows.

Figures of an activity (amounts in fen):
- visitors: distinct visitors of its pages (`ActivityVisit`, one row per visitor and day);
- participants: distinct buyers whose order was paid; for a bargain also the users who started one
  (`starters`) and the distinct helpers (`helpers`); for a group buy also the groups opened,
  succeeded and failed;
- orders: orders paid (refunded ones included; they were paid);
- gmv_fen: what those orders paid; refunded_fen: what was refunded on them;
- cost_fen: what the activity gave away (list price − activity price, plus the leader rewards paid).

`activity_figures` reads them in a fixed number of queries, whatever the activity's size."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from .models import (
    ActivityKind,
    ActivityOrder,
    ActivityVisit,
    Bargain,
    BargainActivity,
    BargainHelp,
    FlashSale,
    Group,
    GroupBuy,
    PromotionAudit,
)

MODELS = {ActivityKind.FLASH: FlashSale, ActivityKind.GROUP: GroupBuy, ActivityKind.BARGAIN: BargainActivity}
COUNTED = (ActivityOrder.State.PAID, ActivityOrder.State.REFUNDED)


def activity_figures(kind: str, activity_id: int) -> dict[str, Any]:
    """The figures of one activity (see the module notes): 2 queries, 3 for a group buy, 4 for a bargain."""
    visitors = (
        ActivityVisit.objects.filter(kind=kind, activity_id=activity_id).aggregate(n=Count("visitor_key", distinct=True)).get("n")
        or 0
    )
    counted = Q(state__in=COUNTED)
    orders = ActivityOrder.objects.filter(kind=kind, activity_id=activity_id).aggregate(
        orders=Count("pk", filter=counted),
        participants=Count("user_id", filter=counted, distinct=True),
        gmv_fen=Coalesce(Sum("paid_fen", filter=counted), 0),
        refunded_fen=Coalesce(Sum("refunded_fen", filter=counted), 0),
        cost_fen=Coalesce(Sum("cost_fen", filter=counted), 0),
    )
    figures: dict[str, Any] = {"kind": str(kind), "id": activity_id, "visitors": visitors, **orders}
    if kind == ActivityKind.GROUP:
        figures |= Group.objects.filter(activity_id=activity_id).aggregate(
            groups_opened=Count("pk"),
            groups_succeeded=Count("pk", filter=Q(status=Group.Status.SUCCEEDED)),
            groups_failed=Count("pk", filter=Q(status=Group.Status.FAILED)),
        )
    elif kind == ActivityKind.BARGAIN:
        helpers = BargainHelp.objects.filter(bargain__activity_id=activity_id).values("helper_key").distinct()
        figures |= Bargain.objects.filter(activity_id=activity_id).aggregate(
            starters=Count("user_id", distinct=True),
            bargains=Count("pk"),
            bargains_at_floor=Count("pk", filter=Q(floor_reached_at__isnull=False)),
        )
        figures["helpers"] = helpers.count()
    return figures


def audit_rows(kind: str, activity_id: int, *, limit: int = 50):
    return PromotionAudit.objects.filter(kind=kind, object_id=activity_id).select_related("actor")[:limit]
