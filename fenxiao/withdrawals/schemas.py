from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema, StrictIn


class KycIn(InputSchema):
    real_name: str = Field(..., description="真实姓名，与身份证一致")
    id_number: str = Field(..., description="18 位居民身份证号码")
    mobile: str = Field(..., description="中国大陆手机号，提现打款以此号码为准")
    code: str = Field(..., description="发送到该手机号的短信验证码（POST /withdrawals/kyc/code 获取）")


class KycCodeIn(InputSchema):
    mobile: str = Field(..., description="要验证的中国大陆手机号")


class KycOut(Schema):
    verified: bool
    real_name: str | None = None
    id_number_masked: str | None = Field(None, description="脱敏身份证号，如 1101**********123X")
    gender: str | None = None
    mobile_masked: str | None = None
    mobile_verified: bool = Field(False, description="手机号是否已通过短信验证码验证")
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


class TransferConfirmOut(Schema):
    """What the mini-program passes to `wx.requestMerchantTransfer`, with the bill it is about."""

    withdrawal_id: int
    number: str = Field(..., description="提现单号，也是商户转账单号")
    mch_id: str = Field(..., description="商户号（mchId）")
    app_id: str = Field(..., description="小程序 AppID（appId）")
    package_info: str = Field(..., description="确认收款参数（package）")
    state: str = Field(..., description="微信转账单状态，此时为 WAIT_USER_CONFIRM")
    state_label: str
    amount_fen: int = Field(..., description="转入微信零钱的金额（分）")


class TransferStateOut(Schema):
    """Where a WeChat-change withdrawal's transfer stands after the provider was asked."""

    withdrawal_id: int
    number: str
    status: str = Field(..., description="提现状态：approved（待打款）/ paid（已到账）/ failed（打款失败）…")
    status_label: str
    state: str = Field(..., description="微信转账单状态：WAIT_USER_CONFIRM / TRANSFERING / SUCCESS / FAIL / CANCELLED …")
    state_label: str
    awaiting_user: bool = Field(..., description="仍在等待用户确认收款")
    settled: bool = Field(..., description="结果已入账（到账，或金额已退回可提现余额）")
    failure_reason: str
