"""When the database cannot be reached (a restart, a failover, a full connection table), requests
answer 503 with a Retry-After header — the JSON error shape under /api/, a short page elsewhere —
instead of a 500, and the broken connection is dropped so the next request connects afresh. Nothing
has to be restarted when the database is back.

Two ways in, one answer: the middleware catches what a view raises; `server_error` (the project's
handler500) catches what a middleware raised (a session read, say) before a view ran."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("fenxiao.unavailable")

RETRY_AFTER_SECONDS = 5


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Lost or refused connections; a deadlock or a constraint is the code's business, not this."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    text = str(exc).lower()
    if "deadlock" in text or "could not serialize" in text:
        return False
    return True


def _drop_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            if conn.connection is not None and not conn.is_usable():
                conn.close()
        except Exception:  # the connection is gone either way
            conn.connection = None


def unavailable_response(request: HttpRequest) -> HttpResponse:
    _drop_broken_connections()
    message = _("服务暂时不可用，请稍后重试")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "service_unavailable", "message": message, "detail": {"retry_after": RETRY_AFTER_SECONDS}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            f'<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>503</title><p style="font:16px sans-serif;margin:2em">{message}</p>',
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if is_database_unavailable(exc):
            logger.error("database unavailable during %s %s: %s", request.method, request.path, exc)
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        logger.error("database unavailable during %s %s: %s", request.method, request.path, exc)
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "message": _("服务器内部错误"), "detail": {}},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return django_server_error(request, *args, **kwargs)
