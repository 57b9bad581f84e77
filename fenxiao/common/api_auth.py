"""API authentication shared by every app's router: a bearer token or the browser session."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from .errors import DomainError


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from fenxiao.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class BrowserSession(SessionAuth):
    """The logged-in session of the pages; CSRF-checked like any form post."""


member_auth = [TokenAuth(), BrowserSession()]


def require_staff_perm(request, perm: str) -> None:
    user = request.auth if isinstance(request.auth, get_user_model()) else request.user
    if not (user and user.is_active and user.is_staff and user.has_perm(perm)):
        raise DomainError("forbidden", _("需要运营权限"), {"permission": perm}, status=403)


def current_user(request):
    auth = request.auth
    return auth if isinstance(auth, get_user_model()) else request.user
