"""The only code that writes growth data: upgrade rules, level changes and their notices.

A distributor moves up at once when an event that can qualify happens (an order completing, an
invitee approved): to the highest level whose rule it meets, never down. A monthly evaluation then
looks at everyone for a closed month, inside the database: the figures and decisions of the whole
network in one statement, then a few set-based writes. It upgrades likewise and, where the current
level's rule allows it, moves down one level a distributor that no longer meets that level's rule,
is past the protection period of its last upgrade and has missed it for as many consecutive months
as the rule asks (`LevelStrike` keeps the count). Every change is a `LevelChange` with the
figures that caused it and an in-app notice; a monthly change carries its period, unique per
distributor, so running a month again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import yuan
from fenxiao.common.periods import month_index, month_label, month_start
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Distributor, Level

from .errors import GrowthError
from .models import LevelChange, LevelCondition, LevelRule, LevelStrike, Notification
from .selectors import (
    APPROVED,
    KINDS,
    RuleView,
    Window,
    current_window,
    everyone_figures_sql,
    figures_for,
    load_rules,
    qualifies,
    upgrade_target,
)

__all__ = [
    "change_level",
    "evaluate_instant",
    "evaluate_instant_many",
    "figures_for",
    "month_period",
    "qualifies",
    "run_monthly_evaluation",
    "save_rule",
]

R = LevelChange.Reason
NOTICE_KIND = "level_change"


# --- rules -----------------------------------------------------------------------------------


def _int(value: Any, field: str, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise GrowthError(
            "invalid_rule", gettext("%(field)s 必须是不小于 %(low)d 的整数") % {"field": field, "low": low}, {field: value}
        )
    return value


def validate_rule(
    *, combine: str, is_enabled: bool, protection_days: int, conditions: list[tuple[str, int]], downgrade_after_months: int = 1
) -> list[tuple[str, int]]:
    """The same checks from the API and the admin: known kinds once each, thresholds ≥ 0, at least one
    condition on an enabled rule, 1 to 12 missed months before a downgrade."""
    if combine not in LevelRule.Combine.values:
        raise GrowthError("invalid_rule", gettext("条件组合只能是 all 或 any"), {"combine": combine})
    _int(protection_days, "protection_days", high=3650)
    if (
        isinstance(downgrade_after_months, bool)
        or not isinstance(downgrade_after_months, int)
        or not 1 <= downgrade_after_months <= 12
    ):
        raise GrowthError(
            "invalid_rule", gettext("连续未达标月数必须是 1 到 12 的整数"), {"downgrade_after_months": downgrade_after_months}
        )
    clean: list[tuple[str, int]] = []
    for kind, threshold in conditions:
        if kind not in KINDS:
            raise GrowthError("invalid_rule", gettext("未知的升级条件"), {"kind": kind})
        if any(kind == seen for seen, _t in clean):
            raise GrowthError("invalid_rule", gettext("同一条件只能出现一次"), {"kind": kind})
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise GrowthError(
                "invalid_rule", gettext("门槛必须是不小于 0 的整数（人数或分）"), {"kind": kind, "threshold": threshold}
            )
        clean.append((kind, threshold))
    if is_enabled and not clean:
        raise GrowthError("invalid_rule", gettext("启用的规则至少需要一个条件"))
    return clean


@transaction.atomic
def save_rule(
    *,
    level_id: int,
    combine: str = LevelRule.Combine.ALL,
    is_enabled: bool = True,
    downgrade_enabled: bool = False,
    protection_days: int = 30,
    downgrade_after_months: int = 1,
    conditions: list[tuple[str, int]],
    actor=None,
) -> LevelRule:
    """Create or replace the rule of one level with its conditions."""
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise GrowthError("level_not_found", gettext("等级不存在"), {"level_id": level_id}, status=404)
    clean = validate_rule(
        combine=combine,
        is_enabled=is_enabled,
        protection_days=protection_days,
        conditions=list(conditions),
        downgrade_after_months=downgrade_after_months,
    )
    rule, _created = LevelRule.objects.select_for_update().get_or_create(level=level)
    rule.combine, rule.is_enabled = combine, bool(is_enabled)
    rule.downgrade_enabled, rule.protection_days = bool(downgrade_enabled), protection_days
    rule.downgrade_after_months = downgrade_after_months
    rule.updated_by = actor if getattr(actor, "pk", None) else None
    rule.save()
    rule.conditions.all().delete()
    LevelCondition.objects.bulk_create([LevelCondition(rule=rule, kind=k, threshold=t) for k, t in clean])
    return rule


# --- notices ---------------------------------------------------------------------------------


def _notice(user_id: int, from_name: str, to_name: str, upgrade: bool, reason: str, period: str, now: datetime) -> Notification:
    if upgrade:
        title = gettext("恭喜升级为%(level)s") % {"level": to_name}
        body = gettext("你的分销等级已由 %(old)s 升为 %(new)s，新的佣金比例即刻生效。") % {"old": from_name, "new": to_name}
    else:
        title = gettext("等级调整为%(level)s") % {"level": to_name}
        body = gettext("%(period)s 月度评估未达到 %(old)s 的保级条件，等级调整为 %(new)s。") % {
            "period": period,
            "old": from_name,
            "new": to_name,
        }
    if reason == R.MANUAL:
        body = gettext("运营已将你的分销等级由 %(old)s 调整为 %(new)s。") % {"old": from_name, "new": to_name}
    return Notification(user_id=user_id, kind=NOTICE_KIND, title=title[:80], body=body[:500], created_at=now)


def _record(
    distributor: Distributor, level: Level, *, reason: str, figures: dict, actor=None, note: str = "", now=None
) -> LevelChange:
    """Move one (locked) distributor through distribution's own service and record why."""
    now = now or timezone.now()
    old = distributor.level
    upgrade = level.rank > old.rank
    label = {R.INSTANT: gettext("即时升级"), R.MANUAL: gettext("手动调整"), R.MONTHLY: gettext("月度评估")}[reason]
    distribution.assign_level(distributor=distributor, level=level, actor=actor, reason=f"{label}：{old.name} → {level.name}")
    change = LevelChange.objects.create(
        distributor=distributor,
        from_level=old,
        to_level=level,
        is_upgrade=upgrade,
        reason=reason,
        figures=figures,
        note=note[:200],
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    _notice(distributor.user_id, old.name, level.name, upgrade, reason, "", now).save()
    return change


# --- instant upgrade -------------------------------------------------------------------------


def evaluate_instant_many(distributor_ids, *, now: datetime | None = None) -> list[LevelChange]:
    """Upgrade each approved distributor to the highest level it now qualifies for; never down.
    The figures of all of them come from one set of aggregate queries."""
    ids = sorted({pk for pk in distributor_ids if pk})
    if not ids:
        return []
    rules = [r for r in load_rules() if r.is_enabled and r.conditions]
    if not rules:
        return []
    now = now or timezone.now()
    top = max(r.rank for r in rules)
    candidates = dict(
        Distributor.objects.filter(pk__in=ids, status=APPROVED, level__rank__lt=top).values_list("pk", "level__rank")
    )
    if not candidates:
        return []
    figures = figures_for(candidates, window=current_window(now))
    targets = {pk: t for pk in candidates if (t := upgrade_target(candidates[pk], rules, figures.of(pk))) is not None}
    changes = []
    with transaction.atomic():
        for pk in sorted(targets):
            distributor = Distributor.objects.select_for_update().select_related("level").filter(pk=pk).first()
            target = targets[pk]
            if distributor is None or distributor.status != APPROVED or distributor.level.rank >= target.rank:
                continue
            level = Level.objects.get(pk=target.level_id)
            changes.append(_record(distributor, level, reason=R.INSTANT, figures=figures.of(pk), now=now))
    return changes


def evaluate_instant(distributor: Distributor, *, now: datetime | None = None) -> LevelChange | None:
    """One distributor's instant upgrade, if it qualifies for a higher level."""
    changes = evaluate_instant_many([distributor.pk], now=now)
    return changes[0] if changes else None


@transaction.atomic
def change_level(*, distributor_id: int, level_id: int, actor, note: str = "") -> LevelChange | None:
    """An operator sets a distributor's level by hand (recorded with the figures of the moment)."""
    distributor = Distributor.objects.select_for_update().select_related("level").filter(pk=distributor_id).first()
    if distributor is None:
        raise GrowthError("not_distributor", gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404)
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise GrowthError("level_not_found", gettext("等级不存在"), {"level_id": level_id}, status=404)
    if level.pk == distributor.level_id:
        return None
    figures = figures_for([distributor.pk]).of(distributor.pk)
    return _record(distributor, level, reason=R.MANUAL, figures=figures, actor=actor, note=note)


# --- monthly evaluation ----------------------------------------------------------------------


def previous_month(now: datetime | None = None) -> str:
    return periods.previous_month(now)


def month_period(month: str | None = None, *, now: datetime | None = None) -> tuple[str, Window]:
    """A closed local month "YYYY-MM" (default: the previous one) and its window; the current or a
    future month is refused with `month_not_closed`."""
    label = periods.previous_month(now) if month in (None, "") else month
    first = periods.parse_month(label)
    if first is None:
        raise GrowthError("invalid_month", gettext("月份格式应为 YYYY-MM，例如 2026-10"), {"month": month})
    if not periods.is_closed_month(first, now):
        raise GrowthError(
            "month_not_closed", gettext("只能评估已结束的月份：%(month)s 尚未结束") % {"month": label}, {"month": label}
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


def _month_before(period: str) -> str:
    return month_label(month_start(month_index(date(int(period[:4]), int(period[5:7]), 1)) - 1))


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
        f"WHEN lv.rank < {q(r.rank)} AND {_met(r, q, 'f')} THEN CAST({q(r.level_id)} AS bigint)" for r in sorted(active, key=lambda r: -r.rank)
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
    p, before = q(period), q(_month_before(period))
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
            notice = _notice(0, levels[from_id][0], levels[to_id][0], upgrade, R.MONTHLY, period, now)
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
            "evaluation_running", gettext("该月份的评估正在另一处执行，请稍后重试"), {"period": period}, status=409
        ) from exc
    return EvaluationRun(period=period, evaluated=evaluated, upgraded=upgraded, downgraded=downgraded, already_done=already)


# --- invitation ladder ------------------------------------------------------------------------------

REWARD_EXPENSE_ACCOUNT = "platform:invitation_reward_expense"
REWARD_LEDGER_KIND = "invitation_reward"


def heads_only_warning(rung) -> str:
    """What the console says about a rung that rewards heads without sales; empty when it does not."""
    if not rung.is_enabled or not rung.heads_only:
        return ""
    return gettext(
        "阶梯“%(invites)s 人”按人头计数：受邀人不必购买就能拿到奖励。只为拉人头发放的奖励有传销风险，"
        "建议改为“有效邀请（受邀人已完成首单）”。"
    ) % {"invites": rung.invites}


def validate_rung(*, invites, basis, reward, cash_fen=0, gift_name="", points=0) -> None:
    from .models import InvitationRung

    if isinstance(invites, bool) or not isinstance(invites, int) or not 1 <= invites <= 100_000:
        raise GrowthError("invalid_rung", gettext("邀请人数必须是 1 到 100000 的整数"), {"invites": invites})
    if basis not in InvitationRung.Basis.values:
        raise GrowthError("invalid_rung", gettext("计数口径无效"), {"basis": basis})
    if reward not in InvitationRung.Reward.values:
        raise GrowthError("invalid_rung", gettext("奖励类型只能是礼品、现金或积分"), {"reward": reward})
    if reward == InvitationRung.Reward.CASH and (
        not isinstance(cash_fen, int) or isinstance(cash_fen, bool) or not 1 <= cash_fen <= 10**9
    ):
        raise GrowthError("invalid_rung", gettext("现金奖励须大于 0"), {"cash_fen": cash_fen})
    if reward == InvitationRung.Reward.GIFT and not (gift_name or "").strip():
        raise GrowthError("invalid_rung", gettext("请填写礼品名称"))
    if reward == InvitationRung.Reward.POINTS and (not isinstance(points, int) or isinstance(points, bool) or points <= 0):
        raise GrowthError("invalid_rung", gettext("积分奖励须大于 0"), {"points": points})


@transaction.atomic
def save_rung(
    *,
    invites: int,
    basis: str,
    reward: str,
    cash_fen: int = 0,
    gift_name: str = "",
    points: int = 0,
    is_enabled: bool = True,
    rung_id: int | None = None,
    actor=None,
):
    """Create or change a rung. Returns (rung, warning); the warning is not empty for a heads-only rung.
    A cash amount not yet approved by finance is proposed for approval and cannot be claimed until then."""
    from .models import InvitationRung

    validate_rung(invites=invites, basis=basis, reward=reward, cash_fen=cash_fen, gift_name=gift_name, points=points)
    rung = InvitationRung.objects.select_for_update().filter(pk=rung_id).first() if rung_id else InvitationRung()
    if rung is None:
        raise GrowthError("rung_not_found", gettext("阶梯不存在"), status=404)
    if InvitationRung.objects.filter(invites=invites).exclude(pk=rung.pk).exists():
        raise GrowthError("invalid_rung", gettext("已有相同人数的阶梯"), {"invites": invites}, status=409)
    rung.invites, rung.basis, rung.reward, rung.is_enabled = invites, basis, reward, is_enabled
    rung.cash_fen = cash_fen if reward == InvitationRung.Reward.CASH else 0
    rung.gift_name = (gift_name or "").strip()[:60] if reward == InvitationRung.Reward.GIFT else ""
    rung.points = points if reward == InvitationRung.Reward.POINTS else 0
    if reward != InvitationRung.Reward.CASH:
        rung.cash_approved_fen = 0  # a later cash amount is approved afresh
    rung.save()
    if rung.cash_awaiting_approval:
        propose_rung_cash(rung, actor=actor)
    return rung, heads_only_warning(rung)


RUNG_CASH_APPROVAL = "invitation_rung_cash"


def propose_rung_cash(rung, *, actor=None):
    """Ask finance to approve a rung's cash amount (paid to every distributor who reaches it)."""
    from fenxiao.approvals import services as approvals

    return approvals.propose(
        kind=RUNG_CASH_APPROVAL,
        reference=f"invitation_rung:{rung.pk}:{rung.cash_fen}",
        amount_fen=rung.cash_fen,
        summary=gettext("邀请满 %(n)s 人的现金奖励：每人 ¥%(amount)s") % {"n": rung.invites, "amount": yuan(rung.cash_fen)},
        proposer=actor,
        payload={"rung_id": rung.pk, "cash_fen": rung.cash_fen},
    )


def approve_rung_cash(request, actor) -> dict:
    """Approval handler: the rung's cash may be claimed, if the amount is still the one approved."""
    from .models import InvitationRung

    rung = InvitationRung.objects.select_for_update().filter(pk=request.payload["rung_id"]).first()
    if rung is None or rung.reward != InvitationRung.Reward.CASH or rung.cash_fen != request.payload["cash_fen"]:
        raise GrowthError("rung_changed", gettext("该阶梯的现金奖励已修改，请驳回此审批"), status=409)
    rung.cash_approved_fen = rung.cash_fen
    rung.save(update_fields=["cash_approved_fen"])
    return {"rung_id": rung.pk, "cash_approved_fen": rung.cash_approved_fen}


def claim_invitation_reward(*, distributor: Distributor, rung_id: int, now: datetime | None = None):
    """Claim a reached rung. Each rung is paid once per distributor: claiming again returns the
    reward already given and posts nothing."""
    from fenxiao.commissions.postings import credit_available

    from .models import InvitationReward, InvitationRung
    from .selectors import invitation_counts

    existing = InvitationReward.objects.filter(distributor_id=distributor.pk, rung_id=rung_id).first()
    if existing is not None:
        return existing
    rung = InvitationRung.objects.filter(pk=rung_id, is_enabled=True).first()
    if rung is None:
        raise GrowthError("rung_not_found", gettext("奖励阶梯不存在或已停用"), {"rung_id": rung_id}, status=404)
    if distributor.status != APPROVED:
        raise GrowthError("not_distributor", gettext("只有已审核的分销商可以领取邀请奖励"), status=403)
    if rung.cash_awaiting_approval:
        raise GrowthError(
            "reward_awaiting_approval", gettext("该现金奖励正在等待财务审核，审核通过后即可领取"), {"rung_id": rung.pk}, status=409
        )
    count = invitation_counts(distributor).for_basis(rung.basis)
    if count < rung.invites:
        raise GrowthError(
            "rung_not_reached",
            gettext("还差 %(left)s 位有效邀请才能领取") % {"left": rung.invites - count},
            {"invites": count, "needed": rung.invites},
            status=409,
        )
    try:
        with transaction.atomic():
            reward = InvitationReward.objects.create(
                distributor=distributor,
                rung=rung,
                invites_counted=count,
                reward=rung.reward,
                cash_fen=rung.cash_fen,
                gift_name=rung.gift_name,
                points=rung.points,
                created_at=now or timezone.now(),
            )
            if rung.reward == InvitationRung.Reward.CASH and rung.cash_fen > 0:
                txn = credit_available(
                    {distributor.pk: rung.cash_fen},
                    kind=REWARD_LEDGER_KIND,
                    idempotency_key=f"invitation_reward:{distributor.pk}:{rung.pk}",
                    memo=gettext("邀请 %(n)s 人阶梯奖励") % {"n": rung.invites},
                    reference=distributor.code,
                )
                reward.ledger_transaction_id = txn.pk
                reward.save(update_fields=["ledger_transaction_id"])
            Notification.objects.create(
                user_id=distributor.user_id,
                kind="invitation_reward",
                title=gettext("邀请奖励已领取"),
                body=gettext("邀请满 %(n)s 人：%(reward)s") % {"n": rung.invites, "reward": rung.get_reward_display()},
            )
            return reward
    except IntegrityError:
        # A concurrent claim of the same rung committed first: that one is the reward.
        existing = InvitationReward.objects.filter(distributor_id=distributor.pk, rung_id=rung_id).first()
        if existing is not None:
            return existing
        raise
