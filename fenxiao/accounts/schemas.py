from ninja import Schema
from pydantic import Field


class RegisterIn(Schema):
    phone: str = Field(..., examples=["13800138000"])
    password: str = Field(..., min_length=1)
    nickname: str = ""


class LoginIn(Schema):
    phone: str = Field(..., description="手机号（运营人员可用用户名）")
    password: str


class TokenOut(Schema):
    token: str
    user_id: int


class MeOut(Schema):
    id: int
    phone: str | None
    masked_phone: str
    nickname: str
    is_staff: bool
    is_distributor: bool
    distributor_status: str | None


class ProfileIn(Schema):
    nickname: str | None = None
