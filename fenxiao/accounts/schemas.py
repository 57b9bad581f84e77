from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class RegisterIn(InputSchema):
    phone: str = Field(..., examples=["13800138000"])
    code: str = Field(..., max_length=16, description="发到该手机号的注册验证码（purpose=register）", examples=["123456"])
    password: str = Field(..., min_length=1)
    nickname: str = ""
    agree_terms: bool = Field(..., description="已阅读并同意《用户协议》和《隐私政策》（记录当前版本、时间和客户端地址）")


class SmsSendIn(InputSchema):
    phone: str = Field(..., examples=["13800138000"])
    purpose: Literal["login", "register", "reset_password", "verify_phone"]


class SmsSentOut(Schema):
    """The same answer for every valid phone, whether or not it has an account."""

    status: Literal["sent"] = "sent"
    expires_in: int = Field(..., description="验证码有效秒数")
    resend_after: int = Field(..., description="多少秒后可再次获取")


class SmsLoginIn(InputSchema):
    phone: str = Field(..., examples=["13800138000"])
    code: str = Field(..., max_length=16, examples=["123456"])


class PasswordResetIn(InputSchema):
    phone: str = Field(..., examples=["13800138000"])
    code: str = Field(..., max_length=16, examples=["123456"])
    new_password: str = Field(..., min_length=1)


class PasswordResetOut(Schema):
    status: Literal["reset"] = "reset"
    next: Literal["login"] = "login"


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
