from ninja import Field, Schema

from fenxiao.common.validation import StrictIn


class CarrierOut(Schema):
    code: str
    name: str
    tracking_url_template: str = Field(description="{number} 处替换为快递单号；空则无查询链接")
    number_pattern: str = Field(description="单号格式（正则表达式，整串匹配）；空则为 6–40 位字母数字")


class OperatorCarrierOut(CarrierOut):
    id: int
    is_active: bool
    sort_order: int


class CarrierIn(StrictIn):
    code: str = Field(min_length=1, max_length=32, description="快递查询接口的公司编码，如 shunfeng")
    name: str = Field(min_length=1, max_length=40)
    tracking_url_template: str = Field("", max_length=200)
    number_pattern: str = Field("", max_length=120)
    is_active: bool = True
    sort_order: int = Field(0, ge=0, le=32767)


class CarrierPatchIn(StrictIn):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=40)
    tracking_url_template: str | None = Field(None, max_length=200)
    number_pattern: str | None = Field(None, max_length=120)
    is_active: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=32767)
