"""Control characters in the pages' and the admin's input are refused before any view reads them.

The phone pages read `request.POST` directly and the admin builds its forms from the models, so one
check here covers every form at once, where a form-field mixin would have to be remembered in each.
The API (under /api/) checks its own input, in the JSON error shape (fenxiao.common.api_guard).

Register after CsrfViewMiddleware, so that a forged post is still a CSRF failure first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from .validation import InputError, check_text_fields

API_PREFIX = "/api/"


def _pairs(data: QueryDict) -> list[tuple[str, str]]:
    return [(key, value) for key, values in data.lists() for value in values]


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: tuple[Any, ...], view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX):
            return None
        try:
            check_text_fields(_pairs(request.GET), "query")
            if request.method == "POST":
                check_text_fields(_pairs(request.POST), "form")
        except InputError:
            message = _("提交的内容中含有不可见的控制字符，请删除后重试")
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return None
