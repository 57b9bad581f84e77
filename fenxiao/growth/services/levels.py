"""Upgrade rules, instant upgrades and hand changes of a distributor's level, with their notices.

A distributor moves up at once when an event that can qualify happens (an order completing, an
invitee approved): to the highest level whose rule it meets, never down. Every change is a
`LevelChange` with the figures that caused it and an in-app notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Distributor, Level

from ..errors import GrowthCode, GrowthError
from ..models import LevelChange, LevelCondition, LevelRule, Notification
from ..selectors import APPROVED, KINDS, current_window, figures_for, load_rules, upgrade_target

R = LevelChange.Reason
NOTICE_KIND = "level_change"


# --- rules -----------------------------------------------------------------------------------


def _int(value: Any, field: str, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise GrowthError(
            GrowthCode.INVALID_RULE,
            gettext("%(field)s 必须是不小于 %(low)d 的整数") % {"field": field, "low": low},
            {field: value},
        )
    return value


def validate_rule(
    *, combine: str, is_enabled: bool, protection_days: int, conditions: list[tuple[str, int]], downgrade_after_months: int = 1
) -> list[tuple[str, int]]:
    """The same checks from the API and the admin: known kinds once each, thresholds ≥ 0, at least one
    condition on an enabled rule, 1 to 12 missed months before a downgrade."""
    if combine not in LevelRule.Combine.values:
        raise GrowthError(GrowthCode.INVALID_RULE, gettext("条件组合只能是 all 或 any"), {"combine": combine})
    _int(protection_days, "protection_days", high=3650)
    if (
        isinstance(downgrade_after_months, bool)
        or not isinstance(downgrade_after_months, int)
        or not 1 <= downgrade_after_months <= 12
    ):
        raise GrowthError(
            GrowthCode.INVALID_RULE,
            gettext("连续未达标月数必须是 1 到 12 的整数"),
            {"downgrade_after_months": downgrade_after_months},
        )
    clean: list[tuple[str, int]] = []
    for kind, threshold in conditions:
        if kind not in KINDS:
            raise GrowthError(GrowthCode.INVALID_RULE, gettext("未知的升级条件"), {"kind": kind})
        if any(kind == seen for seen, _t in clean):
            raise GrowthError(GrowthCode.INVALID_RULE, gettext("同一条件只能出现一次"), {"kind": kind})
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise GrowthError(
                GrowthCode.INVALID_RULE, gettext("门槛必须是不小于 0 的整数（人数或分）"), {"kind": kind, "threshold": threshold}
            )
        clean.append((kind, threshold))
    if is_enabled and not clean:
        raise GrowthError(GrowthCode.INVALID_RULE, gettext("启用的规则至少需要一个条件"))
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
        raise GrowthError(GrowthCode.LEVEL_NOT_FOUND, gettext("等级不存在"), {"level_id": level_id}, status=404)
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


def level_notice(
    user_id: int, from_name: str, to_name: str, upgrade: bool, reason: str, period: str, now: datetime
) -> Notification:
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
    level_notice(distributor.user_id, old.name, level.name, upgrade, reason, "", now).save()
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
        raise GrowthError(
            GrowthCode.DISTRIBUTOR_NOT_FOUND, gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404
        )
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise GrowthError(GrowthCode.LEVEL_NOT_FOUND, gettext("等级不存在"), {"level_id": level_id}, status=404)
    if level.pk == distributor.level_id:
        return None
    figures = figures_for([distributor.pk]).of(distributor.pk)
    return _record(distributor, level, reason=R.MANUAL, figures=figures, actor=actor, note=note)
