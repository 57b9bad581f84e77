"""List filters the console's changelists share: a date range (days in Asia/Shanghai) and an amount
range typed in yuan (kept in fen), each two inputs in the filter sidebar; and a filter on one related
object chosen by id (a list of 100,000 distributors is no dropdown)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .money import parse_yuan


class RangeFilter(admin.ListFilter):
    """`<field>__from` / `<field>__to`, both optional and inclusive. Subclasses (or `range_filter`) set
    `field_path`, `title` and `kind` ("date" or "yuan")."""

    template = "admin/range_filter.html"
    field_path = ""
    kind = "date"

    def __init__(self, request: Any, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        self.param_from, self.param_to = f"{self.field_path}__from", f"{self.field_path}__to"
        for name in (self.param_from, self.param_to):
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if str(value).strip():
                    self.used_parameters[name] = str(value).strip()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.param_from, self.param_to]

    def _bounds(self) -> dict[str, Any]:
        low, high = str(self.used_parameters.get(self.param_from) or ""), str(self.used_parameters.get(self.param_to) or "")
        lookups: dict[str, Any] = {}
        try:
            if self.kind == "date":
                zone = timezone.get_current_timezone()
                if low:
                    lookups[f"{self.field_path}__gte"] = datetime.combine(date.fromisoformat(low), time.min, zone)
                if high:
                    end = date.fromisoformat(high) + timedelta(days=1)
                    lookups[f"{self.field_path}__lt"] = datetime.combine(end, time.min, zone)
            else:
                if low:
                    lookups[f"{self.field_path}__gte"] = parse_yuan(low)
                if high:
                    lookups[f"{self.field_path}__lte"] = parse_yuan(high)
        except ValueError as exc:
            raise IncorrectLookupParameters(exc) from exc
        return lookups

    def queryset(self, request: Any, queryset: Any) -> Any:
        lookups = self._bounds()
        return queryset.filter(**lookups) if lookups else queryset

    def choices(self, changelist: Any) -> Any:
        mine = {self.param_from, self.param_to}
        yield {
            "kind": self.kind,
            "param_from": self.param_from,
            "param_to": self.param_to,
            "value_from": self.used_parameters.get(self.param_from, ""),
            "value_to": self.used_parameters.get(self.param_to, ""),
            "hidden": [
                (key, value)
                for key, values in changelist.params.items()
                if key not in mine and key != "p"
                for value in (values if isinstance(values, list) else [values])
            ],
            "reset_query": changelist.get_query_string(remove=[*mine, "p"]),
            "selected": bool(mine & set(self.used_parameters)),
        }


def range_filter(field_path: str, title: Any, kind: str = "date") -> type[RangeFilter]:
    return type(
        f"{field_path.title().replace('_', '')}RangeFilter",
        (RangeFilter,),
        {"field_path": field_path, "title": title, "kind": kind},
    )


class RelatedIdFilter(admin.SimpleListFilter):
    """One related object by id (`?<parameter_name>=<id>`, as the links from its own page give), or
    rows with / without one. Subclasses set `parameter_name`, `title` and `field_path`."""

    field_path = ""
    none_label = _("无")
    any_label = _("有")

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[Any, Any]]:
        choices: list[tuple[Any, Any]] = [("any", self.any_label), ("none", self.none_label)]
        value = self.value()
        if value and value.isdigit():
            choices.append((value, f"#{value}"))
        return choices

    def queryset(self, request: Any, queryset: Any) -> Any:
        value = self.value()
        if not value:
            return queryset
        if value == "any":
            return queryset.filter(**{f"{self.field_path}__isnull": False})
        if value == "none":
            return queryset.filter(**{f"{self.field_path}__isnull": True})
        if value.isdigit():
            return queryset.filter(**{self.field_path: int(value)})
        raise IncorrectLookupParameters(value)
