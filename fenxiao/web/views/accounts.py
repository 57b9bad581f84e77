"""Sign-in, sign-up, sign-out and the "我的" page. Signing in binds the visitor to the shop they
arrived through (the referral remembered in the session)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fenxiao.accounts.errors import AccountCode
from fenxiao.accounts.services import login_member, sign_up
from fenxiao.common.errors import DomainError
from fenxiao.distribution import selectors
from fenxiao.growth import selectors as growth_selectors

from .helpers import bind_remembered_referral, order_shortcuts, safe_next


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("web:me"))
    form = {"phone": ""}
    error = ""
    if request.method == "POST":
        form["phone"] = request.POST.get("phone", "").strip()
        try:
            user = login_member(request=request, phone=form["phone"], password=request.POST.get("password", ""))
        except DomainError as exc:
            error = exc.message
        else:
            auth_login(request, user)
            bind_remembered_referral(request, user)
            return redirect(next_url)
    return render(request, "web/login.html", {"tab": "me", "form": form, "error": error, "next": next_url})


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("web:me"))
    form = {"phone": "", "nickname": ""}
    error = ""
    if request.method == "POST":
        form = {"phone": request.POST.get("phone", "").strip(), "nickname": request.POST.get("nickname", "").strip()}
        password = request.POST.get("password", "")
        try:
            # The same steps whether or not the phone had an account: sign up, then log in with the
            # password just given. Only the account's owner gets in; anyone else learns nothing.
            created = sign_up(request=request, phone=form["phone"], nickname=form["nickname"], password=password)
            user = login_member(request=request, phone=form["phone"], password=password)
        except DomainError as exc:
            error = exc.message if exc.code != AccountCode.INVALID_CREDENTIALS else _("如果该手机号已注册，请直接登录或找回密码")
        else:
            auth_login(request, user)
            bind_remembered_referral(request, user)
            messages.success(request, _("注册成功，欢迎你！") if created else _("欢迎回来！"))
            return redirect(next_url)
    return render(request, "web/register.html", {"tab": "me", "form": form, "error": error, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:home")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    own = selectors.distributor_for_user(request.user)
    context = {
        "tab": "me",
        "binding": selectors.active_binding(request.user),
        "own": own,
        "order_shortcuts": order_shortcuts(request.user),
        "unread_notices": growth_selectors.unread_count(request.user),
        "apply_invite": growth_selectors.open_invitation(request.user) if own is None else None,
    }
    return render(request, "web/me.html", context)
