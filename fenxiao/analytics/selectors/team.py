"""Reads for a distributor's team and for the leaderboards, plus the operator's view of one
distributor's relation chain. Nothing here writes.

Definitions used throughout:

- Team: the approved distributors within two levels below a distributor — the ones it invited
  (direct) and the ones they invited (indirect), as the distribution selectors count them. The
  third level is nobody's team at that distance, and a distributor never sees it.
- Sales: completed orders credited to a distributor (Order.distributor), summing the lines'
  paid − refunded (shipping left out), by `completed_at` in the local period (the project's time zone).
- Valid invitation: an approved invitee whose user has at least one completed order as a buyer;
  it counts in the period holding the `completed_at` of that user's first completed order.

Every function runs a fixed number of queries, however large the team or the network: figures are
aggregated in the database (one grouped query or correlated subqueries), never per member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BigIntegerField, Count, F, Func, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import DownlineCounts, require_distributor
from fenxiao.orders.models import Order, OrderLine

from ..errors import AnalyticsCode, AnalyticsError
from .period import Period, period_for

APPROVED = Distributor.Status.APPROVED
COMPLETED = Order.Status.COMPLETED

TEAM_PAGE_SIZE = 20
KINDS = ("direct", "indirect")
TEAM_SORTS = ("joined", "sales", "orders")


# --- who is asking ---------------------------------------------------------------------------------


def viewer_for_user(user) -> Distributor:
    """The user's approved distributor profile; 403 `not_distributor` otherwise."""
    return require_distributor(user)


def display_name(distributor: Distributor) -> str:
    return distributor.user.nickname or distributor.real_name or ""


# --- team ------------------------------------------------------------------------------------------


def _approved_count(members: Q) -> Subquery:
    rows = Distributor.objects.filter(members, status=APPROVED).order_by().values(n=Func(F("pk"), function="COUNT"))
    return Subquery(rows, output_field=IntegerField())


def team_counts(distributor: Distributor) -> DownlineCounts:
    """Direct and indirect team sizes in one query of two counts, each walking the inviter index (an
    OR of the two levels would scan every distributor)."""
    pk = distributor.pk
    row = (
        Distributor.objects.filter(pk=pk)
        .values(direct=_approved_count(Q(inviter_id=pk)), indirect=_approved_count(Q(inviter__inviter_id=pk)))
        .first()
    ) or {"direct": 0, "indirect": 0}
    return DownlineCounts(direct=row["direct"] or 0, indirect=row["indirect"] or 0)


def _sales_annotations(period: Period) -> dict:
    """This period's net sales and completed order count of each row's distributor, as correlated
    subqueries, so a page of members (and its ordering by sales) is one query."""
    lines = (
        OrderLine.objects.filter(
            order__distributor_id=OuterRef("pk"),
            order__status=COMPLETED,
            order__completed_at__gte=period.start,
            order__completed_at__lt=period.end,
        )
        .order_by()
        .values("order__distributor_id")
        .annotate(total=Sum(F("paid_fen") - F("refunded_fen")))
        .values("total")
    )
    orders = (
        Order.objects.filter(
            distributor_id=OuterRef("pk"), status=COMPLETED, completed_at__gte=period.start, completed_at__lt=period.end
        )
        .order_by()
        .values("distributor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        "month_sales": Coalesce(Subquery(lines, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField()),
        "month_orders": Coalesce(Subquery(orders, output_field=IntegerField()), Value(0), output_field=IntegerField()),
    }


NEWEST_FIRST = (F("approved_at").desc(nulls_last=True), F("id").desc())
_TEAM_ORDER = {
    "joined": NEWEST_FIRST,
    "sales": (F("month_sales").desc(), *NEWEST_FIRST),
    "orders": (F("month_orders").desc(), F("month_sales").desc(), *NEWEST_FIRST),
}


@dataclass(frozen=True)
class TeamMember:
    distributor_id: int
    kind: str  # "direct" or "indirect"
    name: str  # masked
    phone: str  # masked
    level_name: str
    joined_at: datetime | None
    month_sales_fen: int
    month_order_count: int
    inviter_name: str  # masked; for an indirect member, the direct member who invited it


@dataclass(frozen=True)
class TeamPage:
    kind: str
    sort: str
    month: str
    page: int
    page_size: int
    total: int
    direct_count: int
    indirect_count: int
    items: list[TeamMember] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def team_page(
    distributor: Distributor,
    *,
    kind: str = "direct",
    sort: str = "joined",
    page: int = 1,
    page_size: int = TEAM_PAGE_SIZE,
    now: datetime | None = None,
) -> TeamPage:
    """One page of the direct or indirect team with this month's figures; two queries."""
    if kind not in KINDS:
        raise AnalyticsError(AnalyticsCode.INVALID_KIND, gettext("只能查看直推或间推团队"), {"kind": kind})
    if sort not in TEAM_SORTS:
        raise AnalyticsError(AnalyticsCode.INVALID_SORT, gettext("排序方式不正确"), {"sort": sort, "allowed": list(TEAM_SORTS)})
    page = max(1, int(page))
    page_size = min(max(1, int(page_size)), 100)
    month = period_for("month", 0, now=now)
    counts = team_counts(distributor)
    members = Q(inviter_id=distributor.pk) if kind == "direct" else Q(inviter__inviter_id=distributor.pk)
    qs = (
        Distributor.objects.filter(members, status=APPROVED)
        .select_related("user", "level", "inviter__user")
        .annotate(**_sales_annotations(month))
        .order_by(*_TEAM_ORDER[sort])
    )
    rows = list(qs[(page - 1) * page_size : page * page_size])
    items = [
        TeamMember(
            distributor_id=d.pk,
            kind=kind,
            name=mask_name(display_name(d)),
            phone=mask_phone(d.user.phone),
            level_name=d.level.name,
            joined_at=d.approved_at,
            month_sales_fen=d.month_sales,
            month_order_count=d.month_orders,
            inviter_name=mask_name(display_name(d.inviter)) if kind == "indirect" and d.inviter else "",
        )
        for d in rows
    ]
    return TeamPage(
        kind=kind,
        sort=sort,
        month=month.label,
        page=page,
        page_size=page_size,
        total=counts.direct if kind == "direct" else counts.indirect,
        direct_count=counts.direct,
        indirect_count=counts.indirect,
        items=items,
    )


# --- the lazy team tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    distributor_id: int
    depth: int  # 1 = my direct invitee, 2 = theirs
    name: str  # masked
    phone: str  # masked
    level_name: str
    joined_at: datetime | None
    child_count: int  # approved invitees shown on expanding; 0 on the second level
    expandable: bool


def tree_children(viewer: Distributor, parent_id: int | None = None) -> list[TreeNode]:
    """The approved invitees of `parent_id` (default: the viewer itself) as the viewer may see them:
    the viewer's own invitees, or the invitees of one of them. Anything else — a second-level member,
    someone outside the team — is `not_in_team` (404): the third level is never shown."""
    if parent_id is None or parent_id == viewer.pk:
        parent, depth = viewer.pk, 1
    elif Distributor.objects.filter(pk=parent_id, inviter_id=viewer.pk).exists():
        parent, depth = parent_id, 2
    else:
        raise AnalyticsError(
            AnalyticsCode.NOT_IN_TEAM, gettext("只能查看自己两级以内的团队"), {"distributor_id": parent_id}, status=404
        )
    qs = Distributor.objects.filter(inviter_id=parent, status=APPROVED).select_related("user", "level").order_by(*NEWEST_FIRST)
    if depth == 1:
        qs = qs.annotate(children=Count("invitees", filter=Q(invitees__status=APPROVED)))
    return [
        TreeNode(
            distributor_id=d.pk,
            depth=depth,
            name=mask_name(display_name(d)),
            phone=mask_phone(d.user.phone),
            level_name=d.level.name,
            joined_at=d.approved_at,
            child_count=getattr(d, "children", 0),
            expandable=bool(getattr(d, "children", 0)),
        )
        for d in qs
    ]
