"""Withdrawal settings (minimum, daily cap, fee, open channels): the rules a change must pass and the
one write."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.common.money import MAX_RATE_BP, yuan

from ..errors import WithdrawalCode, WithdrawalError
from ..models import WithdrawalSettings
from ..selectors import settings_row

MAX_AMOUNT_FEN = 10**12


def get_settings() -> WithdrawalSettings:
    return settings_row()


SETTING_FIELDS = ("min_amount_fen", "daily_cap_fen", "fee_bp", "wechat_enabled", "bank_enabled", "alipay_enabled")


def _int_setting(key: str, value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WithdrawalError(WithdrawalCode.INVALID_SETTING, message, {"field": key, key: value})
    return value


def validate_settings_changes(changes: dict[str, Any], current: WithdrawalSettings | None = None) -> dict[str, Any]:
    """The changes as they will be saved, or the first refusal; the rules that span fields (the cap
    not below the minimum, one channel at least) are checked against the settings after the change."""
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise WithdrawalError(WithdrawalCode.INVALID_SETTING, gettext("未知的设置项"), {"fields": sorted(unknown)})
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "min_amount_fen":
            clean[key] = _int_setting(key, value, 1, MAX_AMOUNT_FEN, gettext("最低提现金额须为至少 1 分的整数（分）"))
        elif key == "daily_cap_fen":
            clean[key] = _int_setting(key, value, 1, MAX_AMOUNT_FEN, gettext("每日提现上限须为正整数（分）"))
        elif key == "fee_bp":
            clean[key] = _int_setting(key, value, 0, MAX_RATE_BP - 1, gettext("手续费率须不低于 0% 且低于 100%"))
        else:
            if not isinstance(value, bool):
                raise WithdrawalError(
                    WithdrawalCode.INVALID_SETTING, gettext("渠道开关只能是 true 或 false"), {"field": key, key: value}
                )
            clean[key] = value
    current = current or get_settings()
    merged = {key: clean.get(key, getattr(current, key)) for key in SETTING_FIELDS}
    if merged["daily_cap_fen"] < merged["min_amount_fen"]:
        raise WithdrawalError(
            WithdrawalCode.INVALID_SETTING,
            gettext("每日提现上限不能低于最低提现金额 ¥%(min)s") % {"min": yuan(merged["min_amount_fen"])},
            {"field": "daily_cap_fen"},
        )
    if not (merged["wechat_enabled"] or merged["bank_enabled"] or merged["alipay_enabled"]):
        raise WithdrawalError(WithdrawalCode.INVALID_SETTING, gettext("至少开放一种提现方式"), {"field": "wechat_enabled"})
    return clean


@transaction.atomic
def update_settings(*, actor=None, **changes: Any) -> WithdrawalSettings:
    get_settings()
    obj = WithdrawalSettings.objects.select_for_update().get(pk=1)
    clean = validate_settings_changes(changes, obj)
    for key, value in clean.items():
        setattr(obj, key, value)
    obj.updated_by = actor if getattr(actor, "pk", None) is not None else None
    obj.save(update_fields=[*clean.keys(), "updated_by", "updated_at"])
    return obj
