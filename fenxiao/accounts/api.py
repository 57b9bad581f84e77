from django.contrib.auth import login as session_login
from ninja import Router, Status

from fenxiao.common.api_auth import current_user, member_auth

from . import services
from .schemas import LoginIn, MeOut, ProfileIn, RegisterIn, TokenOut

router = Router(tags=["账户 auth"])


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


@router.post("/register", response={201: TokenOut}, auth=None, summary="手机号注册")
def register(request, payload: RegisterIn):
    user = services.register_member(phone=payload.phone, password=payload.password, nickname=payload.nickname)
    return Status(201, {"token": services.issue_token(user=user), "user_id": user.pk})


@router.post("/login", response=TokenOut, auth=None, summary="手机号 + 密码登录，返回 Bearer 令牌")
def login(request, payload: LoginIn):
    user = services.login_member(request=request, phone=payload.phone, password=payload.password)
    session_login(request, user)
    return {"token": services.issue_token(user=user), "user_id": user.pk}


@router.post("/logout", response={204: None}, auth=member_auth, summary="吊销当前令牌")
def logout(request):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.revoke_token(raw_key=header.split(" ", 1)[1].strip())
    return Status(204, None)


@router.get("/me", response=MeOut, auth=member_auth, summary="我的资料")
def me(request):
    return _me(current_user(request))


@router.patch("/me", response=MeOut, auth=member_auth, summary="修改昵称")
def update_me(request, payload: ProfileIn):
    user = services.update_profile(user=current_user(request), nickname=payload.nickname)
    return _me(user)
