"""Inside WeChat's browser, a visitor who is not logged in is signed in silently with the Official
Account (`snsapi_base`): a page request is sent to the authorization start, which comes back to the
same address logged in. Off unless the Official Account is configured.

Only page navigations are redirected: GET requests asking for HTML, not htmx fragments, images, the
API, the admin, static or media files, the login and sign-up pages (someone there chose to log in
another way) or the authorization pages themselves. After a failed or declined authorization the
visitor browses anonymously for a while (see `oauth.pause`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from . import client, oauth

WECHAT_UA = "MicroMessenger"
EXCLUDED_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/wechat/", "/login/", "/register/", "/logout/", "/i18n/")


def in_wechat(request) -> bool:
    return WECHAT_UA.lower() in request.headers.get("User-Agent", "").lower()


def wants_silent_sign_in(request) -> bool:
    if request.method != "GET" or not in_wechat(request):
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    if request.headers.get("HX-Request") == "true":
        return False
    accept = request.headers.get("Accept", "")
    if accept and "text/html" not in accept and "*/*" not in accept:
        return False
    if request.headers.get("Sec-Fetch-Dest", "document") not in ("document", "iframe"):
        return False
    if request.path.startswith(EXCLUDED_PREFIXES) or request.path.endswith((".png", ".jpg", ".ico", ".txt")):
        return False
    if oauth.paused(request.session):
        return False
    return client.oa_app() is not None


class WeChatSignInMiddleware:
    """After AuthenticationMiddleware: redirects page requests of anonymous WeChat visitors to sign in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if wants_silent_sign_in(request):
            start = reverse("web:wechat_oauth_start")
            response = HttpResponseRedirect(f"{start}?{urlencode({'next': request.get_full_path()})}")
        else:
            response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") or response.status_code in (301, 302):
            # With the Official Account configured a page differs by browser (WeChat's is signed in and
            # gets share cards): caches must keep the two apart.
            if client.oa_app() is not None:
                patch_vary_headers(response, ("User-Agent",))
        return response
