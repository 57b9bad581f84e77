from datetime import datetime

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class AddressBookIn(InputSchema):
    receiver: str = Field(..., max_length=64, description="收货人")
    phone: str = Field(..., max_length=20, description="中国大陆手机号")
    province_code: str = Field(..., max_length=12, description="省级区划代码（GET /api/v1/addresses/regions）")
    city_code: str = Field(..., max_length=12, description="地级区划代码")
    district_code: str = Field(..., max_length=12, description="县级区划代码（无区县的城市为其乡镇街道代码）")
    detail: str = Field(..., max_length=240, description="街道、门牌号、楼栋房间")
    is_default: bool = Field(False, description="设为默认地址；第一个地址总是默认地址")


class AddressBookOut(Schema):
    id: int
    receiver: str
    phone: str
    province: str
    province_code: str
    city: str
    city_code: str
    district: str
    district_code: str
    detail: str
    region_label: str = Field(description="一行显示的地区，不含 市辖区 等归类名")
    is_default: bool
    created_at: datetime
    updated_at: datetime


class RegionOut(Schema):
    code: str
    name: str


class RegionQuery(Schema):
    parent: str = Field("", max_length=12, description="上级区划代码；为空时返回省份")
