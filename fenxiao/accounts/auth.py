"""API authentication shared by every app's router: a bearer token or the browser session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from .errors import AccountCode, AccountError
from .services import live_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = live_token(token)
        if found is None:
            return None
        request.user = found.user
        request.token_app_id = found.app_id  # type: ignore[attr-defined]
        return found.user


def token_app_id(request: Any) -> str:
    """The mini-program whose login issued the request's bearer token ("" for any other caller)."""
    return getattr(request, "token_app_id", "")


class BrowserSession(SessionAuth):
    """The logged-in session of the pages; CSRF-checked like any form post.

    CSRF is checked only when the session has a user: a request without one (anonymous, or a bearer
    token that was refused) is simply not authenticated and gets 401, never a CSRF 403. A logged-in
    browser still needs the CSRF token for unsafe methods.
    """

    def _get_key(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


member_auth = [TokenAuth(), BrowserSession()]


def require_staff_perm(request: Any, perm: str) -> None:
    user = request.auth if isinstance(request.auth, get_user_model()) else request.user
    if not (user and user.is_active and user.is_staff and user.has_perm(perm)):
        raise AccountError(AccountCode.FORBIDDEN, _("需要运营权限"), {"permission": perm}, status=403)


def current_user(request: Any) -> Any:
    auth = request.auth
    return auth if isinstance(auth, get_user_model()) else request.user
