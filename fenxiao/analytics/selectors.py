"""Reads for a distributor's team and for the leaderboards, plus the operator's view of one
distributor's relation chain. Nothing here writes.

Definitions used throughout:

- Team: the approved distributors within two levels below a distributor — the ones it invited
  (direct) and the ones they invited (indirect), as the distribution selectors count them. The
  third level is nobody's team at that distance, and a distributor never sees it.
- Sales: completed orders credited to a distributor (Order.distributor), summing the lines'
  paid − refunded (shipping left out), by `completed_at` in the local period (Asia/Shanghai).
- Valid invitation: an approved invitee whose user has at least one completed order as a buyer;
  it counts in the period holding the `completed_at` of that user's first completed order.

Every function runs a fixed number of queries, however large the team or the network: figures are
aggregated in the database (one grouped query or correlated subqueries), never per member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BigIntegerField, Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.phone import mask_name, mask_phone, normalize_phone
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import DownlineCounts, distributor_for_user, upline_chain
from fenxiao.orders.models import Order, OrderLine

from .errors import AnalyticsError

APPROVED = Distributor.Status.APPROVED
COMPLETED = Order.Status.COMPLETED

TEAM_PAGE_SIZE = 20
BOARD_SIZE = 50
KINDS = ("direct", "indirect")
TEAM_SORTS = ("joined", "sales", "orders")
BOARDS = ("sales", "invites")
SCOPES = ("network", "team")
PERIOD_KINDS = ("month", "quarter")
OLDEST_OFFSET = -24  # how far back a period may be asked for


# --- who is asking ---------------------------------------------------------------------------------


def viewer_for_user(user) -> Distributor:
    """The user's approved distributor profile; `not_distributor` (404 without a profile, 403 when
    it is not in force) otherwise."""
    found = distributor_for_user(user)
    if found is None:
        raise AnalyticsError("not_distributor", gettext("你还不是分销商"), status=404)
    if found.status != APPROVED:
        raise AnalyticsError("not_distributor", gettext("你的分销商资格尚未生效"), {"status": found.status}, status=403)
    return found


def display_name(distributor: Distributor) -> str:
    return distributor.user.nickname or distributor.real_name or ""


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "quarter"
    offset: int  # 0 = the current one, -1 = the previous one, …
    label: str  # "2026-03" or "2026-Q1"
    start: datetime  # local midnight of the first day
    end: datetime  # exclusive: local midnight of the first day of the next period


def period_for(kind: str = "month", offset: int = 0, *, now: datetime | None = None) -> Period:
    """The local calendar month or quarter `offset` periods from the one holding `now`."""
    if kind not in PERIOD_KINDS:
        raise AnalyticsError("invalid_period", gettext("统计周期只能是月或季度"), {"period": kind})
    if isinstance(offset, bool) or not isinstance(offset, int) or not OLDEST_OFFSET <= offset <= 0:
        raise AnalyticsError("invalid_period", gettext("只能查看本期或之前的周期（最多往前 24 期）"), {"offset": offset})
    today = periods.local_today(now)
    span = 1 if kind == "month" else 3
    index = periods.month_index(today)
    if kind == "quarter":
        index -= (today.month - 1) % 3
    index += offset * span
    first, after = periods.month_start(index), periods.month_start(index + span)
    label = f"{first:%Y-%m}" if kind == "month" else f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return Period(kind=kind, offset=offset, label=label, start=periods.local_midnight(first), end=periods.local_midnight(after))


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


_NEWEST = (F("approved_at").desc(nulls_last=True), F("id").desc())
_TEAM_ORDER = {
    "joined": _NEWEST,
    "sales": (F("month_sales").desc(), *_NEWEST),
    "orders": (F("month_orders").desc(), F("month_sales").desc(), *_NEWEST),
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
        raise AnalyticsError("invalid_kind", gettext("只能查看直推或间推团队"), {"kind": kind})
    if sort not in TEAM_SORTS:
        raise AnalyticsError("invalid_sort", gettext("排序方式不正确"), {"sort": sort, "allowed": list(TEAM_SORTS)})
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
        raise AnalyticsError("not_in_team", gettext("只能查看自己两级以内的团队"), {"distributor_id": parent_id}, status=404)
    qs = Distributor.objects.filter(inviter_id=parent, status=APPROVED).select_related("user", "level").order_by(*_NEWEST)
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


# --- the operator's relation chain (关系链) ---------------------------------------------------------


@dataclass(frozen=True)
class ChainNode:
    distributor_id: int
    code: str
    name: str
    phone: str  # masked, as in the distributor list
    level_name: str
    status: str
    status_label: str
    depth: int  # absolute depth in the network (0 = a root)
    joined_at: datetime | None
    child_count: int  # invitees of any status; -1 when not counted


@dataclass(frozen=True)
class Chain:
    distributor: ChainNode
    upline: list[ChainNode]  # nearest first: the inviter, its inviter, … the root
    direct_count: int
    indirect_count: int
    children: list[ChainNode]


def _chain_node(d: Distributor, child_count: int = -1) -> ChainNode:
    return ChainNode(
        distributor_id=d.pk,
        code=d.code,
        name=display_name(d),
        phone=mask_phone(d.user.phone),
        level_name=d.level.name,
        status=d.status,
        status_label=str(d.get_status_display()),
        depth=d.depth,
        joined_at=d.approved_at,
        child_count=child_count,
    )


def staff_children(parent_id: int) -> list[ChainNode]:
    """Every invitee of a distributor, whatever its status, with its own invitee count: one level
    of the operator's tree, which has no depth limit (one request per level)."""
    qs = (
        Distributor.objects.filter(inviter_id=parent_id)
        .select_related("user", "level")
        .annotate(children=Count("invitees"))
        .order_by(*_NEWEST)
    )
    return [_chain_node(d, d.children) for d in qs]


def chain(distributor_id: int) -> Chain:
    """The operator's view of one distributor: its upline from `path`, its team counts and its
    direct invitees. `distributor_not_found` (404) for an unknown id."""
    found = Distributor.objects.select_related("user", "level").filter(pk=distributor_id).first()
    if found is None:
        raise AnalyticsError("distributor_not_found", gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404)
    counts = team_counts(found)
    children = staff_children(found.pk)
    return Chain(
        distributor=_chain_node(found, len(children)),
        upline=[_chain_node(d) for d in upline_chain(found)],
        direct_count=counts.direct,
        indirect_count=counts.indirect,
        children=children,
    )


def find_distributor(text: str) -> Distributor | None:
    """A distributor by invite code (any case) or by its user's phone number."""
    text = (text or "").strip()
    if not text:
        return None
    phone = normalize_phone(text)
    return Distributor.objects.filter(Q(code__iexact=text) | Q(user__phone=phone)).order_by("pk").first()


# --- leaderboards ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardEntry:
    rank: int | None  # None: not on the board (nothing in the period)
    distributor_id: int
    name: str  # masked unless it is the viewer
    phone: str  # masked
    level_name: str
    value: int  # fen for sales, a count for invites
    is_me: bool


@dataclass(frozen=True)
class Leaderboard:
    board: str
    scope: str
    period: Period
    ranked_count: int
    entries: list[BoardEntry]
    me: BoardEntry


def _team_q(prefix: str, me_id: int) -> Q:
    """The viewer and its two levels, seen through the distributor at `prefix`."""
    return Q(**{f"{prefix}_id": me_id}) | Q(**{f"{prefix}__inviter_id": me_id}) | Q(**{f"{prefix}__inviter__inviter_id": me_id})


def _sales_rows(period: Period, scope_q: Q) -> QuerySet:
    return (
        OrderLine.objects.filter(
            scope_q,
            order__status=COMPLETED,
            order__completed_at__gte=period.start,
            order__completed_at__lt=period.end,
            order__distributor__status=APPROVED,
        )
        .order_by()
        .values(did=F("order__distributor_id"), joined=F("order__distributor__approved_at"))
        .annotate(value=Sum(F("paid_fen") - F("refunded_fen")))
        .filter(value__gt=0)
    )


def _invite_rows(period: Period, scope_q: Q) -> QuerySet:
    completed = Order.objects.filter(user_id=OuterRef("user_id"), status=COMPLETED)
    first_in_period = Exists(completed.filter(completed_at__gte=period.start, completed_at__lt=period.end))
    earlier = Exists(completed.filter(completed_at__lt=period.start))
    return (
        Distributor.objects.filter(scope_q, first_in_period, ~earlier, status=APPROVED, inviter__status=APPROVED)
        .order_by()
        .values(did=F("inviter_id"), joined=F("inviter__approved_at"))
        .annotate(value=Count("pk"))
    )


def _board_rows(board: str, period: Period, scope: str, me_id: int, only: int | None = None) -> QuerySet:
    prefix = "order__distributor" if board == "sales" else "inviter"
    scope_q = _team_q(prefix, me_id) if scope == "team" else Q()
    if only is not None:
        scope_q &= Q(**{f"{prefix}_id": only})
    rows = _sales_rows if board == "sales" else _invite_rows
    return rows(period, scope_q)


def leaderboard(
    viewer: Distributor,
    *,
    board: str = "sales",
    period: str = "month",
    offset: int = 0,
    scope: str = "network",
    size: int = BOARD_SIZE,
    now: datetime | None = None,
) -> Leaderboard:
    """The top `size` by sales or valid invites in a month or quarter, in the whole network or in the
    viewer's team (itself and its two levels), and the viewer's own rank wherever it stands.

    Ranks are competition ranks (1, 2, 2, 4); equal values are listed by earlier approval, then id.
    Five queries, whatever the size of the network."""
    if board not in BOARDS:
        raise AnalyticsError("invalid_board", gettext("排行榜只能按销售额或有效邀请"), {"board": board})
    if scope not in SCOPES:
        raise AnalyticsError("invalid_scope", gettext("范围只能是全网或我的团队"), {"scope": scope})
    span = period_for(period, offset, now=now)
    rows = _board_rows(board, span, scope, viewer.pk)
    ordered = rows.order_by(F("value").desc(), F("joined").asc(nulls_last=True), "did")
    top = list(ordered[:size])
    ranks: list[int] = []
    for index, row in enumerate(top):
        ranks.append(ranks[-1] if index and row["value"] == top[index - 1]["value"] else index + 1)
    ranked_count = rows.count()
    mine = next((row for row in top if row["did"] == viewer.pk), None)
    my_rank = ranks[top.index(mine)] if mine else None
    if mine is None:
        mine = next(iter(_board_rows(board, span, scope, viewer.pk, only=viewer.pk)), None)
        if mine is not None and mine["value"] > 0:
            my_rank = rows.filter(value__gt=mine["value"]).count() + 1
    my_value = mine["value"] if mine and mine["value"] > 0 else 0
    people = Distributor.objects.select_related("user", "level").in_bulk([row["did"] for row in top] + [viewer.pk])

    def entry(distributor_id: int, rank: int | None, value: int) -> BoardEntry:
        d = people[distributor_id]
        is_me = distributor_id == viewer.pk
        return BoardEntry(
            rank=rank,
            distributor_id=distributor_id,
            name=display_name(d) if is_me else mask_name(display_name(d)),
            phone=mask_phone(d.user.phone),
            level_name=d.level.name,
            value=value,
            is_me=is_me,
        )

    return Leaderboard(
        board=board,
        scope=scope,
        period=span,
        ranked_count=ranked_count,
        entries=[entry(row["did"], rank, row["value"]) for row, rank in zip(top, ranks, strict=True)],
        me=entry(viewer.pk, my_rank if my_value else None, my_value),
    )


# --- a closed period's ranking (for prizes) --------------------------------------------------------

_MONTH_LABEL = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER_LABEL = re.compile(r"^([0-9]{4})-Q([1-4])$")


def period_offset(kind: str, label: str, *, now: datetime | None = None) -> int:
    """How many periods the one labelled `label` ("2026-03", or "2026-Q1" for a quarter) lies from the
    current one: 0 for the current, -1 for the previous, positive for one still to come."""
    if kind not in PERIOD_KINDS:
        raise AnalyticsError("invalid_period", gettext("统计周期只能是月或季度"), {"period": kind})
    pattern = _MONTH_LABEL if kind == "month" else _QUARTER_LABEL
    match = pattern.match(label.strip()) if isinstance(label, str) else None
    year = int(match.group(1)) if match else 0
    if match is None or not 2000 <= year <= 2999 or (kind == "month" and not 1 <= int(match.group(2)) <= 12):
        example = "2026-03" if kind == "month" else "2026-Q1"
        raise AnalyticsError(
            "invalid_period", gettext("周期格式不正确，例如 %(example)s") % {"example": example}, {"label": label}
        )
    first_month = int(match.group(2)) if kind == "month" else (int(match.group(2)) - 1) * 3 + 1
    current = timezone.localtime(period_for(kind, 0, now=now).start, timezone.get_default_timezone())
    months = (year * 12 + first_month - 1) - (current.year * 12 + current.month - 1)
    return months if kind == "month" else months // 3


@dataclass(frozen=True)
class RankedRow:
    rank: int  # competition rank: 1, 2, 2, 4
    distributor_id: int
    value: int  # fen for sales, a count for invites


def ranked(
    board: str,
    period_kind: str = "month",
    period: int | str | Period = -1,
    *,
    limit: int = BOARD_SIZE,
    now: datetime | None = None,
) -> tuple[Period, list[RankedRow]]:
    """The whole network's ranking of one period (an offset, a label or a Period), as the boards rank
    it: every row whose competition rank is at most `limit`. A tie reaching past the limit is kept
    whole, so the list may be longer than `limit`. At most two queries, whatever the network's size."""
    if board not in BOARDS:
        raise AnalyticsError("invalid_board", gettext("排行榜只能按销售额或有效邀请"), {"board": board})
    if isinstance(period, Period):
        span = period
    else:
        offset = period_offset(period_kind, period, now=now) if isinstance(period, str) else period
        span = period_for(period_kind, offset, now=now)
    limit = max(0, int(limit))
    if limit == 0:
        return span, []
    ordered = _board_rows(board, span, "network", 0).order_by(F("value").desc(), F("joined").asc(nulls_last=True), "did")
    top = list(ordered[:limit])
    if len(top) == limit:
        last = top[-1]["value"]
        top = [row for row in top if row["value"] > last] + list(ordered.filter(value=last))
    rows: list[RankedRow] = []
    for index, row in enumerate(top):
        rank = rows[-1].rank if index and row["value"] == top[index - 1]["value"] else index + 1
        rows.append(RankedRow(rank=rank, distributor_id=row["did"], value=row["value"]))
    return span, rows
