from ninja import Field, Schema


class CategoryOut(Schema):
    id: int
    name: str
    slug: str


class ShopBundlePartOut(Schema):
    sku_id: int
    name: str = Field(description="组成商品名称")
    spec: str
    quantity: int = Field(description="每份套装含几件")
    retail_fen: int = Field(description="单买零售价（每件）")


class ShopBundleOut(Schema):
    components: list[ShopBundlePartOut]
    parts_fen: int = Field(description="各组成单买合计：Σ 零售价 × 数量")
    saving_fen: int = Field(description="比单买省：单买合计 − 套装价，不低于 0")


class SkuOut(Schema):
    id: int
    code: str
    spec: str
    retail_fen: int
    suggested_retail_fen: int
    control_fen: int
    in_stock: bool
    bundle: ShopBundleOut | None = Field(None, description="场景套装的组成与优惠；普通 SKU 为空")


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
