"""The operator's distribution plan: the settings (admission, binding, commission depth) and the levels with
their rates. The API, the console and the plan import all check values here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.common.money import MAX_RATE_BP
from fenxiao.common.validation import third_level_fields

from ..errors import DistributionCode, DistributionError
from ..models import MAX_COMMISSION_LEVELS, DistributionSettings, Level

# --- settings and levels ---------------------------------------------------------------------


def get_settings() -> DistributionSettings:
    obj = DistributionSettings.objects.filter(pk=1).first()
    if obj is None:
        obj, _ = DistributionSettings.objects.get_or_create(pk=1)
    return obj


def validate_commission_levels(value: Any) -> int:
    """1 or 2; anything above is refused with the same error from the API, the admin and imports."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DistributionError(
            DistributionCode.INVALID_SETTING, gettext("佣金层级数必须是整数 1 或 2"), {"commission_levels": value}
        )
    if value > MAX_COMMISSION_LEVELS:
        raise DistributionError(
            DistributionCode.COMMISSION_DEPTH_EXCEEDED,
            gettext("佣金最多两级（直推 + 间推），不能设置为 %(value)s 级：超过两级的分佣属于传销风险，法律不允许")
            % {"value": value},
            {"requested": value, "max": MAX_COMMISSION_LEVELS},
        )
    if value < 1:
        raise DistributionError(DistributionCode.INVALID_SETTING, gettext("佣金层级数至少为 1"), {"commission_levels": value})
    return value


SETTING_FIELDS = {
    "admission_mode",
    "threshold_fen",
    "binding_policy",
    "binding_days",
    "commission_levels",
    "self_purchase_commission",
    "staff_may_distribute",
}


def validate_settings_changes(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - SETTING_FIELDS
    if unknown:
        raise DistributionError(DistributionCode.INVALID_SETTING, gettext("未知的设置项"), {"fields": sorted(unknown)})
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "commission_levels":
            clean[key] = validate_commission_levels(value)
        elif key == "admission_mode":
            if value not in DistributionSettings.Admission.values:
                raise DistributionError(
                    DistributionCode.INVALID_SETTING, gettext("加入方式只能是 open、review 或 threshold"), {key: value}
                )
            clean[key] = value
        elif key == "binding_policy":
            if value not in DistributionSettings.BindingPolicy.values:
                raise DistributionError(
                    DistributionCode.INVALID_SETTING, gettext("绑定规则只能是 permanent 或 expiring"), {key: value}
                )
            clean[key] = value
        elif key == "binding_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
                raise DistributionError(
                    DistributionCode.INVALID_SETTING, gettext("绑定有效天数须在 1 到 3650 之间"), {key: value}
                )
            clean[key] = value
        elif key == "threshold_fen":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DistributionError(
                    DistributionCode.INVALID_SETTING, gettext("首单门槛必须是不小于 0 的整数（分）"), {key: value}
                )
            clean[key] = value
        elif key == "self_purchase_commission":
            if not isinstance(value, bool):
                raise DistributionError(DistributionCode.INVALID_SETTING, gettext("自购返佣只能是 true 或 false"), {key: value})
            clean[key] = value
        elif key == "staff_may_distribute":
            if not isinstance(value, bool):
                raise DistributionError(
                    DistributionCode.INVALID_SETTING, gettext("允许员工成为分销商只能是 true 或 false"), {key: value}
                )
            clean[key] = value
    return clean


@transaction.atomic
def update_settings(*, actor=None, **changes: Any) -> DistributionSettings:
    clean = validate_settings_changes(changes)
    obj = DistributionSettings.objects.select_for_update().filter(pk=1).first() or get_settings()
    for key, value in clean.items():
        setattr(obj, key, value)
    obj.updated_by = actor
    obj.save(update_fields=[*clean.keys(), "updated_by", "updated_at"])
    return obj


def validate_level_values(*, name: str, rank: int, direct_rate_bp: int, indirect_rate_bp: int, team_bonus_bp: int = 0) -> None:
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise DistributionError(DistributionCode.INVALID_LEVEL, gettext("等级名称须为 1–20 个字符"), {"name": name})
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise DistributionError(DistributionCode.INVALID_LEVEL, gettext("等级序号必须是正整数"), {"rank": rank})
    for field, value in (
        ("direct_rate_bp", direct_rate_bp),
        ("indirect_rate_bp", indirect_rate_bp),
        ("team_bonus_bp", team_bonus_bp),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATE_BP:
            raise DistributionError(DistributionCode.INVALID_RATE, gettext("比例必须在 0%–100% 之间"), {field: value})
    if direct_rate_bp + indirect_rate_bp > MAX_RATE_BP:
        raise DistributionError(
            DistributionCode.INVALID_RATE,
            gettext("直推与间推比例之和不能超过 100%"),
            {"sum_bp": direct_rate_bp + indirect_rate_bp},
        )


@transaction.atomic
def save_level(
    *,
    name: str,
    rank: int,
    direct_rate_bp: int,
    indirect_rate_bp: int,
    team_bonus_bp: int = 0,
    description: str = "",
    level: Level | None = None,
    **extra: Any,
) -> Level:
    """Create a level, or change one when `level` is given. Any rate for a third commission level
    (`third_rate_bp`, `level3_rate_bp`, ...) is refused: commission stops at two levels."""
    if extra:
        third = third_level_fields(extra)
        if third:
            raise DistributionError(
                DistributionCode.COMMISSION_DEPTH_EXCEEDED,
                gettext("佣金最多两级（直推 + 间推），不能设置第三级佣金"),
                {"fields": sorted(third), "max": MAX_COMMISSION_LEVELS},
            )
        raise DistributionError(DistributionCode.INVALID_LEVEL, gettext("未知的等级字段"), {"fields": sorted(extra)})
    validate_level_values(
        name=name, rank=rank, direct_rate_bp=direct_rate_bp, indirect_rate_bp=indirect_rate_bp, team_bonus_bp=team_bonus_bp
    )
    clash = Level.objects.filter(rank=rank).exclude(pk=getattr(level, "pk", None)).exists()
    if clash:
        raise DistributionError(DistributionCode.INVALID_LEVEL, gettext("已有相同序号的等级"), {"rank": rank}, status=409)
    if Level.objects.filter(name=name.strip()).exclude(pk=getattr(level, "pk", None)).exists():
        raise DistributionError(DistributionCode.INVALID_LEVEL, gettext("已有同名等级"), {"name": name}, status=409)
    level = level or Level()
    level.name, level.rank = name.strip(), rank
    level.direct_rate_bp, level.indirect_rate_bp, level.team_bonus_bp = direct_rate_bp, indirect_rate_bp, team_bonus_bp
    level.description = description
    level.save()
    return level


def default_level() -> Level:
    level = Level.objects.order_by("rank").first()
    if level is None:
        raise DistributionError(
            DistributionCode.INVALID_LEVEL, gettext("尚未设置任何分销等级，请运营先在后台创建等级"), status=409
        )
    return level
