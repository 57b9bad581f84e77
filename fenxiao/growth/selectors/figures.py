"""Reads of the growth app: every distributor's figures in a few aggregate queries, the rules, and a
distributor's progress toward the next level.

Sales are completed orders credited to the distributor (local month or rolling 30 days), each line's
paid amount less its refunds, shipping never included. The team is the downline within the two
commission levels: approved invitees and the approved distributors they invited. Direct invites count
approved invitees only. The first purchase is what the distributor paid for its own first paid order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BigIntegerField, Case, Count, F, OuterRef, Subquery, Sum, Value, When
from django.utils import timezone

from fenxiao.common.periods import local_midnight, local_today
from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order, OrderLine

from ..models import LevelCondition

APPROVED = Distributor.Status.APPROVED
COMPLETED = Order.Status.COMPLETED
K = LevelCondition.Kind
KINDS: tuple[str, ...] = tuple(K.values)
ROLLING_DAYS = 30


# --- windows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The time the figures are read over: the month from `month_start`, everything before `end`
    (exclusive), and the rolling 30 days that end at `end`."""

    month_start: datetime
    end: datetime

    @property
    def rolling_start(self) -> datetime:
        return self.end - timedelta(days=ROLLING_DAYS)


def current_window(now: datetime | None = None) -> Window:
    """This local month up to and including `now` (the end is exclusive, hence the microsecond)."""
    now = now or timezone.now()
    first = local_today(now).replace(day=1)
    return Window(month_start=local_midnight(first), end=now + timedelta(microseconds=1))


# --- figures ---------------------------------------------------------------------------------


class Figures:
    """Every figure of a set of distributors; one without any activity reads as zeros. Only non-zero
    values are held, so a million quiet distributors cost nothing."""

    def __init__(self, values: dict[str, dict[int, int]]):
        self._values = values

    def of(self, distributor_id: int) -> dict[str, int]:
        return {kind: int(self._values[kind].get(distributor_id, 0) or 0) for kind in KINDS}


def _scoped(qs, field: str, ids: list[int] | None):
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


def _grouped(qs, key: str, **aggregates) -> list[tuple]:
    return list(qs.order_by().values(gid=F(key)).annotate(**aggregates).values_list("gid", *aggregates.keys()))


def figures_for(distributor_ids: Iterable[int] | None = None, *, window: Window | None = None) -> Figures:
    """The figures of the given distributors (None: every approved one) over `window` (default: this
    month up to now). Six aggregate queries whatever the number of distributors."""
    window = window or current_window()
    ids = None if distributor_ids is None else sorted(set(distributor_ids))
    values: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}
    if ids == []:
        return Figures(values)
    end = window.end

    members = Distributor.objects.filter(status=APPROVED, approved_at__lt=end)
    direct = dict(_grouped(_scoped(members, "inviter_id", ids), "inviter_id", n=Count("pk")))
    indirect = dict(_grouped(_scoped(members, "inviter__inviter_id", ids), "inviter__inviter_id", n=Count("pk")))
    values[K.DIRECT_INVITES] = direct
    values[K.TEAM_SIZE] = {pk: direct.get(pk, 0) + indirect.get(pk, 0) for pk in direct.keys() | indirect.keys()}

    net = F("paid_fen") - F("refunded_fen")
    sold = OrderLine.objects.filter(order__status=COMPLETED, order__completed_at__lt=end)
    start = min(window.month_start, window.rolling_start)
    personal = _grouped(
        _scoped(sold.filter(order__completed_at__gte=start), "order__distributor_id", ids),
        "order__distributor_id",
        month=Sum(
            Case(When(order__completed_at__gte=window.month_start, then=net), default=Value(0), output_field=BigIntegerField())
        ),
        rolling=Sum(
            Case(When(order__completed_at__gte=window.rolling_start, then=net), default=Value(0), output_field=BigIntegerField())
        ),
    )
    values[K.PERSONAL_SALES_MONTH] = {pk: month for pk, month, _rolling in personal}
    values[K.PERSONAL_SALES_30D] = {pk: rolling for pk, _month, rolling in personal}

    team_sold = sold.filter(order__completed_at__gte=window.month_start, order__distributor__status=APPROVED)
    team: dict[int, int] = {}
    for upline in ("order__distributor__inviter_id", "order__distributor__inviter__inviter_id"):
        for pk, sales in _grouped(_scoped(team_sold, upline, ids), upline, sales=Sum(net)):
            team[pk] = team.get(pk, 0) + (sales or 0)
    values[K.TEAM_SALES_MONTH] = team

    first_paid = (
        Order.objects.filter(user_id=OuterRef("user_id"), paid_at__isnull=False, paid_at__lt=end)
        .order_by("paid_at", "pk")
        .values("paid_fen")[:1]
    )
    owners = Distributor.objects.all() if ids is not None else Distributor.objects.filter(status=APPROVED)
    values[K.FIRST_PURCHASE_FEN] = dict(
        _scoped(owners, "pk", ids)
        .order_by()
        .annotate(first=Subquery(first_paid, output_field=BigIntegerField()))
        .filter(first__isnull=False)
        .values_list("pk", "first")
    )
    for kind in values:
        values[kind].pop(None, None)
    return Figures(values)


def everyone_figures_sql(window: Window) -> tuple[str, dict]:
    """One SELECT with every approved distributor's id, user_id, level_id and its figures, one column
    per kind named after it, for the monthly evaluation to work on inside the database. The same
    definitions as `figures_for`, written for a whole network at once: the month's completed sales are
    summed once per seller and passed up two levels, and the first purchase is each user's first paid
    order by a window function (tests check that the two agree)."""
    distributor, order, line = Distributor._meta.db_table, Order._meta.db_table, OrderLine._meta.db_table
    params = {
        "approved": APPROVED,
        "completed": COMPLETED,
        "end": _db_time(window.end),
        "month_start": _db_time(window.month_start),
        "rolling_start": _db_time(window.rolling_start),
        "start": _db_time(min(window.month_start, window.rolling_start)),
    }
    sql = f"""
        WITH sold AS (
            SELECT o.distributor_id AS id,
                CAST(SUM(CASE WHEN o.completed_at >= %(month_start)s THEN l.paid_fen - l.refunded_fen ELSE 0 END) AS BIGINT) AS month,
                CAST(SUM(CASE WHEN o.completed_at >= %(rolling_start)s THEN l.paid_fen - l.refunded_fen ELSE 0 END) AS BIGINT)
                    AS rolling
            FROM {line} l JOIN {order} o ON o.id = l.order_id
            WHERE o.status = %(completed)s AND o.completed_at >= %(start)s AND o.completed_at < %(end)s
                AND o.distributor_id IS NOT NULL
            GROUP BY o.distributor_id
        ), member AS (
            SELECT m.inviter_id AS up, CASE WHEN m.approved_at < %(end)s THEN 1 ELSE 0 END AS counted, COALESCE(s.month, 0) AS sales
            FROM {distributor} m LEFT JOIN sold s ON s.id = m.id
            WHERE m.status = %(approved)s AND m.inviter_id IS NOT NULL
        ), team AS (
            SELECT t.id, SUM(t.direct) AS direct, SUM(t.counted) AS size, CAST(SUM(t.sales) AS BIGINT) AS sales FROM (
                SELECT up AS id, counted AS direct, counted, sales FROM member
                UNION ALL
                SELECT i.inviter_id, 0, m.counted, m.sales FROM member m JOIN {distributor} i ON i.id = m.up
                WHERE i.inviter_id IS NOT NULL
            ) t GROUP BY t.id
        ), first_paid AS (
            SELECT r.user_id, r.paid_fen FROM (
                SELECT o.user_id, o.paid_fen, ROW_NUMBER() OVER (PARTITION BY o.user_id ORDER BY o.paid_at, o.id) AS n
                FROM {order} o WHERE o.paid_at IS NOT NULL AND o.paid_at < %(end)s
            ) r WHERE r.n = 1
        )
        SELECT d.id, d.user_id, d.level_id,
            CAST(COALESCE(t.direct, 0) AS BIGINT) AS {K.DIRECT_INVITES.value},
            CAST(COALESCE(s.month, 0) AS BIGINT) AS {K.PERSONAL_SALES_MONTH.value},
            CAST(COALESCE(s.rolling, 0) AS BIGINT) AS {K.PERSONAL_SALES_30D.value},
            CAST(COALESCE(t.size, 0) AS BIGINT) AS {K.TEAM_SIZE.value},
            CAST(COALESCE(t.sales, 0) AS BIGINT) AS {K.TEAM_SALES_MONTH.value},
            CAST(COALESCE(f.paid_fen, 0) AS BIGINT) AS {K.FIRST_PURCHASE_FEN.value}
        FROM {distributor} d
        LEFT JOIN sold s ON s.id = d.id
        LEFT JOIN team t ON t.id = d.id
        LEFT JOIN first_paid f ON f.user_id = d.user_id
        WHERE d.status = %(approved)s"""
    return sql, params


def _db_time(value: datetime):
    """A datetime as the database compares it in raw SQL (SQLite keeps naive UTC text)."""
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)
