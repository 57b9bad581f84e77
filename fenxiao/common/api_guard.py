"""The API's checks on the raw request, made once for every operation before its parameters are parsed
(the rules themselves are in `fenxiao.common.validation`):

- a body larger than `FENXIAO_API_MAX_BODY_BYTES` is refused with 413 `payload_too_large` (after
  authentication, before the body is read; Django's own DATA_UPLOAD_MAX_MEMORY_SIZE answers the same
  way, see config/api.py);
- path segments, query strings, form fields and JSON bodies are checked for integers beyond 64 bits and
  control characters;
- a path under /api/ that matches no operation answers the JSON 404 shape, a method the path does not
  have the JSON 405 shape.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from .errors import CommonCode
from .validation import InputError, check_data, check_text_fields

DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024  # the largest upload, a 5 MB payout result file, fits
_PARSED = "_fenxiao_parsed_json"


def max_body_bytes() -> int:
    return int(getattr(settings, "FENXIAO_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def error_response(status: int, code: str, message: str, detail: Any = None, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": str(message), "detail": detail or {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name] = value
    return response


def payload_too_large(limit: int) -> InputError:
    return InputError(CommonCode.PAYLOAD_TOO_LARGE, _("请求体过大"), {"max_bytes": limit}, status=413)


class InputParser(Parser):
    """ninja's JSON parser, plus the input rules on query strings and form fields."""

    def parse_body(self, request: HttpRequest) -> Any:
        if hasattr(request, _PARSED):
            return getattr(request, _PARSED)
        return super().parse_body(request)

    def parse_querydict(self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest) -> Any:
        if data is request.GET:
            check_text_fields(_pairs(data), "query", numbers=True)
        elif data is request.POST:
            check_text_fields(_pairs(data), "form")
        return super().parse_querydict(data, list_fields, request)


def _pairs(data: MultiValueDict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, value) for key, values in data.lists() for value in values]


def _is_json(request: HttpRequest) -> bool:
    return str(request.META.get("CONTENT_TYPE", "")).split(";")[0].strip().lower().endswith("json")


class InputGuardMixin:
    """Mixed into the project's NinjaAPI class (config/api.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parser", InputParser())
        super().__init__(*args, **kwargs)

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # Called by every operation after authentication and before its parameters are read.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_body_bytes()
        if length > limit:
            raise payload_too_large(limit)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            check_text_fields(match.kwargs.items(), "path", numbers=True)
        if request.method not in ("GET", "HEAD") and _is_json(request) and request.body:
            try:
                data = json.loads(request.body)
            except ValueError:
                pass  # ninja answers "cannot parse" itself
            else:
                check_data(data)
                setattr(request, _PARSED, data)
        response: HttpResponse = super().create_temporal_response(request)  # type: ignore[misc]  # NinjaAPI, next in the MRO
        return response

    def _get_urls(self) -> list[Any]:
        urls = [
            _json_not_allowed(entry) if isinstance(entry, URLPattern) else entry
            for entry in super()._get_urls()  # type: ignore[misc]  # NinjaAPI, next in the MRO
        ]
        urls.append(re_path(r"^.*$", not_found, name="not-found"))
        return urls


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return error_response(404, "not_found", _("接口不存在"), {"path": request.path})


def _json_not_allowed(entry: URLPattern) -> URLPattern:
    view: Callable[..., HttpResponse] = entry.callback

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            return error_response(
                405,
                "method_not_allowed",
                _("不支持该请求方法"),
                {"allowed": sorted(m.strip() for m in allowed.split(",") if m.strip())},
                Allow=allowed,
            )
        return response

    return URLPattern(entry.pattern, wrapped, entry.default_args, entry.name)


not_found.csrf_exempt = True  # type: ignore[attr-defined]  # read by CsrfViewMiddleware
