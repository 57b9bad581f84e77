"""Schemas of the operator catalog API (the shop's public API has its own in fenxiao.shop.schemas)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from fenxiao.common.validation import StrictIn

from .content import MAX_DESCRIPTION_CHARS

DESCRIPTION_HELP = "HTML 或纯文本；保存时净化，只保留段落、加粗、标题、列表和本站媒体图片（纯文本按空行分段）"


class OperatorCategoryOut(Schema):
    id: int
    name: str
    slug: str
    sort_order: int
    is_active: bool


class OperatorSkuOut(Schema):
    id: int
    product_id: int
    code: str
    spec: str
    cost_fen: int
    retail_fen: int
    suggested_retail_fen: int
    control_fen: int
    is_active: bool


class OperatorProductOut(Schema):
    id: int
    category_id: int
    name: str
    subtitle: str
    description: str
    role: str
    is_on_shelf: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime
    skus: list[OperatorSkuOut]


class OperatorProductPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[OperatorProductOut]


class OperatorProductFilter(Schema):
    category_id: int | None = None
    on_shelf: bool | None = None
    role: Literal["normal", "traffic", "profit", "bundle"] | None = None
    q: str | None = Field(None, max_length=80, description="名称或卖点包含")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class OperatorProductIn(StrictIn):
    category_id: int
    name: str = Field(min_length=1, max_length=80)
    subtitle: str = Field("", max_length=120)
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS, description=DESCRIPTION_HELP)
    role: Literal["normal", "traffic", "profit", "bundle"] = "normal"
    sort_order: int = Field(0, ge=0, le=2_147_483_647)


class OperatorProductPatchIn(StrictIn):
    category_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=80)
    subtitle: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_CHARS, description=DESCRIPTION_HELP)
    role: Literal["normal", "traffic", "profit", "bundle"] | None = None
    sort_order: int | None = Field(None, ge=0, le=2_147_483_647)


class OperatorProductShelfIn(StrictIn):
    on_shelf: bool


class OperatorSkuIn(StrictIn):
    code: str = Field(min_length=1, max_length=40)
    spec: str = Field("", max_length=60)
    cost_fen: int
    retail_fen: int
    suggested_retail_fen: int | None = Field(None, description="不填则等于零售价")
    control_fen: int | None = Field(None, description="不填则等于建议零售价")


class OperatorSkuPatchIn(StrictIn):
    spec: str | None = Field(None, max_length=60)
    is_active: bool | None = None


class OperatorSkuPricesIn(StrictIn):
    """All four prices in fen, as on the console's 调价 page."""

    cost_fen: int
    retail_fen: int
    suggested_retail_fen: int
    control_fen: int


class CommissionOverrideOut(Schema):
    id: int
    category_id: int | None
    product_id: int | None
    depth: int
    mode: str
    rate_bp: int | None
    fixed_fen: int | None


class CommissionOverrideIn(StrictIn):
    mode: Literal["rate", "fixed"]
    rate_bp: int | None = Field(None, description="按比例：基点，1% = 100")
    fixed_fen: int | None = Field(None, description="固定金额：分/件")
