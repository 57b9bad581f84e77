"""The demo catalog: the three seed levels, four categories with their commission overrides, 20
products with the seed prices, stock, a gallery of three drawn pictures and a rich description each,
one 场景套装 (新生儿礼盒, made of three other SKUs), three home page banners and the default shipping
template. Looked up by a natural key (level rank, category slug, product name, SKU code) before
anything is made, so a second run changes nothing."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils.html import escape

from fenxiao.addresses import regions
from fenxiao.catalog import services as catalog
from fenxiao.catalog.bundles import set_bundle_components
from fenxiao.catalog.models import (
    Banner,
    BundleComponent,
    Category,
    CommissionOverride,
    Product,
    ProductImage,
    ShippingTemplate,
    Sku,
)
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Level
from fenxiao.inventory.models import StockRecord
from fenxiao.inventory.services import receive_stock

from . import pictures

LEVELS = [
    # name, rank, direct bp, indirect bp, team bonus bp, description
    ("普通分销商", 1, 1000, 500, 0, "审核通过即可；基础培训、素材库"),
    ("高级分销商", 2, 1500, 500, 0, "月直推 ≥10 人且个人销售 ≥¥5,000；优先客服、活动抢先"),
    ("合伙人", 3, 2000, 500, 300, "团队 ≥50 人且团队月销售 ≥¥100,000；团队奖励 3%"),
]

CATEGORIES = [
    # name, slug, color, direct override bp (None = level rate)
    ("美妆护肤", "beauty", (233, 120, 150), 2000),
    ("母婴用品", "baby", (120, 180, 230), None),
    ("休闲食品", "food", (240, 170, 80), 1600),
    ("服饰鞋包", "apparel", (140, 130, 200), None),
]

# category slug, name, subtitle, role, [(spec, retail ¥, cost ¥, control ¥, stock)]; a bundle's stock is
# its components' (see BUNDLES)
PRODUCTS = [
    (
        "beauty",
        "玻尿酸补水精华液",
        "三重玻尿酸，一瓶喝饱水",
        "profit",
        [("30ml", 150, 50, 129, 300), ("50ml", 228, 78, 199, 120)],
    ),
    ("beauty", "氨基酸洁面乳", "温和不紧绷，敏感肌可用", "traffic", [("120g", 59, 18, 49, 500)]),
    ("beauty", "烟酰胺美白面膜", "10 片装，提亮肤色", "normal", [("10片", 99, 30, 85, 400)]),
    ("beauty", "防晒隔离乳 SPF50+", "清爽不油腻，户外通勤", "normal", [("40ml", 128, 40, 109, 260)]),
    ("beauty", "护肤三件套礼盒", "洁面 + 精华 + 面霜", "bundle", [("礼盒装", 399, 130, 349, 80)]),
    ("baby", "婴儿纸尿裤", "超薄透气，夜用不漏", "traffic", [("M码 64片", 89, 52, 79, 600), ("L码 54片", 89, 52, 79, 600)]),
    ("baby", "宝宝有机米粉", "高铁配方，6 月龄以上", "normal", [("250g", 68, 30, 59, 350)]),
    ("baby", "婴儿湿巾", "80 抽 × 6 包，无酒精", "normal", [("6包", 45, 20, 39, 800)]),
    ("baby", "儿童保温杯", "316 不锈钢，防漏吸管", "profit", [("400ml", 129, 45, 109, 200)]),
    ("baby", "新生儿礼盒", "纸尿裤 ×2 + 湿巾 + 保温杯", "bundle", [("礼盒装", 299, 110, 259, 0)]),
    ("food", "每日坚果", "7 种坚果果干，30 袋", "traffic", [("30袋", 50, 28, 45, 1000)]),
    ("food", "手工牛轧糖", "台式奶香，不粘牙", "normal", [("500g", 48, 18, 42, 400)]),
    ("food", "云南小粒咖啡", "中度烘焙，挂耳 20 包", "profit", [("20包", 79, 25, 69, 300)]),
    ("food", "黑糖姜茶", "暖身红糖，独立小包", "normal", [("12包", 39, 12, 35, 500)]),
    ("food", "零食大礼包", "追剧必备，20 款零食", "bundle", [("大礼包", 99, 48, 89, 150)]),
    ("apparel", "纯棉短袖 T 恤", "新疆长绒棉，不易变形", "traffic", [("M", 79, 28, 69, 300), ("L", 79, 28, 69, 300)]),
    ("apparel", "冰丝防晒衣", "UPF50+，轻薄透气", "profit", [("均码", 159, 45, 139, 200)]),
    ("apparel", "休闲运动裤", "宽松束脚，四季可穿", "normal", [("L", 129, 42, 109, 220)]),
    ("apparel", "真丝围巾", "桑蚕丝，送礼体面", "normal", [("90×90", 199, 70, 179, 90)]),
    ("apparel", "帆布托特包", "大容量，通勤购物", "normal", [("米白", 69, 20, 59, 260)]),
]


# 场景套装: bundle SKU code → its components (SKU code, quantity); ¥299 against ¥352 one by one
BUNDLES = {
    "BA010-1": [("BA006-1", 2), ("BA008-1", 1), ("BA009-1", 1)],  # 新生儿礼盒: 纸尿裤 M ×2, 湿巾, 保温杯
}


def make_demo_bundles() -> None:
    """The bundles, set once through the catalog's service (their components are on sale by now)."""
    for code, parts in BUNDLES.items():
        sku = Sku.objects.filter(code=code).first()
        if sku is None or BundleComponent.objects.filter(bundle=sku).exists():
            continue
        components = {component.code: component.pk for component in Sku.objects.filter(code__in=[c for c, _ in parts])}
        set_bundle_components(sku=sku, components=[(components[c], quantity) for c, quantity in parts])


def product_picture(name: str, color: tuple[int, int, int]) -> bytes:
    """The cover picture of a demo product (see pictures.py), JPEG."""
    return pictures.product_cover(name, color)


def _description(name: str, subtitle: str, specs: list[tuple[str, int]], closeup_url: str) -> str:
    """A rich description as an operator would write it: a heading, the selling point, a picture from
    the gallery, the specifications and the service promises (stored through the sanitiser)."""
    items = "".join(f"<li>{escape(spec)}：¥{yuan}</li>" for spec, yuan in specs)
    return (
        f"<h3>{escape(name)}</h3>"
        f"<p><strong>{escape(subtitle)}</strong>。品牌直供，每一批次都有质检报告。</p>"
        f'<img src="{escape(closeup_url)}" alt="{escape(name)}">'
        f"<h4>规格</h4><ul>{items}</ul>"
        "<h4>服务</h4><ol><li>正品保障，假一赔十</li><li>48 小时内发货</li><li>支持 7 天无理由退换</li></ol>"
    )


def _add_gallery(product: Product, slug: str, index: int, color, subtitle: str, specs: list[tuple[str, int]]) -> None:
    """Cover, close-up and specification card, added once each (a product seeded by an older demo
    keeps its cover and gets the other two)."""
    have = product.images.count()
    drawn = [
        ("cover", lambda: pictures.product_cover(product.name, color)),
        ("closeup", lambda: pictures.product_closeup(product.name, subtitle, color)),
        ("specs", lambda: pictures.product_specs(product.name, specs, color)),
    ]
    for order, (view, draw) in enumerate(drawn):
        if order < have:
            continue
        image = ProductImage(product=product, alt=f"{product.name}", sort_order=order)
        image.image.save(f"demo-{slug}-{index}-{view}.jpg", ContentFile(draw()), save=True)
    if have < len(drawn):
        closeup = product.images.order_by("sort_order", "id")[1]
        product.description = _description(product.name, subtitle, specs, closeup.image.url)
        product.save(update_fields=["description", "updated_at"])


# headline, tagline, category slug or product name, silhouettes
BANNERS = [
    ("美妆节 满199减30", "补水精华 · 洁面 · 礼盒", ("category", "beauty"), ["dropper", "tube", "giftbox"]),
    ("新生儿好物", "纸尿裤 · 米粉 · 保温杯", ("category", "baby"), ["pack", "jar", "flask"]),
    ("每日坚果 ¥50", "30 袋装，一天一袋", ("product", "每日坚果"), ["sachet", "pack", "jar"]),
]


def make_demo_banners() -> None:
    for order, (headline, tagline, (kind, key), shapes) in enumerate(BANNERS):
        if Banner.objects.filter(title=headline).exists():
            continue
        banner = Banner(title=headline, sort_order=order)
        if kind == "category":
            banner.target = Banner.Target.CATEGORY
            banner.category = Category.objects.get(slug=key)
            color = next(c for _, slug, c, _ in CATEGORIES if slug == key)
        else:
            banner.target = Banner.Target.PRODUCT
            banner.product = Product.objects.get(name=key)
            color = next(c for _, slug, c, _ in CATEGORIES if slug == banner.product.category.slug)
        banner.image.save(
            f"demo-banner-{order + 1}.jpg", ContentFile(pictures.banner_picture(headline, tagline, color, shapes)), save=False
        )
        banner.save()


def make_demo_levels() -> None:
    for name, rank, direct, indirect, bonus, description in LEVELS:
        existing = Level.objects.filter(rank=rank).first()
        if existing is None:
            distribution.save_level(
                name=name,
                rank=rank,
                direct_rate_bp=direct,
                indirect_rate_bp=indirect,
                team_bonus_bp=bonus,
                description=description,
            )


def make_demo_catalog() -> None:
    colors = {}
    for order, (name, slug, color, direct_bp) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "sort_order": order})
        colors[slug] = color
        if direct_bp is not None and not CommissionOverride.objects.filter(category=category, depth=1).exists():
            catalog.set_commission_override(category=category, depth=1, mode="rate", rate_bp=direct_bp)
    for index, (slug, name, subtitle, role, skus) in enumerate(PRODUCTS, start=1):
        product = Product.objects.filter(name=name).first()
        if product is None:
            product = Product.objects.create(
                category=Category.objects.get(slug=slug),
                name=name,
                subtitle=subtitle,
                role=role,
                description=f"{name}：{subtitle}。正品保障，48 小时内发货，支持 7 天无理由退换。",
                sort_order=index,
            )
        for n, (spec, retail, cost, control, stock) in enumerate(skus, start=1):
            code = f"{slug[:2].upper()}{index:03d}-{n}"
            sku = Sku.objects.filter(code=code).first()
            if sku is None:
                sku = catalog.create_sku(
                    product=product,
                    code=code,
                    spec=spec,
                    cost_fen=cost * 100,
                    retail_fen=retail * 100,
                    suggested_retail_fen=retail * 100,
                    control_fen=control * 100,
                )
            if stock and not StockRecord.objects.filter(sku=sku).exists():
                receive_stock(sku_id=sku.pk, quantity=stock, note="演示数据")
        _add_gallery(product, slug, index, colors[slug], subtitle, [(spec, retail) for spec, retail, *_ in skus])
        if not product.is_on_shelf:
            catalog.set_shelf(product=product, on_shelf=True)
    make_demo_bundles()
    make_demo_banners()
    make_demo_shipping()


DEMO_SHIPPING_TEMPLATE = "全国运费（偏远地区另计）"
REMOTE_PROVINCES = ("新疆维吾尔自治区", "西藏自治区")  # 港澳台 are not in the division dataset


def make_demo_shipping() -> None:
    """The default shipping template: ¥10 for the first piece and ¥5 for each further one, ¥20 + ¥10 to
    新疆 and 西藏; free from ¥99 everywhere else. Every demo product without a template is given it."""
    template = ShippingTemplate.objects.filter(name=DEMO_SHIPPING_TEMPLATE).first()
    if template is None:
        remote = [regions.code_of_province(name) for name in REMOTE_PROVINCES]
        template = catalog.save_shipping_template(
            name=DEMO_SHIPPING_TEMPLATE,
            is_default=not ShippingTemplate.objects.filter(is_default=True).exists(),
            rates=[
                {"provinces": [], "first_units": 1, "first_fen": 1000, "additional_units": 1, "additional_fen": 500},
                {"provinces": remote, "first_units": 1, "first_fen": 2000, "additional_units": 1, "additional_fen": 1000},
            ],
            free_rules=[{"provinces": [p.code for p in regions.provinces() if p.code not in remote], "min_amount_fen": 9900}],
        )
    demo_products = Product.objects.filter(name__in=[name for _, name, *_ in PRODUCTS], shipping_template__isnull=True)
    catalog.assign_shipping_template(template=template, products=demo_products)
