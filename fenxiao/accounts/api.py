from django.contrib.auth import SESSION_KEY, update_session_auth_hash
from django.contrib.auth import logout as session_logout
from ninja import Router, Status

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.common.api_contract import rate_limited

from . import services
from .schemas import (
    AuthPasswordIn,
    AuthRegisterOut,
    AuthRevokedOut,
    LoginIn,
    MeOut,
    PasswordResetIn,
    PasswordResetOut,
    ProfileIn,
    RegisterIn,
    SmsLoginIn,
    SmsSendIn,
    SmsSentOut,
    TokenOut,
)

router = Router(tags=["账户 auth"])


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
    "/sms/send",
    response={202: SmsSentOut},
    auth=None,
    summary="发送短信验证码",
    description=(
        "purpose：login 登录、register 注册、reset_password 找回密码、verify_phone 验证手机号。验证码 5 分钟内有效，"
        "新验证码使旧的失效。无论该手机号是否已注册，回答都相同。每个手机号每分钟 1 条、每天 10 条，"
        "每个客户端地址另有限额；超出时返回 429 和 Retry-After。"
    ),
)
@rate_limited
def send_sms_code(request, payload: SmsSendIn):
    sent = services.send_code(request=request, phone=payload.phone, purpose=payload.purpose)
    return Status(202, {"status": "sent", "expires_in": sent.expires_in, "resend_after": sent.resend_after})


@router.post(
    "/register",
    response={202: AuthRegisterOut},
    auth=None,
    summary="手机号注册（需短信验证码并同意协议）",
    description=(
        "先以 purpose=register 获取验证码。输入有误、未同意协议或验证码不对时返回错误（验证码错误 5 次即失效）；"
        "否则无论该手机号是否已注册，都返回同样的 202，客户端随后登录。已注册的手机号不会被修改。"
    ),
)
@rate_limited
def register(request, payload: RegisterIn):
    services.sign_up(
        request=request,
        phone=payload.phone,
        password=payload.password,
        nickname=payload.nickname,
        code=payload.code,
        agreed=payload.agree_terms,
    )
    return Status(202, {"status": "accepted", "next": "login"})


@router.post(
    "/login/sms",
    response=TokenOut,
    auth=None,
    summary="手机号 + 短信验证码登录，返回 Bearer 令牌",
    description="先以 purpose=login 获取验证码。未注册的手机号与错误的验证码得到同样的回答 `invalid_code`。",
)
@rate_limited
def login_by_code(request, payload: SmsLoginIn):
    user = services.login_by_code(request=request, phone=payload.phone, code=payload.code)
    return {"token": services.issue_token(user=user), "user_id": user.pk}


@router.post(
    "/password/reset",
    response=PasswordResetOut,
    auth=None,
    summary="用短信验证码重设密码",
    description="先以 purpose=reset_password 获取验证码。成功后该用户的全部令牌随即吊销，客户端用新密码重新登录。",
)
@rate_limited
def reset_password(request, payload: PasswordResetIn):
    services.reset_password(request=request, phone=payload.phone, code=payload.code, new_password=payload.new_password)
    return {"status": "reset", "next": "login"}


@router.post("/login", response=TokenOut, auth=None, summary="手机号 + 密码登录，返回 Bearer 令牌")
@rate_limited
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
@rate_limited
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
