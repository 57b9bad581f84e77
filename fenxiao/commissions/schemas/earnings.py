"""Shapes of the earnings API. Money is integer fen (`*_fen`), rates basis points (`*_bp`)."""

from datetime import datetime

from ninja import Schema
from pydantic import Field


class EarningsSummaryOut(Schema):
    pending_fen: int = Field(..., description="预估收益：已付款、未结算的佣金")
    settled_fen: int = Field(..., description="累计已结算（结算前的取消已扣除，结算后的追回未扣除）")
    available_fen: int = Field(..., description="可提现账户余额；为负表示欠款")
    withdrawable_fen: int = Field(..., description="可提现金额（不低于 0）")
    debt_fen: int = Field(..., description="欠款：退款追回超出余额的部分，后续收益先抵扣")
    withdrawing_fen: int = Field(..., description="提现中")
    clawed_back_fen: int = Field(..., description="累计结算后退款追回")
    team_bonus_fen: int = Field(..., description="累计团队奖励")
    month: str = Field(..., description="本月（YYYY-MM，北京时间）")
    month_accrued_fen: int = Field(..., description="本月新增预估收益")


class CommissionLineOut(Schema):
    commission_id: int
    order_line_id: int
    product_name: str
    sku_spec: str
    quantity: int
    line_paid_fen: int
    line_refunded_fen: int
    depth: int = Field(..., description="1 = 直推, 2 = 间推")
    depth_label: str
    base_fen: int = Field(..., description="计佣基数：买家实付")
    mode: str = Field(..., description="rate 按比例 / fixed 每件固定金额")
    rate_bp: int | None
    fixed_fen: int | None
    uncapped_fen: int = Field(..., description="封顶前佣金")
    amount_fen: int = Field(..., description="佣金（封顶后）")
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    status: str
    status_label: str
    capped: bool
    capped_note: str = Field(..., description="受毛利上限削减的说明")


class CommissionOrderOut(Schema):
    order_id: int
    order_number: str
    order_status: str
    order_status_label: str
    ordered_at: datetime
    paid_at: datetime | None
    buyer_name: str = Field(..., description="买家昵称（脱敏）")
    buyer_phone: str = Field(..., description="买家手机号（脱敏）")
    is_self_purchase: bool
    status: str = Field(..., description="pending 待结算 / settled 已结算 / cancelled 已取消")
    status_label: str
    amount_fen: int
    cancelled_fen: int
    clawed_back_fen: int
    net_fen: int
    capped: bool
    lines: list[CommissionLineOut]


class CommissionOrderPageOut(Schema):
    status: str | None
    total: int
    page: int
    page_size: int
    has_next: bool
    items: list[CommissionOrderOut]


class StatementRowOut(Schema):
    entry_id: int
    transaction_id: int
    created_at: datetime
    kind: str
    memo: str
    reference: str
    side: str
    amount_fen: int
    change_fen: int = Field(..., description="对余额的影响（带符号）")
    balance_fen: int = Field(..., description="本条之后的余额")


class AccountStatementOut(Schema):
    role: str = Field(..., description="pending 预估收益 / available 可提现 / withdrawing 提现中")
    label: str
    opening_fen: int
    closing_fen: int
    rows: list[StatementRowOut]


class MonthTotalsOut(Schema):
    accrued_fen: int
    cancelled_fen: int
    settled_fen: int
    clawed_back_fen: int
    team_bonus_fen: int
    rewards_fen: int = Field(..., description="邀请奖励与排行榜奖金")
    withdrawn_fen: int
    returned_fen: int
    paid_fen: int


class StatementOut(Schema):
    month: str
    since: datetime
    until: datetime
    accounts: list[AccountStatementOut]
    totals: MonthTotalsOut
    months: list[str] = Field(..., description="有收支的月份，新的在前")


class MonthsOut(Schema):
    months: list[str]
