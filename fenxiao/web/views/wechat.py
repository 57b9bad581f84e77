"""WeChat sign-in on the pages: the Official Account's web authorization (silent `snsapi_base`, or
`snsapi_userinfo` when the user asks to use their WeChat nickname and avatar), its return page, and the
local authorization page the dev provider stands in with.

The start remembers a random `state` in the session with where to go afterwards; the return accepts a
code only with a state the session holds (once, within minutes), then signs in and goes back. Signing
in binds the visitor to the shop they arrived through, as the phone login does; a share link that
sent the visitor here is the `next` address, which counts the visit and binds once logged in.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fenxiao.wechat import client, oauth, services
from fenxiao.wechat.errors import WeChatError
from fenxiao.wechat.middleware import in_wechat

from .helpers import bind_remembered_referral, safe_next

DEV_DEVICE_COOKIE = "fx_wxdev"


def _failure(request: HttpRequest, message: str, *, status: int = 400, next_url: str = "") -> HttpResponse:
    return render(
        request,
        "web/wechat_error.html",
        {"message": message, "next": next_url or reverse("web:home"), "status": status},
        status=status,
    )


def _same_site(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("web:home")


def _begin(request: HttpRequest, *, next_url: str, scope: str) -> HttpResponse:
    app = client.oa_app()
    if app is None:
        return _failure(request, _("本站未开通微信登录"), status=404, next_url=next_url)
    if client.provider() != "dev" and not in_wechat(request):
        return _failure(request, _("请在微信中打开本页面，再使用微信登录"), next_url=next_url)
    state = oauth.new_state(request.session, next_url=next_url, scope=scope)
    redirect_uri = request.build_absolute_uri(reverse("web:wechat_oauth_return"))
    return redirect(client.authorize_url(app, redirect_uri=redirect_uri, scope=scope, state=state))


@require_http_methods(["GET"])
def oauth_start(request: HttpRequest) -> HttpResponse:
    """Silent sign-in (`snsapi_base`): also where the pay page sends a logged-in buyer whose openid it needs."""
    return _begin(request, next_url=safe_next(request, reverse("web:home")), scope=client.SCOPE_BASE)


@require_POST
@login_required
def profile_start(request: HttpRequest) -> HttpResponse:
    """ "Use my WeChat nickname and avatar": the `snsapi_userinfo` authorization, which asks the user."""
    return _begin(request, next_url=safe_next(request, reverse("web:me")), scope=client.SCOPE_USERINFO)


@require_http_methods(["GET"])
def oauth_return(request: HttpRequest) -> HttpResponse:
    pending = oauth.take_state(request.session, request.GET.get("state", ""))
    if pending is None:
        return _failure(request, _("授权链接已失效或不是从本站发起的，请重新打开页面"))
    next_url = _same_site(request, pending.next_url)
    code = request.GET.get("code", "")
    if not code:
        # declined (or WeChat sent no code): browse on without WeChat for a while
        oauth.pause(request.session)
        if pending.scope == client.SCOPE_USERINFO:
            messages.info(request, _("你没有授权使用微信昵称和头像"))
        return redirect(next_url)
    was_logged_in = request.user.is_authenticated
    try:
        result, grant = services.sign_in_with_oa_code(code=code, current_user=request.user if was_logged_in else None)
        if pending.scope == client.SCOPE_USERINFO:
            services.store_profile(identity=result.identity, grant=grant)
    except WeChatError as exc:
        oauth.pause(request.session)
        return _failure(request, exc.message, status=exc.status if exc.status in (400, 403, 409) else 503, next_url=next_url)
    if not was_logged_in:
        auth_login(request, result.user)
        bind_remembered_referral(request, result.user)
    if pending.scope == client.SCOPE_USERINFO:
        messages.success(request, _("已使用你的微信昵称和头像"))
    return redirect(next_url)


def _dev_target(request: HttpRequest) -> str | None:
    """The dev page's redirect_uri, only to this site's own return page."""
    target = request.GET.get("redirect_uri", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return None
    return target


@require_http_methods(["GET", "POST"])
def dev_authorize(request: HttpRequest) -> HttpResponse:
    """The dev provider's stand-in for open.weixin.qq.com: "授权登录" returns a code for this browser."""
    if client.provider() != "dev":
        raise Http404
    app = client.oa_app()
    target = _dev_target(request)
    state = request.GET.get("state", "")
    scope = request.GET.get("scope", client.SCOPE_BASE)
    if app is None or target is None or request.GET.get("appid") != app.appid or scope not in client.SCOPES:
        return _failure(request, _("授权参数不正确"))
    device = request.COOKIES.get(DEV_DEVICE_COOKIE, "")
    if not (device.isascii() and device.isalnum() and 8 <= len(device) <= 32):
        device = secrets.token_hex(8)
    response: HttpResponse
    if request.method == "POST":
        query = {"state": state}
        if request.POST.get("decision") == "allow":
            query["code"] = client.dev_code(device)
        separator = "&" if "?" in target else "?"
        response = redirect(f"{target}{separator}{urlencode(query)}")
    else:
        response = render(
            request,
            "web/wechat_dev_authorize.html",
            {"scope": scope, "userinfo": scope == client.SCOPE_USERINFO, "appid": app.appid},
        )
    response.set_cookie(DEV_DEVICE_COOKIE, device, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response
