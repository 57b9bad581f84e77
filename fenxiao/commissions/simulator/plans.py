"""Plans: the levels' rates, the number of commission levels, self-purchase commission and the
margin ceiling; the plan in force and a checked draft."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext

from fenxiao.common.money import MAX_RATE_BP
from fenxiao.common.validation import third_level_fields
from fenxiao.distribution import services as distribution
from fenxiao.distribution.errors import DistributionCode, DistributionError
from fenxiao.distribution.models import MAX_COMMISSION_LEVELS, DistributionSettings, Distributor, Level

from ..calculator import ceiling_bp_setting
from ..errors import CommissionCode, CommissionError

LEVEL_RATE_FIELDS = ("direct_rate_bp", "indirect_rate_bp", "team_bonus_bp")

APPROVED = Distributor.Status.APPROVED

# Who may simulate and save a plan (and pay the team bonus): whoever may change the levels and the
# distribution settings, in the API and in the admin alike.
PLAN_PERMISSIONS = ("distribution.change_level", "distribution.change_distributionsettings")


@dataclass(frozen=True)
class LevelRates:
    level_id: int
    name: str
    rank: int
    direct_rate_bp: int
    indirect_rate_bp: int
    team_bonus_bp: int


@dataclass(frozen=True)
class Plan:
    levels: tuple[LevelRates, ...]  # by rank
    commission_levels: int
    self_purchase_commission: bool
    ceiling_bp: int

    def level(self, level_id: int) -> LevelRates:
        return self._by_id()[level_id]

    def _by_id(self) -> dict[int, LevelRates]:
        return {rates.level_id: rates for rates in self.levels}

    def fingerprint(self) -> str:
        """The plan's values in one canonical string: equal strings, equal plans."""
        return json.dumps(
            {
                "levels": [[r.level_id, r.direct_rate_bp, r.indirect_rate_bp, r.team_bonus_bp] for r in self.levels],
                "commission_levels": self.commission_levels,
                "self_purchase_commission": self.self_purchase_commission,
                "ceiling_bp": self.ceiling_bp,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def changed_levels(self, other: Plan) -> list[LevelRates]:
        """The levels whose rates differ from `other`'s."""
        theirs = other._by_id()

        def values(r: LevelRates) -> tuple[int, int, int]:
            return r.direct_rate_bp, r.indirect_rate_bp, r.team_bonus_bp

        return [r for r in self.levels if r.level_id not in theirs or values(r) != values(theirs[r.level_id])]


def current_plan() -> Plan:
    """The plan in force: the levels' rates, the distribution settings and the ceiling setting."""
    conf = DistributionSettings.objects.filter(pk=1).first()
    levels = tuple(
        LevelRates(level.pk, level.name, level.rank, level.direct_rate_bp, level.indirect_rate_bp, level.team_bonus_bp)
        for level in Level.objects.order_by("rank")
    )
    return Plan(
        levels=levels,
        commission_levels=min(conf.commission_levels, MAX_COMMISSION_LEVELS) if conf else MAX_COMMISSION_LEVELS,
        self_purchase_commission=conf.self_purchase_commission if conf else True,
        ceiling_bp=ceiling_bp_setting(),
    )


def check_int(name: str, value, low: int, high: int, code: CommissionCode) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CommissionError(
            code,
            gettext("%(name)s 必须是 %(low)d 到 %(high)d 之间的整数") % {"name": name, "low": low, "high": high},
            {name: value},
        )
    return value


def refuse_unknown_fields(fields, message: str) -> None:
    """Fields a plan does not have: a rate for a third level is `commission_depth_exceeded`, as in
    the level services; anything else `invalid_plan`."""
    extra = sorted(fields)
    third = third_level_fields(extra)
    if third:
        raise DistributionError(
            DistributionCode.COMMISSION_DEPTH_EXCEEDED,
            gettext("佣金最多两级（直推 + 间推），不能设置第三级佣金"),
            {"fields": third, "max": MAX_COMMISSION_LEVELS},
        )
    if extra:
        raise CommissionError(CommissionCode.INVALID_PLAN, message, {"fields": extra})


def draft_plan(
    *,
    levels: Mapping[int, Mapping[str, int]] | None = None,
    commission_levels: int | None = None,
    self_purchase_commission: bool | None = None,
    ceiling_bp: int | None = None,
    base: Plan | None = None,
) -> Plan:
    """A draft: `base` (default the current plan) with the given changes. `levels` maps a level id to
    any of direct_rate_bp, indirect_rate_bp, team_bonus_bp. Checked like the distribution services
    check a saved plan: a third commission level, or a rate for one, is refused with
    `commission_depth_exceeded`; rates are 0–10000 bp, direct + indirect at most 100%."""
    base = base or current_plan()
    if commission_levels is None:
        commission_levels = base.commission_levels
    else:
        commission_levels = distribution.validate_commission_levels(commission_levels)
    if self_purchase_commission is None:
        self_purchase_commission = base.self_purchase_commission
    else:
        distribution.validate_settings_changes({"self_purchase_commission": self_purchase_commission})
    if ceiling_bp is None:
        ceiling_bp = base.ceiling_bp
    elif isinstance(ceiling_bp, bool) or not isinstance(ceiling_bp, int) or not 0 <= ceiling_bp <= MAX_RATE_BP:
        raise CommissionError(CommissionCode.INVALID_CEILING, gettext("佣金上限必须是毛利的 0%–100%"), {"ceiling_bp": ceiling_bp})

    changes = dict(levels or {})
    by_id = base._by_id()
    unknown = [level_id for level_id in changes if level_id not in by_id]
    if unknown:
        raise CommissionError(
            CommissionCode.UNKNOWN_LEVEL, gettext("方案中有不存在的分销等级"), {"level_ids": unknown}, status=404
        )
    new_levels = []
    for rates in base.levels:
        change = dict(changes.get(rates.level_id) or {})
        refuse_unknown_fields(set(change) - set(LEVEL_RATE_FIELDS), gettext("未知的等级字段"))
        values = {name: change.get(name, getattr(rates, name)) for name in LEVEL_RATE_FIELDS}
        distribution.validate_level_values(name=rates.name, rank=rates.rank, **values)
        new_levels.append(LevelRates(rates.level_id, rates.name, rates.rank, **values))
    return Plan(
        levels=tuple(new_levels),
        commission_levels=commission_levels,
        self_purchase_commission=self_purchase_commission,
        ceiling_bp=ceiling_bp,
    )
