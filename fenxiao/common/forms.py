"""The console's one form field for money and one for rates.

Money is stored as integer fen and rates as integer basis points; people type yuan and percent.

`YuanField` accepts "12", "12.3", "12.30", ".5", an optional "¥"/"￥" in front and commas that group
thousands ("1,234.50"; a comma anywhere else is refused). The text is parsed as a decimal string by
`fenxiao.common.money.parse_yuan`, never through float; more than two decimals is refused with the
reason, not rounded. Negative amounts are refused unless the field is built with `allow_negative`.
Bounds (`min_fen`/`max_fen`) are in fen. The cleaned value is an int in fen; an int shown back in the
form reads "12.30" (no grouping, so it parses back to the same fen).

`PercentField` accepts "12", "12.5", "12.50" and an optional trailing "%"; at most two decimals
(one basis point). The range is 0–100 % unless the field is built with other `min_bp`/`max_bp`. The
cleaned value is an int in basis points; 1250 is shown as "12.5".
"""

from __future__ import annotations

import re
from abc import ABCMeta, abstractmethod
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .money import BASIS_POINTS, format_rate, parse_yuan, yuan

# Digits with an optional decimal part; the whole part either plain or grouped by thousands.
_AMOUNT = re.compile(r"^(?P<sign>-?)(?P<whole>\d+|\d{1,3}(?:,\d{3})+)?(?:\.(?P<frac>\d+))?$")
_MAX_TEXT = 24


class _UnitInput(forms.TextInput):
    """A text input with its unit beside it (¥ before, % after)."""

    unit = ""
    unit_before = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "class": "fx-unit-input", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):  # type: ignore[no-untyped-def]
        html = super().render(name, value, attrs, renderer)
        unit = format_html('<span class="fx-unit">{}</span>', self.unit)
        if self.unit_before:
            return format_html('<span class="fx-unit-field">{} {}</span>', unit, html)
        return format_html('<span class="fx-unit-field">{} {}</span>', html, unit)


class YuanInput(_UnitInput):
    unit = "¥"
    unit_before = True


class PercentInput(_UnitInput):
    unit = "%"
    unit_before = False


def _decimal_parts(text: str, *, allow_sign: bool = True) -> tuple[bool, str, str] | None:
    """(negative, whole digits, fraction digits) of a decimal string, or None if it is not one."""
    match = _AMOUNT.match(text)
    if match is None or (match["whole"] is None and match["frac"] is None):
        return None
    if match["sign"] and not allow_sign:
        return None
    return bool(match["sign"]), (match["whole"] or "").replace(",", ""), match["frac"] or ""


class _ScaledField(forms.CharField, metaclass=ABCMeta):
    """A decimal typed in the unit people think in (yuan, percent), an integer of the stored unit
    (fen, basis points) in `cleaned_data`; at most two decimals, bounds checked on the integer.
    A subclass says how the number is shown (`shown`), which unit sign a typist may add
    (`strip_unit`) and how the checked decimal becomes the integer (`to_stored`)."""

    def __init__(self, *, low: int | None, high: int | None, **kwargs: Any) -> None:
        self.low, self.high = low, high
        kwargs.setdefault("max_length", _MAX_TEXT)
        super().__init__(**kwargs)

    @abstractmethod
    def shown(self, value: int) -> str:
        """The stored integer as people read it (yuan, percent)."""

    def limit(self, value: int) -> str:
        return self.shown(value)

    @abstractmethod
    def strip_unit(self, text: str) -> str:
        """The typed text without the unit sign a typist may add (¥, %)."""

    @abstractmethod
    def to_stored(self, text: str, negative: bool, whole: str, frac: str) -> int:
        """The checked decimal as the stored integer (fen, basis points)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return self.shown(value)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = self.strip_unit(str(text).strip()).strip()
        parts = _decimal_parts(text)
        if parts is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        negative, whole, frac = parts
        if len(frac) > 2:
            raise ValidationError(self.error_messages["decimals"], code="decimals", params={"value": text})
        return self.to_stored(text, negative, whole, frac)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if self.low is not None and value < self.low:
            raise ValidationError(self.error_messages["min"], code="min", params={"limit": self.limit(self.low)})
        if self.high is not None and value > self.high:
            raise ValidationError(self.error_messages["max"], code="max", params={"limit": self.limit(self.high)})

    def run_validators(self, value: Any) -> None:
        # The CharField's length validators look at the text, which to_python has already checked.
        return None

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


class YuanField(_ScaledField):
    """Yuan in the form, integer fen in `cleaned_data` (see the module notes)."""

    widget = YuanInput
    default_error_messages = {
        "invalid": _("请输入金额，例如 150 或 1,234.50"),
        "decimals": _("金额最多两位小数（精确到分）：%(value)s"),
        "negative": _("金额不能为负数"),
        "min": _("金额不能少于 ¥%(limit)s"),
        "max": _("金额不能超过 ¥%(limit)s"),
    }

    def __init__(
        self,
        *,
        allow_negative: bool = False,
        min_fen: int | None = None,
        max_fen: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.allow_negative = allow_negative
        super().__init__(low=min_fen, high=max_fen, **kwargs)

    def shown(self, value: int) -> str:
        return yuan(value, grouping=False)

    def limit(self, value: int) -> str:
        return yuan(value)

    def strip_unit(self, text: str) -> str:
        return text.lstrip("¥￥")

    def to_stored(self, text: str, negative: bool, whole: str, frac: str) -> int:
        fen = parse_yuan(text)
        if negative and fen and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        return fen


def percent_text(rate_bp: int) -> str:
    """1250 → '12.5', -50 → '-0.5' (the percent as typed, without the % sign)."""
    return ("-" if rate_bp < 0 else "") + format_rate(abs(rate_bp)).removesuffix("%")


class PercentField(_ScaledField):
    """Percent in the form, integer basis points in `cleaned_data` (see the module notes)."""

    widget = PercentInput
    default_error_messages = {
        "invalid": _("请输入百分比，例如 12 或 12.5"),
        "decimals": _("百分比最多两位小数：%(value)s"),
        "min": _("比例不能低于 %(limit)s"),
        "max": _("比例不能超过 %(limit)s"),
    }

    def __init__(self, *, min_bp: int | None = 0, max_bp: int | None = BASIS_POINTS, **kwargs: Any) -> None:
        super().__init__(low=min_bp, high=max_bp, **kwargs)

    def shown(self, value: int) -> str:
        return percent_text(value)

    def limit(self, value: int) -> str:
        return percent_text(value) + "%"

    def strip_unit(self, text: str) -> str:
        if "," in text:  # thousands separators belong to amounts, not to rates
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return text.removesuffix("%")

    def to_stored(self, text: str, negative: bool, whole: str, frac: str) -> int:
        bp = int(whole or "0") * 100 + int((frac + "00")[:2])
        return -bp if negative else bp
