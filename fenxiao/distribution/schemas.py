from datetime import datetime

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema, StrictIn


class DistributionLevelOut(Schema):
    id: int
    name: str
    rank: int
    direct_rate_bp: int
    indirect_rate_bp: int
    team_bonus_bp: int
    description: str


class LevelIn(StrictIn):
    """Only a direct and an indirect rate exist. Any third-level field is refused with
    `commission_depth_exceeded` rather than silently dropped (unknown fields are refused, see StrictIn)."""

    name: str
    rank: int
    direct_rate_bp: int = Field(..., description="直推佣金，基点（1% = 100）")
    indirect_rate_bp: int = Field(..., description="间推佣金，基点")
    team_bonus_bp: int = 0
    description: str = ""


class ApplyIn(InputSchema):
    real_name: str = ""
    note: str = ""
    agreement_version: str = Field(
        "",
        description="用户已阅读并同意的《分销商协议》版本（GET /distribution/agreement 给出当前版本）；缺少或不是当前版本时拒绝",
    )


class AgreementOut(Schema):
    document: str = Field(..., description="协议：distributor 分销商协议")
    version: str = Field(..., description="当前版本，申请时原样提交")
    url: str = Field(..., description="协议全文页面")


class DistributorOut(Schema):
    id: int
    code: str
    status: str
    status_label: str
    level: DistributionLevelOut
    inviter_code: str | None
    applied_at: datetime
    approved_at: datetime | None
    reject_reason: str
    share_url: str | None
    direct_count: int
    indirect_count: int


class ShareLinkOut(Schema):
    url: str
    qr_png_url: str


class DownlineMemberOut(Schema):
    id: int
    nickname: str
    masked_phone: str
    level: str
    depth: int = Field(..., description="1 = 直推, 2 = 间推")
    joined_at: datetime | None


class DownlinePage(Schema):
    depth: int
    total: int
    page: int
    page_size: int
    items: list[DownlineMemberOut]


class BindIn(InputSchema):
    code: str
    product_id: int | None = None


class BindOut(Schema):
    distributor_code: str
    outcome: str


class ApplicationOut(Schema):
    id: int
    code: str
    status: str
    nickname: str
    masked_phone: str
    real_name: str
    note: str
    inviter_code: str | None
    applied_at: datetime


class ReviewIn(StrictIn):
    reason: str = ""


class DistributionSettingsOut(Schema):
    admission_mode: str
    threshold_fen: int
    binding_policy: str
    binding_days: int
    commission_levels: int
    self_purchase_commission: bool
    staff_may_distribute: bool


class DistributionSettingsIn(StrictIn):
    """Unknown fields are refused: a third-level rate with `commission_depth_exceeded`, anything else
    with `invalid_input`."""

    admission_mode: str | None = None
    threshold_fen: int | None = None
    binding_policy: str | None = None
    binding_days: int | None = None
    commission_levels: int | None = Field(None, description="1 或 2；更大的值会被拒绝")
    self_purchase_commission: bool | None = None
    staff_may_distribute: bool | None = None
