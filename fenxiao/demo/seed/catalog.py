"""The demo catalog: the three seed levels, four categories with their commission overrides, and 20
products with the seed prices, stock and a plain picture each. Looked up by a natural key (level
rank, category slug, product name, SKU code) before anything is made, so a second run changes nothing."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from django.core.files.base import ContentFile

from fenxiao.catalog import services as catalog
from fenxiao.catalog.models import Category, CommissionOverride, Product, ProductImage, Sku
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Level
from fenxiao.inventory.models import StockRecord
from fenxiao.inventory.services import receive_stock

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

# category slug, name, subtitle, role, [(spec, retail ¥, cost ¥, control ¥, stock)]
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
    ("baby", "新生儿礼盒", "包被 + 连体衣 + 口水巾", "bundle", [("礼盒装", 299, 110, 259, 60)]),
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


def _font(size: int):
    from PIL import ImageFont

    for candidate in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default()


def product_picture(name: str, color: tuple[int, int, int]) -> bytes:
    """A plain product card (colour field and the product's name) so the demo shop has pictures
    without shipping any third-party image."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 600), color)
    draw = ImageDraw.Draw(img)
    draw.ellipse((150, 110, 450, 410), fill=tuple(min(255, c + 40) for c in color))
    font = _font(44)
    text = name if len(name) <= 9 else name[:9] + "…"
    box = draw.textbbox((0, 0), text, font=font)
    draw.text(((600 - (box[2] - box[0])) / 2, 460), text, fill="white", font=font)
    initial = _font(150)
    box = draw.textbbox((0, 0), name[0], font=initial)
    draw.text(((600 - (box[2] - box[0])) / 2 - box[0], (520 - (box[3] - box[1])) / 2 - box[1]), name[0], fill=color, font=initial)
    out = BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


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
            if not StockRecord.objects.filter(sku=sku).exists():
                receive_stock(sku_id=sku.pk, quantity=stock, note="演示数据")
        if not product.images.exists():
            image = ProductImage(product=product, alt=name)
            image.image.save(f"demo-{slug}-{index}.png", ContentFile(product_picture(name, colors[slug])), save=True)
        if not product.is_on_shelf:
            catalog.set_shelf(product=product, on_shelf=True)
