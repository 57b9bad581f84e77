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


class OperatorStockAdjustIn(StrictIn):
    delta: int = Field(description="盘点调整：正数增加、负数减少；在库不会低于已占用")
    location: str = Field(MAIN_LOCATION, min_length=1, max_length=32)
    note: str = Field("", max_length=100)
