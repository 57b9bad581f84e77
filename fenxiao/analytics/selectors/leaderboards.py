"""The sales and invitation leaderboards of a period (the network's or a team's), and the ranking of a
closed period that leaderboard prizes are awarded by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext

from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order, OrderLine

from ..errors import AnalyticsCode, AnalyticsError
from .period import Period, period_for, period_offset
from .team import APPROVED, COMPLETED, display_name

BOARD_SIZE = 50
BOARDS = ("sales", "invites")
SCOPES = ("network", "team")


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
        raise AnalyticsError(AnalyticsCode.INVALID_BOARD, gettext("排行榜只能按销售额或有效邀请"), {"board": board})
    if scope not in SCOPES:
        raise AnalyticsError(AnalyticsCode.INVALID_SCOPE, gettext("范围只能是全网或我的团队"), {"scope": scope})
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
        raise AnalyticsError(AnalyticsCode.INVALID_BOARD, gettext("排行榜只能按销售额或有效邀请"), {"board": board})
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
