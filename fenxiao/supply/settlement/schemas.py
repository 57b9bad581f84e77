from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import StrictIn

StatementStatus = Literal["issued", "confirmed", "in_batch", "paid", "failed"]
BatchStatus = Literal["open", "exported", "closed"]


class SupplierSettlementStatementFilter(Schema):
    status: StatementStatus | None = None
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=100)


class SupplierSettlementOperatorStatementFilter(SupplierSettlementStatementFilter):
    supplier_id: int | None = Field(None, ge=1)
    batch_id: int | None = Field(None, ge=1)


class SupplierSettlementStatementLineOut(Schema):
    order_number: str
    sku_code: str
    product_name: str
    quantity: int
    unit_cost_fen: int
    owed_fen: int = Field(..., description="扣除退款后此明细累计应结")
    amount_fen: int = Field(..., description="本期金额；负数为扣款")


class SupplierSettlementEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    created_at: datetime


class SupplierSettlementStatementOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    period_start: datetime
    period_end: datetime
    line_count: int
    goods_fen: int
    deduction_fen: int
    amount_fen: int = Field(..., description="本期金额 = 货款 − 扣款（可能为负）")
    carried_fen: int = Field(..., description="上期结转（不大于 0）")
    payable_fen: int = Field(..., description="应付 = 本期金额 + 上期结转；大于 0 才打款")
    issued_at: datetime
    confirmed_at: datetime | None
    paid_at: datetime | None
    failure_reason: str


class SupplierSettlementStatementDetailOut(SupplierSettlementStatementOut):
    lines: list[SupplierSettlementStatementLineOut]
    events: list[SupplierSettlementEventOut]


class SupplierSettlementOperatorStatementOut(SupplierSettlementStatementOut):
    supplier_id: int
    supplier_name: str
    batch_id: int | None
    batch_number: str | None


class SupplierSettlementOperatorStatementDetailOut(SupplierSettlementOperatorStatementOut):
    lines: list[SupplierSettlementStatementLineOut]
    events: list[SupplierSettlementEventOut]


class SupplierSettlementBatchIn(StrictIn):
    statement_ids: list[int] | None = Field(None, description="只收这些对账单（须已确认、应付大于 0、银行信息完整）；空为全部")


class SupplierSettlementBatchFilter(Schema):
    status: BatchStatus | None = None


class SupplierSettlementBatchOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    statement_count: int
    amount_fen: int
    approved: bool
    created_at: datetime
    created_by: str | None
    exported_at: datetime | None
    closed_at: datetime | None
    statements: list[SupplierSettlementOperatorStatementOut]


class SupplierSettlementImportLineOut(Schema):
    row: int
    number: str
    outcome: str
    message: str


class SupplierSettlementImportSummaryOut(Schema):
    batch: SupplierSettlementBatchOut
    applied: int
    already_applied: int
    conflicts: int
    errors: int
    lines: list[SupplierSettlementImportLineOut]
