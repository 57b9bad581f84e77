"""The site's error answers, wired as Django's handler400 / handler403 / handler404 in config/urls.py
(handler500 is `fenxiao.common.unavailable.server_error`, which renders the `500.html` page below for
the pages). They are what a visitor sees with DEBUG off: the phone pages' look, in the visitor's
language; under /api/ the API's JSON shape `{code, message, detail}` with the same status.

The 400 and 500 pages are standalone (no request context, no database): whatever broke the request
must not break its error page as well."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "detail": detail or {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(400, "bad_request", _("请求无效"))
    return HttpResponse(loader.render_to_string("web/errors/400.html"), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(403, "forbidden", _("没有权限访问"))
    return render(request, "web/errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(404, "not_found", _("接口不存在"), {"path": request.path})
    return render(request, "web/not_found.html", {"message": _("你访问的页面不存在或已下架")}, status=404)
