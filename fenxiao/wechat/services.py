"""Writes: signing in with WeChat, binding a WeChat account to a user, storing its nickname and avatar.

Who a WeChat account signs in as, in this order:
1. the user its openid is already bound to;
2. else the logged-in user (binding their WeChat);
3. else the user of another identity with the same unionid (the same person in the Official Account
   and the mini-program, when both are tied to one Open Platform account);
4. else a new consumer account (username from the openid, no phone, no usable password) is created.

A logged-in user whose WeChat turns out to be bound to someone else is refused (`wechat_already_bound`)
rather than switched to the other account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from fenxiao.accounts import hooks as account_hooks
from fenxiao.accounts.models import User
from fenxiao.accounts.services import clean_nickname
from fenxiao.common import ratelimit

from . import client
from .errors import WeChatCode, WeChatError
from .models import WeChatIdentity

NICKNAME_MAX = 64
AVATAR_HOSTS_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class SignIn:
    user: User
    identity: WeChatIdentity
    created: bool  # a new account was made for this WeChat user


def _new_username(openid: str) -> str:
    return f"wx_{openid}"[:150]


def _create_consumer(openid: str, nickname: str):
    User = get_user_model()
    display = clean_nickname(nickname[:32]) if nickname else ""
    user = User(username=_new_username(openid), nickname=display or gettext("微信用户%(tail)s") % {"tail": openid[-4:]})
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        user.username = f"{_new_username(openid)[:140]}_{secrets.token_hex(4)}"
        user.save()
    account_hooks.member_registered(user)
    return user


def _check_active(user) -> None:
    if not user.is_active:
        raise WeChatError(WeChatCode.ACCOUNT_DISABLED, gettext("该账号已停用，请联系客服"), {}, status=403)


def _resolve(*, kind: str, appid: str, openid: str, unionid: str, current_user=None, nickname: str = "") -> SignIn:
    current = current_user if current_user is not None and getattr(current_user, "is_authenticated", False) else None
    with transaction.atomic():
        existing = WeChatIdentity.objects.select_related("user").filter(appid=appid, openid=openid).first()
        if existing is not None:
            if current is not None and existing.user_id != current.pk:
                raise WeChatError(
                    WeChatCode.ALREADY_BOUND, gettext("这个微信已绑定其他账号，请先退出再用微信登录"), {}, status=409
                )
            _check_active(existing.user)
            if unionid and existing.unionid != unionid:
                existing.unionid = unionid
                existing.save(update_fields=["unionid", "updated_at"])
            return SignIn(user=existing.user, identity=existing, created=False)
        created = False
        if current is not None:
            user = current
        else:
            sibling = (
                WeChatIdentity.objects.select_related("user").filter(unionid=unionid).order_by("pk").first() if unionid else None
            )
            if sibling is not None:
                user = sibling.user
            else:
                user = _create_consumer(openid, nickname)
                created = True
        _check_active(user)
        identity = WeChatIdentity.objects.create(user=user, kind=kind, appid=appid, openid=openid, unionid=unionid)
    return SignIn(user=user, identity=identity, created=created)


def _resolve_once(**kwargs) -> SignIn:
    """Two first sign-ins of one openid at once: the second finds the first's identity."""
    try:
        return _resolve(**kwargs)
    except IntegrityError:
        return _resolve(**kwargs)


def sign_in_with_oa_code(*, code: str, current_user=None) -> tuple[SignIn, client.OAuthGrant]:
    """The code of the Official Account's web authorization → the user it signs in (see the module doc)."""
    code = (code or "").strip()
    if not code or len(code) > 128:
        raise WeChatError(WeChatCode.INVALID_CODE, gettext("微信授权已失效，请重新进入页面"), {}, status=400)
    grant = client.exchange_oauth_code(code)
    if grant.snapshot_user:
        # WeChat's "snapshot" mode hands out a placeholder openid until the visitor opens the full page.
        raise WeChatError(WeChatCode.SNAPSHOT_USER, gettext("请点击页面下方的“使用完整服务”后再登录"), {}, status=400)
    app = client.require_app(client.OA)
    result = _resolve_once(
        kind=WeChatIdentity.Kind.OFFICIAL_ACCOUNT,
        appid=app.appid,
        openid=grant.openid,
        unionid=grant.unionid,
        current_user=current_user,
    )
    return result, grant


def _mp_rule() -> ratelimit.Rule:
    return ratelimit.Rule.from_settings("wechat-mp-address", "FENXIAO_WECHAT_MP_LOGIN_LIMIT", (30, 10 * 60, 10 * 60))


def sign_in_with_mp_code(*, request, code: str) -> SignIn:
    """A mini-program's `wx.login()` code → the user it signs in. Counted per client address."""
    rule = _mp_rule()
    address = ratelimit.client_address(request) if request is not None else ""
    ratelimit.check((rule, address))
    ratelimit.hit(rule, address)
    code = (code or "").strip()
    if not code or len(code) > 128:
        raise WeChatError(WeChatCode.INVALID_CODE, gettext("微信授权已失效，请重新进入页面"), {}, status=400)
    session = client.exchange_mp_code(code)
    app = client.require_app(client.MP)
    return _resolve_once(kind=WeChatIdentity.Kind.MINI_PROGRAM, appid=app.appid, openid=session.openid, unionid=session.unionid)


def _clean_avatar(url: str) -> str:
    url = (url or "").strip()
    return url[:500] if url.startswith(AVATAR_HOSTS_SCHEMES) else ""


def store_profile(*, identity: WeChatIdentity, grant: client.OAuthGrant, use_as_nickname: bool = True) -> WeChatIdentity:
    """After a `snsapi_userinfo` grant: read nickname and avatar from WeChat and keep them on the identity;
    the nickname also becomes the user's (cut to the shop's 32 characters)."""
    if grant.scope and client.SCOPE_USERINFO not in grant.scope.split(","):
        raise WeChatError(WeChatCode.SCOPE_DENIED, gettext("没有获得微信昵称和头像的授权"), {}, status=400)
    profile = client.fetch_profile(grant)
    identity.nickname = "".join(ch for ch in profile.nickname if ord(ch) >= 32)[:NICKNAME_MAX]
    identity.avatar_url = _clean_avatar(profile.avatar_url)
    if profile.unionid and not identity.unionid:
        identity.unionid = profile.unionid
    identity.save(update_fields=["nickname", "avatar_url", "unionid", "updated_at"])
    if use_as_nickname and identity.nickname:
        user = identity.user
        user.nickname = clean_nickname(identity.nickname[:32].strip())
        user.save(update_fields=["nickname"])
    return identity
