"""Request and response shapes of the samples API."""

from datetime import datetime

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import InputSchema


class SampleQuotaOut(Schema):
    month: str = Field(..., description="YYYY-MM（北京时间自然月）")
    quota: int = Field(..., description="本月样品额度（件），按分销等级")
    used: int = Field(..., description="本月已申请（待审核 + 已批准）的件数")
    left: int


class SampleEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    created_at: datetime


class SampleRequestOut(Schema):
    id: int
    status: str
    status_label: str
    sku_id: int
    sku_code: str
    product_name: str
    sku_spec: str
    quantity: int
    reason: str
    month: str
    reject_reason: str
    receiver: str
    receiver_phone_masked: str
    address: str
    order_id: int | None = None
    order_number: str | None = None
    created_at: datetime
    decided_at: datetime | None = None
    events: list[SampleEventOut] = []


class OperatorSampleRequestOut(SampleRequestOut):
    distributor_id: int
    distributor_code: str
    distributor_name: str
    level_name: str


class SampleListOut(Schema):
    quota: SampleQuotaOut
    requests: list[SampleRequestOut]


class SampleRequestIn(InputSchema):
    sku_id: int = Field(..., ge=1)
    quantity: int = Field(..., ge=1, le=99)
    address_id: int = Field(..., ge=1, description="我的地址簿中的地址 id")
    reason: str = Field("", max_length=200, description="用途，如门店试用、直播展示")


class SampleReviewIn(InputSchema):
    note: str = Field("", max_length=200)


class SampleRejectIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=200)


class SampleFilter(InputSchema):
    status: str | None = Field(None, max_length=10)
    month: str | None = Field(None, max_length=7, description="YYYY-MM")
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(50, ge=1, le=200)


class SampleMonthTotalOut(Schema):
    distributor_id: int
    distributor_code: str
    distributor_name: str
    requests: int
    units: int
    approved_units: int


class SampleMonthTotalsOut(Schema):
    month: str
    rows: list[SampleMonthTotalOut]


class SampleMonthQuery(InputSchema):
    month: str | None = Field(None, max_length=7, description="YYYY-MM，默认本月")
