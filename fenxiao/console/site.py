"""The console's admin site: the stock admin, with its home (to-dos, today's
and this month's figures, the 30-day trend) as the index, and the navigation grouped by task."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _


class ConsoleSite(admin.AdminSite):
    site_header = _("fenxiao 分销商城 · 运营后台")
    site_title = _("fenxiao 运营后台")
    index_title = _("运营控制台")
    index_template = "console/home/index.html"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        """By task (商品, 订单, 分销, 财务, 营销, 数据, 设置) in the sidebar and on the home; an app's
        own index page keeps its models as they are."""
        from .home.navigation import by_task

        if app_label:
            return super().get_app_list(request, app_label)
        # Built once per request: the index asks for it and so does every page's context (sidebar).
        cached = getattr(request, "_console_app_list", None)
        if cached is None:
            cached = by_task(super().get_app_list(request))
            request._console_app_list = cached  # type: ignore[attr-defined]
        return cached

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            # Shown in the header beside the user's name; read once per page.
            context["staff_groups"] = [group.name for group in user.groups.all()]
        return context

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from .home.views import home_context

        return super().index(request, {**home_context(request), **(extra_context or {})})
