"""Schemas of the supplier API: a user's application, the operator's review."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from fenxiao.common.validation import InputSchema, StrictIn


class SupplierApplicationIn(InputSchema):
    """An application to supply (供应商入驻). Every field is checked by the service (required ones
    filled, phones, the credit code's check character, the bank account)."""

    name: str = Field(max_length=80, description="店铺展示的供应商名称")
    company_name: str = Field(max_length=120, description="公司全称")
    credit_code: str = Field(max_length=40, description="统一社会信用代码（18 位，末位校验）")
    licence_number: str = Field(max_length=40, description="生产/经营许可证号")
    category: str = Field(max_length=60, description="主营类目")
    production_scale: str = Field("", max_length=200, description="生产规模")
    quality_system: str = Field("", max_length=200, description="质量管理体系，如 ISO 9001、HACCP")
    contact_name: str = Field(max_length=32)
    contact_phone: str = Field(max_length=20, description="中国大陆手机号")
    return_receiver: str = Field(max_length=32)
    return_phone: str = Field(max_length=20)
    return_province: str = Field(max_length=20)
    return_city: str = Field(max_length=20)
    return_district: str = Field("", max_length=20)
    return_detail: str = Field(max_length=120)
    bank_account_name: str = Field(max_length=120, description="收款户名（对公账户为公司全称）")
    bank_account_number: str = Field(max_length=40)
    bank_name: str = Field(max_length=80, description="开户银行（含支行）")
    settlement_cycle: Literal["weekly", "monthly"] = "monthly"


class SupplierEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    created_at: datetime
    actor: str | None = None


class SupplierApplicationOut(Schema):
    """What an applicant sees of its own application."""

    id: int
    name: str
    status: str
    status_label: str
    status_reason: str
    company_name: str
    credit_code: str
    licence_number: str
    category: str
    production_scale: str
    quality_system: str
    contact_name: str
    contact_phone: str
    return_address: str
    bank_name: str
    bank_account_masked: str
    settlement_cycle: str
    applied_at: datetime | None
    reviewed_at: datetime | None


class OperatorSupplierOut(SupplierApplicationOut):
    user_id: int
    return_receiver: str
    return_phone: str
    bank_account_name: str
    suspended_at: datetime | None
    created_at: datetime
    events: list[SupplierEventOut] = []


class OperatorSupplierFilter(Schema):
    status: Literal["applied", "approved", "rejected", "suspended"] | None = None
    q: str | None = Field(None, max_length=80, description="名称或公司全称包含")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class OperatorSupplierPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[OperatorSupplierOut]


class SupplierNoteIn(StrictIn):
    note: str = Field("", max_length=200)


class SupplierReasonIn(StrictIn):
    reason: str = Field("", max_length=200, description="必填")


class SupplierEvaluationIn(StrictIn):
    score: int = Field(description="0–100")
    conclusion: str = Field("", max_length=180)
    suspend: bool = Field(False, description="评估不合格时同时暂停合作")
