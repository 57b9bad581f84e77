"""Who may open a console page: an active staff member (else the admin login), holding every
permission the page names (else 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def console_view(*perms: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if perms and not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return admin.site.admin_view(checked)

    return decorate


def context(request: HttpRequest, **more: Any) -> dict[str, Any]:
    """The admin's own template context (header, navigation, user links) plus the page's values."""
    return {**admin.site.each_context(request), **more}
