from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema, StrictIn


class KycIn(InputSchema):
    real_name: str = Field(..., description="真实姓名，与身份证一致")
    id_number: str = Field(..., description="18 位居民身份证号码")
    mobile: str = Field(..., description="中国大陆手机号")


class KycOut(Schema):
    verified: bool
    real_name: str | None = None
    id_number_masked: str | None = Field(None, description="脱敏身份证号，如 1101**********123X")
    gender: str | None = None
    mobile_masked: str | None = None
    updated_at: datetime | None = None


class ChannelOut(Schema):
    code: str
    label: str


class WithdrawalQuoteOut(Schema):
    amount_fen: int
    fee_bp: int
    fee_fen: int
    net_fen: int


class DistributorSettingsOut(Schema):
    min_amount_fen: int
    daily_cap_fen: int
    fee_bp: int
    channels: list[ChannelOut]
    kyc_verified: bool
    available_fen: int = Field(..., description="可提现余额；为负表示欠款")
    debt_fen: int
    withdrawing_fen: int
    today_requested_fen: int
    remaining_today_fen: int
    quote: WithdrawalQuoteOut | None = None


class QuoteQuery(Schema):
    amount_fen: int | None = Field(None, ge=1, le=10**12)


class WithdrawalIn(InputSchema):
    amount_fen: int = Field(..., description="提现金额（分）")
    channel: str = Field(..., description="wechat 微信零钱 / bank 银行卡 / alipay 支付宝")
    account: str = Field("", description="银行卡号；支付宝手机号或邮箱；微信 openid（可空，空则用实名手机号）")
    bank_name: str = Field("", description="开户银行（银行卡必填）")


class EventOut(Schema):
    from_status: str
    to_status: str
    note: str
    created_at: datetime


class WithdrawalOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    channel_label: str
    amount_fen: int
    fee_bp: int
    fee_fen: int
    net_fen: int
    payee_name: str
    bank_name: str
    account_masked: str
    reject_reason: str
    failure_reason: str
    requested_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    rejected_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    events: list[EventOut] = []


class WithdrawalFilter(Schema):
    status: str | None = None
    page: int = 1
    page_size: int = 20


class OperatorEventOut(EventOut):
    actor: str | None = None


class OperatorWithdrawalOut(WithdrawalOut):
    distributor_id: int
    distributor_code: str
    external_reference: str
    batch_id: int | None
    batch_number: str | None
    batch_line: int | None
    events: list[OperatorEventOut] = []


class OperatorFilter(Schema):
    status: str | None = None
    channel: str | None = None
    distributor_id: int | None = None
    batch_id: int | None = None
    since: date | None = Field(None, description="申请日（北京时间）起")
    until: date | None = Field(None, description="申请日（北京时间）止")
    page: int = 1
    page_size: int = 50


class WithdrawalReasonIn(StrictIn):
    reason: str = ""


class NoteIn(StrictIn):
    note: str = ""


class WithdrawalSettingsOut(Schema):
    min_amount_fen: int
    daily_cap_fen: int
    fee_bp: int
    wechat_enabled: bool
    bank_enabled: bool
    alipay_enabled: bool
    updated_at: datetime


class WithdrawalSettingsIn(StrictIn):
    min_amount_fen: int | None = None
    daily_cap_fen: int | None = None
    fee_bp: int | None = None
    wechat_enabled: bool | None = None
    bank_enabled: bool | None = None
    alipay_enabled: bool | None = None


class BatchIn(StrictIn):
    channel: str = Field("", description="只收某一渠道；空为全部")
    withdrawal_ids: list[int] | None = Field(None, description="只收这些提现（须已审核且未入批次）")


class BatchOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    line_count: int
    amount_fen: int
    fee_fen: int
    net_fen: int
    results_count: int
    created_at: datetime
    created_by: str | None
    exported_at: datetime | None
    closed_at: datetime | None


class BatchFilter(Schema):
    status: str | None = None


class ImportLineOut(Schema):
    row: int
    number: str
    outcome: str
    message: str


class ImportSummaryOut(Schema):
    batch: BatchOut
    applied: int
    already_applied: int
    conflicts: int
    errors: int
    lines: list[ImportLineOut]
