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
    supplier_id: int | None = Field(None, description="SKU 自己的供货商；空则随商品")
    fulfilment_supplier_id: int | None = Field(None, description="实际发货方：SKU 的、否则商品的供货商；空为平台仓")


class OperatorProductOut(Schema):
    id: int
    category_id: int
    name: str
    subtitle: str
    description: str
    role: str
    is_on_shelf: bool
    sort_order: int
    supplier_id: int | None = Field(None, description="供货商（一件代发）；空为平台仓发货")
    ingredients: str = ""
    shelf_life_days: int | None = None
    manufacturer: str = ""
    manufacturer_address: str = ""
    licence_number: str = ""
    storage: str = ""
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
    supplier_id: int | None = Field(None, description="供货商 id（须为合作中的供应商）；空为平台仓发货")
    ingredients: str = Field("", max_length=2000, description="配料/成分")
    shelf_life_days: int | None = Field(None, ge=1, le=36500, description="保质期（天）")
    manufacturer: str = Field("", max_length=120)
    manufacturer_address: str = Field("", max_length=200)
    licence_number: str = Field("", max_length=40, description="生产许可证编号，如 SC 开头的食品生产许可证号")
    storage: str = Field("", max_length=120, description="贮存条件")


class OperatorProductPatchIn(StrictIn):
    category_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=80)
    subtitle: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_CHARS, description=DESCRIPTION_HELP)
    role: Literal["normal", "traffic", "profit", "bundle"] | None = None
    sort_order: int | None = Field(None, ge=0, le=2_147_483_647)
    supplier_id: int | None = Field(None, description="供货商 id（须为合作中的供应商）；null 改回平台仓发货")
    ingredients: str | None = Field(None, max_length=2000, description="配料/成分")
    shelf_life_days: int | None = Field(None, ge=1, le=36500, description="保质期（天）；null 为不标注")
    manufacturer: str | None = Field(None, max_length=120)
    manufacturer_address: str | None = Field(None, max_length=200)
    licence_number: str | None = Field(None, max_length=40, description="生产许可证编号，如 SC 开头的食品生产许可证号")
    storage: str | None = Field(None, max_length=120, description="贮存条件")


class OperatorProductShelfIn(StrictIn):
    on_shelf: bool


class OperatorSkuIn(StrictIn):
    code: str = Field(min_length=1, max_length=40)
    spec: str = Field("", max_length=60)
    cost_fen: int
    retail_fen: int
    suggested_retail_fen: int | None = Field(None, description="不填则等于零售价")
    control_fen: int | None = Field(None, description="不填则等于建议零售价")
    supplier_id: int | None = Field(None, description="SKU 自己的供货商（须为合作中的供应商）；不填则随商品")


class OperatorSkuPatchIn(StrictIn):
    spec: str | None = Field(None, max_length=60)
    is_active: bool | None = None
    supplier_id: int | None = Field(None, description="SKU 自己的供货商（须为合作中的供应商）；null 则随商品")


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
