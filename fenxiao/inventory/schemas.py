from datetime import date

from ninja import Field, Schema

from fenxiao.common.validation import StrictIn

from .models import MAIN_LOCATION


class OperatorStockOut(Schema):
    sku_id: int
    location: str
    on_hand: int
    reserved: int
    available: int
    safety_stock: int


class OperatorStockReceiveIn(StrictIn):
    quantity: int = Field(description="入库数量，正整数")
    location: str = Field(MAIN_LOCATION, min_length=1, max_length=32)
    note: str = Field("", max_length=100)
    batch_number: str = Field("", max_length=40, description="批次号；留空则生成 R<日期>-<序号>，同一批次号再次入库累加")
    production_date: date | None = Field(None, description="生产日期 YYYY-MM-DD")
    expiry_date: date | None = Field(None, description="到期日 YYYY-MM-DD，不早于生产日期")


class OperatorStockAdjustIn(StrictIn):
    delta: int = Field(description="盘点调整：正数增加、负数减少；在库不会低于已占用")
    location: str = Field(MAIN_LOCATION, min_length=1, max_length=32)
    note: str = Field("", max_length=100)
    batch_id: int | None = Field(None, ge=1, description="调整哪个批次；留空时减少按先到期先出，增加记入新批次")


class OperatorBatchOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    product_name: str
    location: str
    batch_number: str
    production_date: date | None
    expiry_date: date | None
    days_left: int | None = Field(description="距到期天数（已过期为负数）")
    on_hand: int
    reserved: int
    available: int
    near_expiry: bool
