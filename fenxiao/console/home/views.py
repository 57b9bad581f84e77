"""The console's home (the admin index, see `ConsoleSite.index`) and the page listing the user's own
staff groups and permissions (我的权限, linked from the header)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fenxiao.common.money import format_rate, yuan
from fenxiao.console.access import console_view, context

from . import selectors


def _change(bp: int | None) -> dict[str, Any] | None:
    if bp is None:
        return None
    return {"text": ("+" if bp >= 0 else "-") + format_rate(abs(bp)), "up": bp > 0, "down": bp < 0}


def _shown(value: int, money: bool) -> str:
    return f"¥{yuan(value)}" if money else f"{value:,}"


def home_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    shown, trend = selectors.figures_and_trend(user, now)
    figures = [
        {
            "key": figure.key,
            "label": figure.label,
            "today": _shown(figure.today, figure.money),
            "yesterday": _shown(figure.yesterday, figure.money),
            "today_change": _change(figure.today_change_bp),
            "month": _shown(figure.month, figure.money),
            "last_month": _shown(figure.last_month, figure.money),
            "month_change": _change(figure.month_change_bp),
        }
        for figure in shown
    ]
    return {
        "todos": selectors.todos(user, now),
        "figures": figures,
        "trend": trend,
        "trend_labels": {"gmv": _("成交额（元）"), "orders": _("付款订单")},
    }


@console_view()
@require_GET
def my_permissions(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_superuser:
        permissions = Permission.objects.all()
    else:
        permissions = Permission.objects.filter(Q(user__pk=user.pk) | Q(group__user__pk=user.pk))
    rows = (
        permissions.select_related("content_type")
        .distinct()
        .order_by("content_type__app_label", "content_type__model", "codename")
    )
    return render(
        request,
        "console/home/permissions.html",
        context(
            request,
            title=_("我的权限"),
            groups=user.groups.order_by("name"),
            permissions=rows,
        ),
    )
