"""The upgrade rules as the evaluation reads them, and a distributor's progress toward the next level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.distribution.models import Distributor, Level

from ..models import MONEY_KINDS, LevelChange, LevelRule
from .figures import K, current_window, figures_for

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
