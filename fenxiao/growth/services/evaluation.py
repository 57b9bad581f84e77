"""The monthly level evaluation. It looks at everyone for a closed month inside the database: the figures
and decisions of the whole network in one statement, then a few set-based writes. It upgrades to the
highest level whose rule a distributor meets and, where the current level's rule allows it, moves down
one level a distributor that no longer meets that level's rule, is past the protection period of its
last upgrade and has missed it for as many consecutive months as the rule asks (`LevelStrike` keeps the
count). A monthly change carries its period, unique per distributor, so running a month again changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.distribution.models import Distributor, Level

from ..errors import GrowthCode, GrowthError
from ..models import LevelChange, LevelRule, LevelStrike, Notification
from ..selectors import APPROVED, KINDS, RuleView, Window, everyone_figures_sql, load_rules
from .levels import R, level_notice

# --- monthly evaluation ----------------------------------------------------------------------


def previous_month(now: datetime | None = None) -> str:
    return periods.previous_month(now)


def month_period(month: str | None = None, *, now: datetime | None = None) -> tuple[str, Window]:
    """A closed local month "YYYY-MM" (default: the previous one) and its window; the current or a
    future month is refused with `month_not_closed`."""
    label = periods.previous_month(now) if month in (None, "") else month
    first = periods.parse_month(label)
    if first is None:
        raise GrowthError(GrowthCode.INVALID_MONTH, gettext("月份格式应为 YYYY-MM，例如 2026-10"), {"month": month})
    if not periods.is_closed_month(first, now):
        raise GrowthError(
            GrowthCode.MONTH_NOT_CLOSED, gettext("只能评估已结束的月份：%(month)s 尚未结束") % {"month": label}, {"month": label}
        )
    start, end = periods.month_bounds(first)
    return label, Window(month_start=start, end=end)


@dataclass(frozen=True)
class EvaluationRun:
    period: str
    evaluated: int
    upgraded: int
    downgraded: int
    already_done: int

    def summary(self) -> str:
        return gettext("%(period)s 等级评估：评估 %(n)d 位分销商，升级 %(up)d 位，降级 %(down)d 位（此前已评估 %(done)d 位）") % {
            "period": self.period,
            "n": self.evaluated,
            "up": self.upgraded,
            "down": self.downgraded,
            "done": self.already_done,
        }


TEMP = "growth_month_run"  # one per connection, dropped at the end of the run


class _Sql:
    """Raw SQL with named parameters, so that rule expressions compose without quoting values."""

    def __init__(self, params: dict | None = None):
        self.params = dict(params or {})

    def __call__(self, value) -> str:
        name = f"v{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"


def _met(rule: RuleView, q: _Sql, alias: str) -> str:
    """`qualifies` as a SQL condition on the figure columns of `alias`."""
    tests = []
    for kind, threshold in rule.conditions:
        if kind in KINDS:
            tests.append(f"{alias}.{kind} >= {q(threshold)}")
        else:  # a figure nobody has reads as 0, as in `qualifies`
            tests.append("1 = 1" if 0 >= threshold else "1 = 0")
    return "(" + (" AND " if rule.combine == LevelRule.Combine.ALL else " OR ").join(tests) + ")"


def _judge_sql(period: str, window: Window, rules: list[RuleView], now: datetime) -> tuple[str, dict]:
    """One INSERT … SELECT that fills the run's table with every evaluated distributor that moves,
    missed its level's rule, or has a streak: its figures, the level above it qualifies for (highest
    first, as `upgrade_target`), whether it missed a rule that downgrades (past the protection
    period), its count of consecutive missed months, and the level it goes to."""
    figures, params = everyone_figures_sql(window)
    q = _Sql(params)
    levels = list(Level.objects.order_by("rank").values_list("pk", "rank"))
    below = {levels[i][0]: levels[i - 1][0] for i in range(1, len(levels))}
    rule_of = {r.level_id: r for r in rules}
    active = [r for r in rules if r.is_enabled and r.conditions]
    longest = max((r.protection_days for r in rules), default=0)

    ups = [
        f"WHEN lv.rank < {q(r.rank)} AND {_met(r, q, 'f')} THEN CAST({q(r.level_id)} AS bigint)"
        for r in sorted(active, key=lambda r: -r.rank)
    ]
    target = f"CASE {' '.join(ups)} END" if ups else "CAST(NULL AS bigint)"  # typed: PostgreSQL reads a bare NULL as text
    downs = [rule_of[pk] for pk, _rank in levels if pk in below and rule_of.get(pk) in active and rule_of[pk].downgrade_enabled]
    misses, down_to = [], []
    for rule in downs:
        since = connection.ops.adapt_datetimefield_value(now - timedelta(days=rule.protection_days))
        unprotected = f"(u.last_up IS NULL OR u.last_up <= {q(since)})" if longest else "1 = 1"
        misses.append(f"WHEN f.level_id = {q(rule.level_id)} AND NOT {_met(rule, q, 'f')} AND {unprotected} THEN 1")
        down_to.append(
            f"WHEN j.level_id = {q(rule.level_id)} AND j.missed = 1 AND j.misses >= {q(rule.downgrade_after_months)} "
            f"THEN CAST({q(below[rule.level_id])} AS bigint)"
        )
    missed = f"CASE {' '.join(misses)} ELSE 0 END" if misses else "0"
    down = f"CASE {' '.join(down_to)} END" if down_to else "CAST(NULL AS bigint)"
    last_up = (
        f"LEFT JOIN (SELECT c.distributor_id, MAX(c.created_at) AS last_up FROM {LevelChange._meta.db_table} c "
        f"WHERE c.is_upgrade AND c.created_at > {q(connection.ops.adapt_datetimefield_value(now - timedelta(days=longest)))} "
        "GROUP BY c.distributor_id) u ON u.distributor_id = f.id"
        if longest
        else ""
    )
    p, before = q(period), q(periods.shift_month(period, -1))
    columns = ", ".join(
        ("id", "user_id", "level_id", *KINDS, "strike_period", "target", "missed", "misses", "to_level", "applied")
    )
    sql = f"""
        INSERT INTO {TEMP} ({columns})
        SELECT j.*, COALESCE(j.target, {down}), 0 FROM (
            SELECT f.id, f.user_id, f.level_id, {", ".join(f"f.{kind}" for kind in KINDS)}, s.last_period,
                {target} AS target, {missed} AS missed,
                CASE WHEN s.level_id = f.level_id AND s.last_period = {p} THEN s.misses
                     WHEN s.level_id = f.level_id AND s.last_period = {before} THEN s.misses + 1 ELSE 1 END AS misses
            FROM ({figures}) f
            JOIN {Level._meta.db_table} lv ON lv.id = f.level_id
            LEFT JOIN {LevelStrike._meta.db_table} s ON s.distributor_id = f.id
            {last_up}
            WHERE NOT EXISTS (SELECT 1 FROM {LevelChange._meta.db_table} c WHERE c.distributor_id = f.id AND c.period = {p})
        ) j
        WHERE j.target IS NOT NULL OR j.missed = 1 OR j.last_period IS NOT NULL"""
    return sql, q.params


def _create_run_table(cursor) -> None:
    kinds = ", ".join(f"{kind} bigint NOT NULL" for kind in KINDS)
    cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {TEMP} (id bigint PRIMARY KEY, user_id bigint NOT NULL, level_id bigint NOT NULL, {kinds}, "
        "strike_period varchar(7), target bigint, missed integer NOT NULL, misses integer NOT NULL, to_level bigint, "
        "applied integer NOT NULL)"
    )


def _apply_run(cursor, period: str, actor_id: int | None, now: datetime) -> tuple[int, int]:
    """Lock the distributors to move (by id), keep those still at the level decided from, move them,
    and record a change and a notice for each; then keep the streaks. Returns (upgraded, downgraded)."""
    distributor = Distributor._meta.db_table
    still_there = (
        f"SELECT d.id FROM {distributor} d JOIN {TEMP} r ON r.id = d.id WHERE r.to_level IS NOT NULL AND d.level_id = r.level_id"
    )
    if connection.features.has_select_for_update:
        # Locked in id order; a row changed meanwhile is read again and left out if it moved.
        still_there += " ORDER BY d.id FOR UPDATE OF d"
    cursor.execute(f"UPDATE {TEMP} SET applied = 1 WHERE id IN ({still_there})")
    cursor.execute(f"SELECT level_id, to_level, COUNT(*) FROM {TEMP} WHERE applied = 1 GROUP BY level_id, to_level")
    pairs = cursor.fetchall()
    upgraded = downgraded = 0
    if pairs:
        cursor.execute(
            f"UPDATE {distributor} SET level_id = r.to_level FROM (SELECT id, to_level FROM {TEMP} WHERE applied = 1 ORDER BY id) r "
            f"WHERE r.id = {distributor}.id"
        )
        q = _Sql({"period": period, "actor": actor_id, "now": connection.ops.adapt_datetimefield_value(now)})
        levels = {pk: (name, rank) for pk, name, rank in Level.objects.values_list("pk", "name", "rank")}
        texts: dict[str, list[str]] = {"kind": [], "title": [], "body": [], "url": []}
        for from_id, to_id, count in pairs:
            upgrade = levels[to_id][1] > levels[from_id][1]
            upgraded, downgraded = upgraded + count * upgrade, downgraded + count * (not upgrade)
            notice = level_notice(0, levels[from_id][0], levels[to_id][0], upgrade, R.MONTHLY, period, now)
            pair = f"r.level_id = {q(from_id)} AND r.to_level = {q(to_id)}"
            for field, values in texts.items():
                values.append(f"WHEN {pair} THEN {q(getattr(notice, field))}")
        case = {field: f"CASE {' '.join(values)} END" for field, values in texts.items()}
        json = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
        figures = ", ".join(f"'{kind}', r.{kind}" for kind in KINDS)
        cursor.execute(
            f"INSERT INTO {LevelChange._meta.db_table} (distributor_id, from_level_id, to_level_id, is_upgrade, reason, figures, "
            f"period, note, actor_id, created_at) SELECT r.id, r.level_id, r.to_level, r.target IS NOT NULL, {q(R.MONTHLY)}, "
            f"{json}({figures}), %(period)s, '', CAST(%(actor)s AS bigint), %(now)s FROM {TEMP} r WHERE r.applied = 1 ORDER BY r.id",
            q.params,
        )
        cursor.execute(
            f"INSERT INTO {Notification._meta.db_table} (user_id, kind, title, body, url, created_at) "
            f"SELECT r.user_id, {case['kind']}, {case['title']}, {case['body']}, {case['url']}, %(now)s "
            f"FROM {TEMP} r WHERE r.applied = 1 ORDER BY r.id",
            q.params,
        )
    # Streaks: a move ends one; so does a month that was not a miss, unless the streak is from this or
    # a later month; a miss that did not lead down is this month's count.
    strike = LevelStrike._meta.db_table
    cursor.execute(
        f"DELETE FROM {strike} WHERE distributor_id IN (SELECT id FROM {TEMP} WHERE to_level IS NOT NULL "
        "OR (missed = 0 AND strike_period < %(period)s))",
        {"period": period},
    )
    cursor.execute(
        f"INSERT INTO {strike} (distributor_id, level_id, misses, last_period) SELECT id, level_id, misses, %(period)s "
        f"FROM {TEMP} WHERE missed = 1 AND to_level IS NULL AND (strike_period IS NULL OR strike_period < %(period)s) "
        "ON CONFLICT (distributor_id) DO UPDATE SET level_id = excluded.level_id, misses = excluded.misses, "
        "last_period = excluded.last_period",
        {"period": period},
    )
    return upgraded, downgraded


def run_monthly_evaluation(month: str | None = None, now: datetime | None = None, *, actor=None) -> EvaluationRun:
    """Evaluate every approved distributor for a closed month (default: the previous one). Distributors
    already changed for that month are left alone, so a rerun changes nothing.

    All of it happens in the database, in a fixed number of statements whatever the size of the
    network: the figures and decisions go into a temporary table, and the moves, changes, notices and
    streaks are written from it. Only the distributors that move, miss or have a streak are kept there."""
    now = now or timezone.now()
    period, window = month_period(month, now=now)
    rules = load_rules()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    done = LevelChange.objects.filter(period=period)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            already = done.count()
            evaluated = (
                Distributor.objects.filter(status=APPROVED).filter(~Exists(done.filter(distributor_id=OuterRef("pk")))).count()
            )
            _create_run_table(cursor)
            sql, params = _judge_sql(period, window, rules, now)
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {TEMP}")
            upgraded, downgraded = _apply_run(cursor, period, actor_id, now)
            cursor.execute(f"DROP TABLE {TEMP}")
    except IntegrityError as exc:
        # A concurrent run recorded some of the same (distributor, month) changes first.
        raise GrowthError(
            GrowthCode.EVALUATION_RUNNING, gettext("该月份的评估正在另一处执行，请稍后重试"), {"period": period}, status=409
        ) from exc
    return EvaluationRun(period=period, evaluated=evaluated, upgraded=upgraded, downgraded=downgraded, already_done=already)
