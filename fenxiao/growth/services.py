"""The only code that writes growth data: upgrade rules, level changes and their notices.

A distributor moves up at once when an event that can qualify happens (an order completing, an
invitee approved): to the highest level whose rule it meets, never down. A monthly evaluation then
looks at everyone for a closed month, set-based: six aggregate queries for every distributor's
figures, the decisions in memory, then bulk updates. It upgrades likewise and, where the current
level's rule allows it, moves down one level a distributor that no longer meets that level's rule
and is past the protection period of its last upgrade. Every change is a `LevelChange` with the
figures that caused it and an in-app notice; a monthly change carries its period, unique per
distributor, so running a month again changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Distributor, Level

from .errors import GrowthError
from .models import LevelChange, LevelCondition, LevelRule, Notification
from .selectors import (
    APPROVED,
    KINDS,
    RuleView,
    Window,
    current_window,
    figures_for,
    load_rules,
    local_midnight,
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
CHUNK = 5000
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
NOTICE_KIND = "level_change"


# --- rules -----------------------------------------------------------------------------------


def _int(value: Any, field: str, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise GrowthError("invalid_rule", gettext("%(field)s 必须是不小于 %(low)d 的整数") % {"field": field, "low": low}, {field: value})
    return value


def validate_rule(*, combine: str, is_enabled: bool, protection_days: int, conditions: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The same checks from the API and the admin: known kinds once each, thresholds ≥ 0, at least one
    condition on an enabled rule."""
    if combine not in LevelRule.Combine.values:
        raise GrowthError("invalid_rule", gettext("条件组合只能是 all 或 any"), {"combine": combine})
    _int(protection_days, "protection_days", high=3650)
    clean: list[tuple[str, int]] = []
    for kind, threshold in conditions:
        if kind not in KINDS:
            raise GrowthError("invalid_rule", gettext("未知的升级条件"), {"kind": kind})
        if any(kind == seen for seen, _t in clean):
            raise GrowthError("invalid_rule", gettext("同一条件只能出现一次"), {"kind": kind})
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise GrowthError("invalid_rule", gettext("门槛必须是不小于 0 的整数（人数或分）"), {"kind": kind, "threshold": threshold})
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
    conditions: list[tuple[str, int]],
    actor=None,
) -> LevelRule:
    """Create or replace the rule of one level with its conditions."""
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise GrowthError("level_not_found", gettext("等级不存在"), {"level_id": level_id}, status=404)
    clean = validate_rule(combine=combine, is_enabled=is_enabled, protection_days=protection_days, conditions=list(conditions))
    rule, _created = LevelRule.objects.select_for_update().get_or_create(level=level)
    rule.combine, rule.is_enabled = combine, bool(is_enabled)
    rule.downgrade_enabled, rule.protection_days = bool(downgrade_enabled), protection_days
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
            "period": period, "old": from_name, "new": to_name,
        }
    if reason == R.MANUAL:
        body = gettext("运营已将你的分销等级由 %(old)s 调整为 %(new)s。") % {"old": from_name, "new": to_name}
    return Notification(user_id=user_id, kind=NOTICE_KIND, title=title[:80], body=body[:500], created_at=now)


def _record(distributor: Distributor, level: Level, *, reason: str, figures: dict, actor=None, note: str = "", now=None) -> LevelChange:
    """Move one (locked) distributor through distribution's own service and record why."""
    now = now or timezone.now()
    old = distributor.level
    upgrade = level.rank > old.rank
    label = {R.INSTANT: gettext("即时升级"), R.MANUAL: gettext("手动调整"), R.MONTHLY: gettext("月度评估")}[reason]
    distribution.assign_level(distributor=distributor, level=level, actor=actor, reason=f"{label}：{old.name} → {level.name}")
    change = LevelChange.objects.create(
        distributor=distributor, from_level=old, to_level=level, is_upgrade=upgrade, reason=reason,
        figures=figures, note=note[:200], actor=actor if getattr(actor, "pk", None) else None, created_at=now,
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


def _first_of_next(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def previous_month(now: datetime | None = None) -> str:
    today = timezone.localdate(now or timezone.now())
    last = date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)
    return f"{last:%Y-%m}"


def month_period(month: str | None = None, *, now: datetime | None = None) -> tuple[str, Window]:
    """A closed local month "YYYY-MM" (default: the previous one) and its window; the current or a
    future month is refused with `month_not_closed`."""
    label = previous_month(now) if month in (None, "") else month
    match = _MONTH.match(label) if isinstance(label, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise GrowthError("invalid_month", gettext("月份格式应为 YYYY-MM，例如 2026-10"), {"month": month})
    first = date(int(match.group(1)), int(match.group(2)), 1)
    today = timezone.localdate(now or timezone.now())
    if first >= today.replace(day=1):
        raise GrowthError(
            "month_not_closed", gettext("只能评估已结束的月份：%(month)s 尚未结束") % {"month": label}, {"month": label}
        )
    return label, Window(month_start=local_midnight(first), end=local_midnight(_first_of_next(first)))


@dataclass(frozen=True)
class EvaluationRun:
    period: str
    evaluated: int
    upgraded: int
    downgraded: int
    already_done: int

    def summary(self) -> str:
        return gettext("%(period)s 等级评估：评估 %(n)d 位分销商，升级 %(up)d 位，降级 %(down)d 位（此前已评估 %(done)d 位）") % {
            "period": self.period, "n": self.evaluated, "up": self.upgraded, "down": self.downgraded, "done": self.already_done,
        }


@dataclass(frozen=True)
class _Decision:
    distributor_id: int
    user_id: int
    from_level_id: int
    to_level_id: int
    upgrade: bool
    figures: dict


def _last_upgrades(since: datetime) -> dict[int, datetime]:
    rows = (
        LevelChange.objects.filter(is_upgrade=True, created_at__gt=since)
        .order_by()
        .values("distributor_id")
        .annotate(last=Max("created_at"))
        .values_list("distributor_id", "last")
    )
    return dict(rows)


def _decide(period: str, window: Window, rules: list[RuleView], now: datetime) -> tuple[list[_Decision], int, int]:
    levels = list(Level.objects.order_by("rank").values_list("pk", "rank"))
    rank_of = dict(levels)
    below = {levels[i][0]: levels[i - 1][0] for i in range(1, len(levels))}
    rule_of = {r.level_id: r for r in rules}
    active = [r for r in rules if r.is_enabled and r.conditions]
    longest = max((r.protection_days for r in rules), default=0)
    done = set(LevelChange.objects.filter(period=period).values_list("distributor_id", flat=True))
    protected = _last_upgrades(now - timedelta(days=longest)) if longest else {}
    figures = figures_for(None, window=window)
    decisions: list[_Decision] = []
    evaluated = 0
    members = Distributor.objects.filter(status=APPROVED).order_by().values_list("pk", "user_id", "level_id")
    for pk, user_id, level_id in members.iterator(chunk_size=CHUNK):
        if pk in done:
            continue
        evaluated += 1
        figs = figures.of(pk)
        target = upgrade_target(rank_of[level_id], active, figs)
        if target is not None:
            decisions.append(_Decision(pk, user_id, level_id, target.level_id, True, figs))
            continue
        # Down one level only where the current level's (enabled) rule allows it and is no longer met.
        rule = rule_of.get(level_id)
        if rule is None or rule not in active or not rule.downgrade_enabled or level_id not in below:
            continue
        if qualifies(rule, figs):
            continue
        last_up = protected.get(pk)
        if last_up is not None and now < last_up + timedelta(days=rule.protection_days):
            continue
        decisions.append(_Decision(pk, user_id, level_id, below[level_id], False, figs))
    return decisions, evaluated, len(done)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply(decisions: list[_Decision], period: str, actor, now: datetime) -> list[_Decision]:
    """Lock the rows to change, keep those still at the level decided from, then bulk-update them by
    (from, to) pair and bulk-insert their changes and notices."""
    current: dict[int, int] = {}
    for chunk in _chunks(sorted(d.distributor_id for d in decisions)):
        current.update(Distributor.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", "level_id"))
    applied = [d for d in decisions if current.get(d.distributor_id) == d.from_level_id]
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for d in applied:
        groups[(d.from_level_id, d.to_level_id)].append(d.distributor_id)
    for (from_id, to_id), ids in groups.items():
        for chunk in _chunks(ids):
            Distributor.objects.filter(pk__in=chunk, level_id=from_id).update(level_id=to_id)
    names = dict(Level.objects.values_list("pk", "name"))
    actor = actor if getattr(actor, "pk", None) else None
    LevelChange.objects.bulk_create(
        [
            LevelChange(
                distributor_id=d.distributor_id, from_level_id=d.from_level_id, to_level_id=d.to_level_id,
                is_upgrade=d.upgrade, reason=R.MONTHLY, figures=d.figures, period=period, actor=actor, created_at=now,
            )
            for d in applied
        ],
        batch_size=CHUNK,
    )
    Notification.objects.bulk_create(
        [_notice(d.user_id, names[d.from_level_id], names[d.to_level_id], d.upgrade, R.MONTHLY, period, now) for d in applied],
        batch_size=CHUNK,
    )
    return applied


def run_monthly_evaluation(month: str | None = None, now: datetime | None = None, *, actor=None) -> EvaluationRun:
    """Evaluate every approved distributor for a closed month (default: the previous one). Distributors
    already changed for that month are left alone, so a rerun changes nothing."""
    now = now or timezone.now()
    period, window = month_period(month, now=now)
    rules = load_rules()
    try:
        with transaction.atomic():
            decisions, evaluated, done = _decide(period, window, rules, now)
            applied = _apply(decisions, period, actor, now) if decisions else []
    except IntegrityError as exc:
        # A concurrent run recorded some of the same (distributor, month) changes first.
        raise GrowthError(
            "evaluation_running", gettext("该月份的评估正在另一处执行，请稍后重试"), {"period": period}, status=409
        ) from exc
    up = sum(1 for d in applied if d.upgrade)
    return EvaluationRun(period=period, evaluated=evaluated, upgraded=up, downgraded=len(applied) - up, already_done=done)


# --- invitation ladder ------------------------------------------------------------------------------

REWARD_EXPENSE_ACCOUNT = "platform:invitation_reward_expense"


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
    if reward == InvitationRung.Reward.CASH and (not isinstance(cash_fen, int) or isinstance(cash_fen, bool) or not 1 <= cash_fen <= 10**9):
        raise GrowthError("invalid_rung", gettext("现金奖励须大于 0"), {"cash_fen": cash_fen})
    if reward == InvitationRung.Reward.GIFT and not (gift_name or "").strip():
        raise GrowthError("invalid_rung", gettext("请填写礼品名称"))
    if reward == InvitationRung.Reward.POINTS and (not isinstance(points, int) or isinstance(points, bool) or points <= 0):
        raise GrowthError("invalid_rung", gettext("积分奖励须大于 0"), {"points": points})


@transaction.atomic
def save_rung(*, invites: int, basis: str, reward: str, cash_fen: int = 0, gift_name: str = "", points: int = 0,
              is_enabled: bool = True, rung_id: int | None = None):
    """Create or change a rung. Returns (rung, warning); the warning is not empty for a heads-only rung."""
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
    rung.save()
    return rung, heads_only_warning(rung)


def claim_invitation_reward(*, distributor: Distributor, rung_id: int, now: datetime | None = None):
    """Claim a reached rung. Each rung is paid once per distributor: claiming again returns the
    reward already given and posts nothing."""
    from fenxiao.commissions.services import available_account, ensure_distributor_accounts
    from fenxiao.ledger import services as ledger
    from fenxiao.ledger.models import AccountKind

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
                distributor=distributor, rung=rung, invites_counted=count, reward=rung.reward, cash_fen=rung.cash_fen,
                gift_name=rung.gift_name, points=rung.points, created_at=now or timezone.now(),
            )
            if rung.reward == InvitationRung.Reward.CASH and rung.cash_fen > 0:
                ensure_distributor_accounts([distributor.pk])
                ledger.open_accounts({REWARD_EXPENSE_ACCOUNT: {"kind": AccountKind.EXPENSE, "name": gettext("邀请奖励费用")}})
                txn = ledger.post(
                    idempotency_key=f"invitation_reward:{distributor.pk}:{rung.pk}", kind="invitation_reward",
                    entries=[(REWARD_EXPENSE_ACCOUNT, "debit", rung.cash_fen), (available_account(distributor.pk), "credit", rung.cash_fen)],
                    memo=gettext("邀请 %(n)s 人阶梯奖励") % {"n": rung.invites}, reference=distributor.code,
                )
                reward.ledger_transaction_id = txn.pk
                reward.save(update_fields=["ledger_transaction_id"])
            Notification.objects.create(
                user_id=distributor.user_id, kind="invitation_reward",
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
