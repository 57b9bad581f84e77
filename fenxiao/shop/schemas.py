from ninja import Field, Schema


class CategoryOut(Schema):
    id: int
    name: str
    slug: str


class SkuOut(Schema):
    id: int
    code: str
    spec: str
    retail_fen: int
    suggested_retail_fen: int
    control_fen: int
    in_stock: bool


class ProductOut(Schema):
    id: int
    name: str
    subtitle: str
    category: CategoryOut
    role: str
    min_retail_fen: int | None
    image_urls: list[str]


class ProductDetailOut(ProductOut):
    description: str = Field(description="商品详情：经过净化的 HTML（段落、加粗、标题、列表、本站图片）")
    skus: list[SkuOut]
