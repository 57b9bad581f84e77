from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class CouponInfoOut(Schema):
    id: int
    name: str
    kind: str = Field(description="amount 减金额 / percent 打折")
    amount_fen: int = Field(description="减金额券：减多少（分）")
    percent_off_bp: int = Field(description="打折券：减去的比例（基点，1000 即九折）")
    cap_fen: int | None = Field(description="打折券最多减多少（分）；空为不封顶")
    threshold_fen: int = Field(description="适用商品满多少可用（分）；0 为无门槛")
    scope: str = Field(description="all 全部商品 / categories 指定类目 / products 指定商品")
    text: str = Field(description="面额与门槛，例如 满 ¥100 减 ¥20")
    scope_text: str = Field(description="适用范围，例如 指定类目：服饰")
    description: str


class CouponCentreOut(Schema):
    coupon: CouponInfoOut
    validity_text: str = Field(description="有效期，例如 领取后 7 天内有效")
    claim_ends_at: datetime | None
    remaining: int = Field(description="还剩多少张")
    per_person_limit: int
    held: int = Field(description="我已领取的张数")
    can_claim: bool


class UserCouponOut(Schema):
    id: int
    coupon: CouponInfoOut
    status: str = Field(description="available 未使用 / reserved 下单占用 / used 已使用 / revoked 已收回")
    status_label: str
    source: str
    valid_from: datetime
    valid_until: datetime
    claimed_at: datetime
    used_at: datetime | None
    order_reference: str


class CouponWalletCountsOut(Schema):
    usable: int
    used: int
    expired: int


class CouponWalletOut(Schema):
    tab: str
    counts: CouponWalletCountsOut
    items: list[UserCouponOut]


class CouponWalletQuery(Schema):
    tab: Literal["usable", "used", "expired"] = Field("usable", description="usable 可使用 / used 已使用 / expired 已过期")
