"""The portal's request and response shapes. No response carries a price paid, a discount, a
commission figure or the distributor of an order."""

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class PortalProfileOut(Schema):
    id: int
    name: str
    status: str
    status_label: str
    status_reason: str
    contact_name: str
    contact_phone: str
    company_name: str
    credit_code: str
    licence_number: str
    category: str
    return_receiver: str
    return_phone: str
    return_address: str
    bank_account_name: str
    bank_name: str
    bank_account_masked: str = Field(..., description="收款账号，仅显示后 4 位")
    settlement_cycle: str
    settlement_cycle_label: str


class PortalSummaryOut(Schema):
    to_ship: int
    overdue: int
    returns_to_receive: int
    open_exceptions: int


class PortalReceiverOut(Schema):
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    address: str
    masked: bool = Field(..., description="发货后手机号脱敏、地址只到省市；完成后收货人姓名也脱敏")


class PortalLineOut(Schema):
    id: int
    product_name: str
    spec: str
    sku_code: str
    quantity: int


class PortalShipmentOut(Schema):
    id: int
    order_number: str
    status: str
    status_label: str
    placed_at: datetime
    paid_at: datetime | None
    ship_by: datetime | None
    overdue: bool
    note: str = Field(..., description="买家留言（仅待发货时）")
    receiver: PortalReceiverOut
    carrier_code: str
    carrier_name: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime | None
    received_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    lines: list[PortalLineOut]


class PortalShipmentPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[PortalShipmentOut]


class PortalShipmentFilter(Schema):
    status: Literal["", "to_ship", "overdue", "shipped", "received", "completed", "cancelled"] = Field(
        "", description="to_ship 待发货、overdue 超时未发货、shipped、received、completed、cancelled；留空为全部"
    )
    q: str = Field("", max_length=32, description="订单号（部分匹配）")
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(20, ge=1, le=50)


class PortalPickListQuery(Schema):
    ids: list[int] = Field(default_factory=list, max_length=500, description="只导出这些待发货的发货单；留空为全部待发货")


class PortalShipIn(InputSchema):
    carrier: str = Field(..., min_length=1, max_length=40, description="快递公司编码或名称（GET /carriers）")
    tracking_number: str = Field(..., min_length=1, max_length=40, description="快递单号，须符合该快递公司的单号格式")


class PortalTrackingRowOut(Schema):
    row: int = Field(..., description="文件中的行号（表头为第 1 行）")
    order_number: str
    carrier: str
    tracking_number: str
    outcome: str = Field(..., description="shipped 已发货；already 此前已用同一单号发货（未重复发货）；error 未发货")
    code: str
    message: str
    shipment_id: int | None


class PortalTrackingImportOut(Schema):
    shipped: int
    already: int
    errors: int
    rows: list[PortalTrackingRowOut]


class PortalExceptionIn(InputSchema):
    kind: Literal["out_of_stock", "address", "other"] = Field(..., description="out_of_stock 缺货、address 地址问题、other 其他")
    note: str = Field(..., min_length=1, max_length=200)


class PortalExceptionOut(Schema):
    id: int
    shipment_id: int
    order_number: str
    kind: str
    kind_label: str
    note: str
    status: str
    status_label: str
    resolution: str
    created_at: datetime
    resolved_at: datetime | None


class PortalExceptionFilter(Schema):
    status: Literal["", "open", "resolved"] = ""


class PortalReturnOut(Schema):
    id: int
    order_number: str
    shipment_id: int | None
    product_name: str
    spec: str
    sku_code: str
    quantity: int
    reason: str
    status: str
    status_label: str
    return_tracking_number: str
    created_at: datetime
    updated_at: datetime


class PortalReturnFilter(Schema):
    state: Literal["pending", "history"] = Field("pending", description="pending 待收货；history 其余")


class PortalBatchOut(Schema):
    id: int
    batch_number: str
    production_date: date | None
    expiry_date: date | None
    on_hand: int
    reserved: int


class PortalStockOut(Schema):
    sku_id: int
    sku_code: str
    product_name: str
    spec: str
    is_active: bool
    on_hand: int
    reserved: int
    available: int
    safety_stock: int
    low_stock: bool
    batches: list[PortalBatchOut]


class PortalReceiptIn(InputSchema):
    sku_id: int = Field(..., ge=1)
    quantity: int = Field(..., ge=1, le=1_000_000)
    batch_number: str = Field(..., min_length=1, max_length=40)
    production_date: date | None = None
    expiry_date: date | None = None
    note: str = Field("", max_length=200)


class PortalAdjustIn(InputSchema):
    sku_id: int = Field(..., ge=1)
    delta: int = Field(..., ge=-1_000_000, le=1_000_000, description="正数增加、负数减少在库，不能为 0")
    batch_id: int | None = Field(None, ge=1, description="调整的批次；留空则减少时先到期先扣、增加时新建批次")
    note: str = Field("", max_length=200)


class PortalStockRowOut(Schema):
    sku_id: int
    on_hand: int
    reserved: int


class PortalCostChangeIn(InputSchema):
    cost: str = Field(..., min_length=1, max_length=16, description="新成本价（元），如 12.50")
    effective_at: datetime = Field(..., description="生效时间（须晚于现在）")


class PortalCostChangeOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    product_name: str
    spec: str
    cost_fen: int = Field(..., description="新成本价（分）")
    previous_cost_fen: int | None = Field(None, description="生效时的原成本价（分）")
    effective_at: datetime
    status: str
    status_label: str
    applied_at: datetime | None
    created_at: datetime
