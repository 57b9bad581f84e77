"""Request and response shapes of the scorecard API. Rates are basis points (1 bp = 0.01%); null
when there was nothing to divide by; `complaints` is null until complaint tickets exist."""

from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class ScorecardFiguresOut(Schema):
    month: str = Field(..., description="YYYY-MM（北京时间自然月）")
    shipments: int = Field(..., description="当月付款的发货单数（不含已取消）")
    shipped: int
    due: int = Field(..., description="最晚发货时间在当月、已可判定的发货单数")
    on_time: int
    on_time_bp: int | None = Field(None, description="准时发货率")
    avg_hours_to_ship: float | None = Field(None, description="付款到发货的平均小时数")
    lines: int
    paid_fen: int
    refunded_fen: int
    refund_bp: int | None = Field(None, description="退款率：退款金额 / 实付金额（按付款月份归属）")
    returned_lines: int
    return_bp: int | None = Field(None, description="退货率：退货退款的明细 / 明细")
    complaints: int | None = Field(None, description="投诉数：暂无投诉工单，恒为 null")
    verdict: Literal["ok", "warn", "suspend"]
    reasons: list[str] = Field(..., description="低于预警线的指标：on_time / refund")


class ScorecardRowOut(Schema):
    supplier_id: int | None = Field(None, description="null 为平台仓")
    supplier_name: str
    supplier_status: str | None = None
    overdue: int = Field(..., description="当前超时未发货的发货单数")
    figures: ScorecardFiguresOut
    previous: ScorecardFiguresOut
    change_on_time_bp: int | None = None
    change_refund_bp: int | None = None
    change_return_bp: int | None = None


class ScorecardListOut(Schema):
    month: str
    rows: list[ScorecardRowOut]


class ScorecardTrendOut(Schema):
    supplier_id: int | None
    supplier_name: str
    overdue: int
    months: list[ScorecardFiguresOut] = Field(..., description="最近 6 个月，最早的在前")


class ScorecardQuery(InputSchema):
    month: str | None = Field(None, description="YYYY-MM，默认本月", max_length=7)
    sort: Literal["on_time", "refund", "return", "shipments", "overdue", "name"] = "on_time"


class ScorecardTrendQuery(InputSchema):
    month: str | None = Field(None, description="趋势的最后一个月 YYYY-MM，默认本月", max_length=7)
