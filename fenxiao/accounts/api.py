from django.contrib.auth import SESSION_KEY, update_session_auth_hash
from django.contrib.auth import logout as session_logout
from ninja import Router, Status

from fenxiao.accounts.auth import current_user, member_auth

from . import services
from .schemas import AuthPasswordIn, AuthRegisterOut, AuthRevokedOut, LoginIn, MeOut, ProfileIn, RegisterIn, TokenOut

router = Router(tags=["账户 auth"])


def _rate_limited(view):
    """Declares the view's 429 `throttled` answer in the API contract."""
    view.openapi_rate_limited = True
    return view


def _bearer_key(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header.split(" ", 1)[1].strip() or None
    return None


def _session_user_id(request) -> str | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_KEY) if session is not None else None


def _me(user) -> dict:
    profile = getattr(user, "distributor", None) if hasattr(user, "distributor") else None
    return {
        "id": user.pk,
        "phone": user.phone,
        "masked_phone": user.masked_phone,
        "nickname": user.nickname,
        "is_staff": user.is_staff,
        "is_distributor": bool(profile and profile.status == "approved"),
        "distributor_status": profile.status if profile else None,
    }


@router.post(
    "/register",
    response={202: AuthRegisterOut},
    auth=None,
    summary="手机号注册",
    description="输入有误时返回错误；否则无论该手机号是否已注册，都返回同样的 202，客户端随后调用登录接口。",
)
@_rate_limited
def register(request, payload: RegisterIn):
    services.sign_up(request=request, phone=payload.phone, password=payload.password, nickname=payload.nickname)
    return Status(202, {"status": "accepted", "next": "login"})


@router.post("/login", response=TokenOut, auth=None, summary="手机号 + 密码登录，返回 Bearer 令牌")
@_rate_limited
def login(request, payload: LoginIn):
    # Only a token: the API login opens no browser session (the pages have their own login).
    user = services.login_member(request=request, phone=payload.phone, password=payload.password)
    return {"token": services.issue_token(user=user), "user_id": user.pk}


@router.post("/logout", response={204: None}, auth=member_auth, summary="吊销当前令牌（浏览器会话则退出登录）")
def logout(request):
    raw_key = _bearer_key(request)
    if raw_key:
        services.revoke_token(raw_key=raw_key)
    elif _session_user_id(request) is not None:
        session_logout(request)
    return Status(204, None)


@router.post(
    "/password",
    response=TokenOut,
    auth=member_auth,
    summary="修改密码",
    description="验证原密码后设置新密码；该用户的全部令牌随即吊销，响应返回一个新令牌。",
)
@_rate_limited
def change_password(request, payload: AuthPasswordIn):
    user = services.change_password(
        request=request, user=current_user(request), old_password=payload.old_password, new_password=payload.new_password
    )
    if _session_user_id(request) == str(user.pk):
        update_session_auth_hash(request, user)  # the browser session that asked stays signed in
    return {"token": services.issue_token(user=user), "user_id": user.pk}


@router.post("/tokens/revoke-all", response=AuthRevokedOut, auth=member_auth, summary="吊销我的全部令牌")
def revoke_all_tokens(request):
    return {"revoked": services.revoke_all_tokens(user=current_user(request))}


@router.get("/me", response=MeOut, auth=member_auth, summary="我的资料")
def me(request):
    return _me(current_user(request))


@router.patch("/me", response=MeOut, auth=member_auth, summary="修改昵称")
def update_me(request, payload: ProfileIn):
    user = services.update_profile(user=current_user(request), nickname=payload.nickname)
    return _me(user)
