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
from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.common.periods import local_midnight
from fenxiao.distribution.models import Distributor, Level
from fenxiao.orders.models import Order, OrderLine

from .models import MONEY_KINDS, LevelChange, LevelCondition, LevelRule

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
    first = timezone.localdate(now).replace(day=1)
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


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    level_id: int
    rank: int
    name: str
    combine: str
    is_enabled: bool
    downgrade_enabled: bool
    protection_days: int
    conditions: tuple[tuple[str, int], ...]
    downgrade_after_months: int = 1


def rule_view(rule: LevelRule) -> RuleView:
    return RuleView(
        level_id=rule.level_id,
        rank=rule.level.rank,
        name=rule.level.name,
        combine=rule.combine,
        is_enabled=rule.is_enabled,
        downgrade_enabled=rule.downgrade_enabled,
        protection_days=rule.protection_days,
        conditions=tuple((c.kind, c.threshold) for c in rule.conditions.all()),
        downgrade_after_months=rule.downgrade_after_months,
    )


def load_rules() -> list[RuleView]:
    """Every rule, lowest level first (two queries)."""
    rules = LevelRule.objects.select_related("level").prefetch_related("conditions").order_by("level__rank")
    return [rule_view(rule) for rule in rules]


def qualifies(level_rule: RuleView | LevelRule, figures: dict[str, int]) -> bool:
    """Whether the figures meet the rule: all or any of its conditions. A disabled rule, or one without
    conditions, is met by nobody."""
    rule = level_rule if isinstance(level_rule, RuleView) else rule_view(level_rule)
    if not rule.is_enabled or not rule.conditions:
        return False
    met = (figures.get(kind, 0) >= threshold for kind, threshold in rule.conditions)
    return all(met) if rule.combine == LevelRule.Combine.ALL else any(met)


def upgrade_target(current_rank: int, rules: list[RuleView], figures: dict[str, int]) -> RuleView | None:
    """The highest level above `current_rank` whose rule the figures meet, if any."""
    for rule in sorted(rules, key=lambda r: r.rank, reverse=True):
        if rule.rank <= current_rank:
            return None
        if qualifies(rule, figures):
            return rule
    return None


# --- a distributor's progress ----------------------------------------------------------------


def _amount(fen: int) -> str:
    text = yuan(fen)
    return "¥" + (text[:-3] if text.endswith(".00") else text)


def format_figure(kind: str, value: int) -> str:
    return _amount(value) if kind in MONEY_KINDS else str(value)


@dataclass(frozen=True)
class ConditionProgress:
    kind: str
    label: str
    value: int
    threshold: int
    met: bool
    percent: int
    text: str  # "3 / 10 直推（已审核）", "¥3,200 / ¥5,000 本月个人销售"


@dataclass(frozen=True)
class Progress:
    distributor: Distributor
    level: Level
    next_level: Level | None
    combine: str
    conditions: tuple[ConditionProgress, ...]
    figures: dict[str, int]
    history: tuple[LevelChange, ...]

    @property
    def combine_label(self) -> str:
        return gettext("满足任一条件即可升级") if self.combine == LevelRule.Combine.ANY else gettext("需同时满足以下条件")


def level_progress(distributor: Distributor, *, now: datetime | None = None, history_limit: int = 20) -> Progress:
    """The distributor's level, what the next level with an enabled rule needs and how far it is, and
    the latest level changes."""
    figures = figures_for([distributor.pk], window=current_window(now)).of(distributor.pk)
    level = distributor.level
    rule = (
        LevelRule.objects.select_related("level")
        .prefetch_related("conditions")
        .filter(is_enabled=True, level__rank__gt=level.rank)
        .order_by("level__rank")
        .first()
    )
    labels = dict(K.choices)
    items = []
    for condition in rule.conditions.all() if rule else ():
        value = figures.get(condition.kind, 0)
        percent = 100 if condition.threshold <= 0 else min(100, value * 100 // condition.threshold)
        items.append(
            ConditionProgress(
                kind=condition.kind,
                label=str(labels[condition.kind]),
                value=value,
                threshold=condition.threshold,
                met=value >= condition.threshold,
                percent=percent,
                text=f"{format_figure(condition.kind, value)} / {format_figure(condition.kind, condition.threshold)} {labels[condition.kind]}",
            )
        )
    history = tuple(LevelChange.objects.filter(distributor=distributor).select_related("from_level", "to_level")[:history_limit])
    return Progress(
        distributor=distributor,
        level=level,
        next_level=rule.level if rule else None,
        combine=rule.combine if rule else LevelRule.Combine.ALL,
        conditions=tuple(items),
        figures=figures,
        history=history,
    )


def level_changes(*, period: str | None = None, reason: str | None = None):
    qs = LevelChange.objects.select_related("distributor__user", "from_level", "to_level")
    if period:
        qs = qs.filter(period=period)
    if reason:
        qs = qs.filter(reason=reason)
    return qs


def unread_notifications(user):
    return user.notifications.filter(read_at__isnull=True)


# --- invitations -----------------------------------------------------------------------------------

# Orders that are real purchases: paid and not cancelled (a cancelled order is refunded in full).
REAL_ORDER_STATUSES = ["paid", "shipped", "received", "completed"]


def invitees(distributor: Distributor):
    """The distributors it invited that are approved, each annotated with `is_valid`: it completed a
    first real order, or was approved after a first purchase (its first paid order came no later
    than its approval, as under threshold admission)."""
    from django.db.models import Exists

    completed = Order.objects.filter(user_id=OuterRef("user_id"), status="completed")
    bought_first = Order.objects.filter(
        user_id=OuterRef("user_id"), status__in=REAL_ORDER_STATUSES, paid_at__lte=OuterRef("approved_at")
    )
    return Distributor.objects.filter(inviter_id=distributor.pk, status=APPROVED).annotate(
        is_valid=Exists(completed) | Exists(bought_first)
    )


@dataclass(frozen=True)
class InvitationCounts:
    valid: int  # invitees who bought
    heads: int  # every approved invitee

    def for_basis(self, basis: str) -> int:
        return self.heads if basis == "heads" else self.valid


def invitation_counts(distributor: Distributor) -> InvitationCounts:
    from django.db.models import Q

    row = invitees(distributor).aggregate(heads=Count("id"), valid=Count("id", filter=Q(is_valid=True)))
    return InvitationCounts(valid=row["valid"], heads=row["heads"])


@dataclass(frozen=True)
class RungState:
    rung: object
    count: int  # invitations counted on the rung's basis
    claimed: object | None  # the InvitationReward, once claimed

    @property
    def reached(self) -> bool:
        return self.count >= self.rung.invites

    @property
    def claimable(self) -> bool:
        return self.reached and self.claimed is None


def invitation_ladder(distributor: Distributor) -> tuple[InvitationCounts, list[RungState]]:
    """The enabled rungs with how far the distributor is on each and what it already claimed."""
    from .models import InvitationReward, InvitationRung

    counts = invitation_counts(distributor)
    claimed = {r.rung_id: r for r in InvitationReward.objects.filter(distributor_id=distributor.pk)}
    rungs = InvitationRung.objects.filter(is_enabled=True).order_by("invites")
    return counts, [RungState(rung, counts.for_basis(rung.basis), claimed.get(rung.pk)) for rung in rungs]
