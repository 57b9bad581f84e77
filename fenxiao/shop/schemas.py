from ninja import Schema


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
    description: str
    skus: list[SkuOut]
