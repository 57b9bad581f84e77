"""Sign-in (password or SMS code), sign-up with an SMS code and consent, password reset, the
agreement pages and the "我的" page. Signing in binds the visitor to the shop they arrived through
(the referral remembered in the session)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenxiao.accounts.models import Consent
from fenxiao.accounts.services import agreement_versions, login_by_code, login_member, reset_password, send_code, sign_up
from fenxiao.common.errors import DomainError
from fenxiao.common.phone import mask_phone
from fenxiao.distribution import selectors
from fenxiao.growth import selectors as growth_selectors
from fenxiao.promotions.services import referrals
from fenxiao.sms import selectors as sms_selectors
from fenxiao.sms.models import Purpose

from .helpers import bind_remembered_referral, order_shortcuts, safe_next

LOGIN_MODES = ("password", "sms")


def _send_code(request: HttpRequest, *, phone: str, purpose: str) -> dict:
    """The "获取验证码" button of a form: send, and say so (with the code itself under the development
    provider, for the demo). The answer is the same whether or not the phone has an account."""
    try:
        sent = send_code(request=request, phone=phone, purpose=purpose)
    except DomainError as exc:
        return {"error": exc.message, "error_field": "phone"}
    notice = _("验证码已发送至 %(phone)s，%(minutes)s 分钟内有效") % {
        "phone": mask_phone(sent.phone),
        "minutes": sent.expires_in // 60,
    }
    return {"sms_notice": notice, "dev_code": sms_selectors.dev_code(sent.phone, sent.purpose), "code_sent": True}


def _sign_in(request: HttpRequest, user) -> None:
    auth_login(request, user, backend="fenxiao.accounts.backends.PhoneOrUsernameBackend")
    bind_remembered_referral(request, user)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("web:me"))
    mode = request.POST.get("mode") or request.GET.get("mode") or "password"
    mode = mode if mode in LOGIN_MODES else "password"
    form = {"phone": ""}
    context: dict = {"error": ""}
    if request.method == "POST":
        form["phone"] = request.POST.get("phone", "").strip()
        try:
            if mode == "sms" and request.POST.get("action") == "send":
                context.update(_send_code(request, phone=form["phone"], purpose=Purpose.LOGIN))
                user = None
            elif mode == "sms":
                user = login_by_code(request=request, phone=form["phone"], code=request.POST.get("code", ""))
            else:
                user = login_member(request=request, phone=form["phone"], password=request.POST.get("password", ""))
        except DomainError as exc:
            context["error"] = exc.message
        else:
            if user is not None:
                _sign_in(request, user)
                return redirect(next_url)
    context.update({"tab": "me", "form": form, "next": next_url, "mode": mode})
    return render(request, "web/login.html", context)


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("web:me"))
    form = {"phone": "", "nickname": ""}
    agreed = False
    context: dict = {"error": ""}
    if request.method == "POST":
        form = {"phone": request.POST.get("phone", "").strip(), "nickname": request.POST.get("nickname", "").strip()}
        agreed = request.POST.get("agree") == "1"
        if request.POST.get("action") == "send":
            context.update(_send_code(request, phone=form["phone"], purpose=Purpose.REGISTER))
        else:
            try:
                user, created = sign_up(
                    request=request,
                    phone=form["phone"],
                    nickname=form["nickname"],
                    password=request.POST.get("password", ""),
                    code=request.POST.get("code", ""),
                    agreed=agreed,
                )
            except DomainError as exc:
                context["error"] = exc.message
                context["error_field"] = {"consent_required": "agree", "invalid_code": "code"}.get(exc.code, "")
            else:
                # The code proved the phone is the visitor's: a new phone gets its account, the owner
                # of a known one is simply signed in (its password unchanged).
                code = request.session.pop(referrals.SESSION_KEY, "")
                if created and code:
                    referrals.record(referee=user, code=code)  # 老带新: a friend's invitation
                _sign_in(request, user)
                messages.success(request, _("注册成功，欢迎你！") if created else _("该手机号已注册，已为你登录"))
                return redirect(next_url)
    context.update({"tab": "me", "form": form, "agreed": agreed, "next": next_url})
    return render(request, "web/register.html", context)


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = {"phone": request.user.phone if request.user.is_authenticated and request.user.phone else ""}
    context: dict = {"error": ""}
    if request.method == "POST":
        form["phone"] = request.POST.get("phone", "").strip()
        if request.POST.get("action") == "send":
            context.update(_send_code(request, phone=form["phone"], purpose=Purpose.RESET_PASSWORD))
        else:
            try:
                reset_password(
                    request=request,
                    phone=form["phone"],
                    code=request.POST.get("code", ""),
                    new_password=request.POST.get("password", ""),
                )
            except DomainError as exc:
                context["error"] = exc.message
                context["error_field"] = "code" if exc.code == "invalid_code" else ""
            else:
                if request.user.is_authenticated:
                    auth_logout(request)  # the old session ends with the old password
                messages.success(request, _("密码已重设，请用新密码登录"))
                return redirect("web:login")
    context.update({"tab": "me", "form": form})
    return render(request, "web/password_reset.html", context)


@require_GET
def agreement(request: HttpRequest, document: str) -> HttpResponse:
    if document not in Consent.Document.values:
        raise Http404
    context = {
        "tab": "me",
        "document": document,
        "title": Consent.Document(document).label,
        "version": agreement_versions()[document],
        "body_template": f"web/agreements/{document}.html",
    }
    return render(request, "web/agreement.html", context)


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
