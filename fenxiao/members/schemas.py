from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import StrictIn

MovementKind = Literal["earn_frozen", "unfreeze", "spend", "spend_return", "refund_reverse", "expire", "grant"]


class TierOut(Schema):
    id: int
    name: str
    min_spend_fen: int = Field(description="统计周期内已完成订单的消费（分）达到多少")
    points_multiplier_bp: int = Field(description="积分倍数（基点，10000 即 1 倍）")
    member_day_discount_bp: int = Field(description="会员日按零售价减去的比例（基点）")
    sort: int
    is_active: bool


class TierIn(StrictIn):
    name: str
    min_spend_fen: int
    points_multiplier_bp: int = 10000
    member_day_discount_bp: int = 0
    sort: int = 0
    is_active: bool = True


class TierBriefOut(Schema):
    id: int
    name: str
    min_spend_fen: int


class ExpiringOut(Schema):
    points: int
    expires_at: datetime


class PointsBalanceOut(Schema):
    available: int = Field(description="可用积分（未过期）")
    frozen: int = Field(description="冻结积分：订单完成（售后期结束）后到账")
    expiring_soon: list[ExpiringOut] = Field(description="30 天内将过期的积分")
    points_per_yuan_off: int = Field(description="多少积分抵 1 元")


class MemberMeOut(Schema):
    tier: TierBriefOut | None
    spend_fen: int = Field(description="统计周期内已完成订单的消费（分，扣除退款）")
    window_days: int
    next_tier: TierBriefOut | None
    to_next_fen: int = Field(description="距下一等级还差多少（分）；已是最高等级为 0")
    progress_bp: int = Field(description="到下一等级的进度（基点）")
    next_tier_text: str
    benefits: list[str]
    member_day: int | None = Field(description="每月几号是会员日；空为不设")
    is_member_day: bool
    points: PointsBalanceOut


class MovementOut(Schema):
    id: int
    kind: str
    kind_label: str
    delta: int = Field(description="积分总变动（可用 + 冻结）")
    available_delta: int
    frozen_delta: int
    reference: str
    note: str
    at: datetime


class MovementPageOut(Schema):
    items: list[MovementOut]
    page: int
    pages: int
    total: int


class MovementQuery(Schema):
    kind: MovementKind | None = Field(None, description="只看一种明细")
    page: int = Field(1, ge=1, le=100000)


class GrantIn(StrictIn):
    user_id: int | None = Field(None, description="用户 ID；与 phone 二选一")
    phone: str | None = Field(None, description="手机号；与 user_id 二选一")
    points: int = Field(description="发放的积分，正整数")
    note: str = Field("", max_length=200)
    reference: str = Field("", max_length=60, description="幂等单据号：同一单据号只发放一次；留空自动生成")


class GrantOut(Schema):
    lot_id: int
    user_id: int
    points: int
    reference: str
    available: int
