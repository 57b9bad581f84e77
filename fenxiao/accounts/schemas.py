from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class RegisterIn(InputSchema):
    phone: str = Field(..., examples=["13800138000"])
    password: str = Field(..., min_length=1)
    nickname: str = ""


class AuthRegisterOut(Schema):
    """The same answer whether or not the phone already had an account: log in next."""

    status: Literal["accepted"] = "accepted"
    next: Literal["login"] = "login"


class LoginIn(InputSchema):
    phone: str = Field(..., description="手机号（运营人员可用用户名）")
    password: str


class TokenOut(Schema):
    token: str
    user_id: int


class AuthPasswordIn(InputSchema):
    old_password: str
    new_password: str = Field(..., min_length=1)


class AuthRevokedOut(Schema):
    revoked: int = Field(..., description="吊销的令牌数")


class MeOut(Schema):
    id: int
    phone: str | None
    masked_phone: str
    nickname: str
    is_staff: bool
    is_distributor: bool
    distributor_status: str | None


class ProfileIn(InputSchema):
    nickname: str | None = None
