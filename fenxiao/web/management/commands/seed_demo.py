"""Load the demo data: staff, the three seed levels, a three-deep tree of 30 distributors, 20
products in four categories with the seed prices, consumers bound to distributors, a supplier.

Idempotent: everything is looked up by a natural key (phone, code, SKU code) before it is made, so
running it again changes nothing. Writes go through the services, like any other client.
"""

import os
import secrets
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from fenxiao.accounts import services as accounts
from fenxiao.accounts.models import User
from fenxiao.catalog import services as catalog
from fenxiao.catalog.models import Category, CommissionOverride, Product, ProductImage, Sku
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributionSettings, Distributor, Level
from fenxiao.inventory.models import StockRecord
from fenxiao.inventory.services import receive_stock
from fenxiao.orders.models import Order
from fenxiao.suppliers.models import Supplier
from fenxiao.suppliers.services import create_supplier

from ._demo_growth import make_demo_growth
from ._demo_orders import make_demo_orders
from ._demo_withdrawals import make_demo_withdrawals

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
    ("beauty", "玻尿酸补水精华液", "三重玻尿酸，一瓶喝饱水", "profit", [("30ml", 150, 50, 129, 300), ("50ml", 228, 78, 199, 120)]),
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

STAFF = [
    # username, nickname, group (None = superuser)
    ("admin", "平台管理员", None),
    ("ops", "运营小王", "运营"),
    ("finance", "财务小李", "财务"),
    ("service", "客服小张", "客服"),
    ("supply", "供应链小陈", "供应链"),
]

DEMO_DISTRIBUTOR_PHONE = "13800000001"
DEMO_CONSUMER_PHONE = "13900000001"
DEMO_SUPPLIER_PHONE = "13700000001"


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


class Command(BaseCommand):
    help = "载入演示数据（可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("--password", default=None, help="演示账号密码（默认读取 FENXIAO_DEMO_PASSWORD）")

    def handle(self, *args, password=None, **options):
        password = password or os.environ.get("FENXIAO_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        with transaction.atomic():
            accounts.ensure_staff_groups()
            staff = self._staff(password)
            self._levels()
            self._catalog()
            tree = self._distributors(password)
            consumers = self._consumers(password, tree)
            self._supplier(password)
            distribution.update_settings(
                actor=staff, admission_mode=DistributionSettings.Admission.REVIEW, commission_levels=2
            )
            self._pending_applications(password, tree)
            orders_made = self._orders(consumers, tree, staff)
        make_demo_withdrawals()
        make_demo_growth()  # after the orders: it invites their buyers and closes last month's boards
        self.stdout.write(self.style.SUCCESS(
            f"演示数据就绪：{Distributor.objects.filter(status='approved').count()} 个分销商，"
            f"{Product.objects.count()} 个商品，{len(consumers)} 个消费者，"
            f"{Order.objects.count()} 个订单（本次新建 {orders_made} 个）"
        ))
        demo = Distributor.objects.get(user__phone=DEMO_DISTRIBUTOR_PHONE)
        self.stdout.write(
            "\n".join(
                [
                    "演示账号（密码相同）：",
                    f"  运营后台  admin / {password}（另有 ops、finance、service、supply 四个分权账号）",
                    f"  分销商    {DEMO_DISTRIBUTOR_PHONE} / {password}（邀请码 {demo.code}）",
                    f"  消费者    {DEMO_CONSUMER_PHONE} / {password}",
                    f"  供应商    {DEMO_SUPPLIER_PHONE} / {password}",
                    f"  分享链接  {settings.SITE_URL}/s/{demo.code}",
                ]
            )
        )

    # --- pieces ----------------------------------------------------------------------------

    def _user(self, phone: str, nickname: str, password: str) -> User:
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = accounts.register_member(phone=phone, password=password, nickname=nickname)
        return user

    def _staff(self, password: str) -> User:
        first = None
        for username, nickname, group in STAFF:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, nickname=nickname, is_staff=True, is_superuser=group is None)
                user.set_password(password)
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            first = first or user
        return first

    def _levels(self) -> None:
        for name, rank, direct, indirect, bonus, description in LEVELS:
            existing = Level.objects.filter(rank=rank).first()
            if existing is None:
                distribution.save_level(
                    name=name, rank=rank, direct_rate_bp=direct, indirect_rate_bp=indirect,
                    team_bonus_bp=bonus, description=description,
                )

    def _catalog(self) -> None:
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
                    category=Category.objects.get(slug=slug), name=name, subtitle=subtitle, role=role,
                    description=f"{name}：{subtitle}。正品保障，48 小时内发货，支持 7 天无理由退换。",
                    sort_order=index,
                )
            for n, (spec, retail, cost, control, stock) in enumerate(skus, start=1):
                code = f"{slug[:2].upper()}{index:03d}-{n}"
                sku = Sku.objects.filter(code=code).first()
                if sku is None:
                    sku = catalog.create_sku(
                        product=product, code=code, spec=spec, cost_fen=cost * 100, retail_fen=retail * 100,
                        suggested_retail_fen=retail * 100, control_fen=control * 100,
                    )
                if not StockRecord.objects.filter(sku=sku).exists():
                    receive_stock(sku_id=sku.pk, quantity=stock, note="演示数据")
            if not product.images.exists():
                image = ProductImage(product=product, alt=name)
                image.image.save(f"demo-{slug}-{index}.png", ContentFile(product_picture(name, colors[slug])), save=True)
            if not product.is_on_shelf:
                catalog.set_shelf(product=product, on_shelf=True)

    def _distributors(self, password: str) -> list[Distributor]:
        """3 roots → 3 invitees each → 2 invitees each: 30 distributors, three deep."""
        distribution.update_settings(admission_mode=DistributionSettings.Admission.OPEN)
        made: list[Distributor] = []
        surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"

        def ensure(phone: str, nickname: str, code: str, inviter: Distributor | None) -> Distributor:
            user = self._user(phone, nickname, password)
            existing = Distributor.objects.filter(user=user).first()
            if existing is not None:
                return existing
            if inviter is not None:
                distribution.bind_customer(customer=user, distributor=inviter, source="seed")
            return distribution.apply_for_distributor(user=user, real_name=nickname, code=code)

        serial = 0
        for r in range(3):
            serial += 1
            phone = DEMO_DISTRIBUTOR_PHONE if r == 0 else f"138000000{serial:02d}"
            root = ensure(phone, f"{surnames[serial - 1]}姐" if r == 0 else f"{surnames[serial - 1]}老师", f"DEMO{serial:02d}", None)
            made.append(root)
            for _c in range(3):
                serial += 1
                child = ensure(f"138000000{serial:02d}", f"{surnames[serial - 1]}小{'美丽'[serial % 2]}", f"DEMO{serial:02d}", root)
                made.append(child)
                for _g in range(2):
                    serial += 1
                    made.append(ensure(f"138000000{serial:02d}", f"{surnames[serial - 1]}同学", f"DEMO{serial:02d}", child))
        partner, senior = Level.objects.get(rank=3), Level.objects.get(rank=2)
        distribution.assign_level(distributor=made[0], level=partner, reason="演示：合伙人")
        for d in made[1:4]:
            distribution.assign_level(distributor=d, level=senior, reason="演示：高级分销商")
        return made

    def _consumers(self, password: str, tree: list[Distributor]) -> list[User]:
        consumers = []
        for i in range(1, 21):
            phone = DEMO_CONSUMER_PHONE if i == 1 else f"139000000{i:02d}"
            user = self._user(phone, f"顾客{i:02d}", password)
            distribution.bind_customer(customer=user, distributor=tree[(i - 1) % len(tree)], source="seed")
            consumers.append(user)
        return consumers

    def _supplier(self, password: str) -> None:
        user = self._user(DEMO_SUPPLIER_PHONE, "优选供应链", password)
        if not Supplier.objects.filter(user=user).exists():
            create_supplier(name="杭州优选供应链有限公司", user=user, contact_name="陈经理", contact_phone=DEMO_SUPPLIER_PHONE)

    def _orders(self, consumers: list[User], tree: list[Distributor], operator: User) -> int:
        """About 200 orders in every state, paid with the development provider (demo money only)."""
        buyers = consumers + [d.user for d in tree[:6]]  # a few distributors buy for themselves
        skus = list(Sku.objects.filter(is_active=True, product__is_on_shelf=True).order_by("pk"))
        with override_settings(FENXIAO_DEV_PAYMENTS=True):
            return make_demo_orders(buyers=buyers, skus=skus, operator=operator)

    def _pending_applications(self, password: str, tree: list[Distributor]) -> None:
        """Two consumers who asked to join and wait for review, so the review queue is not empty."""
        for i, inviter in ((31, tree[1]), (32, tree[2])):
            user = self._user(f"139000000{i:02d}", f"申请人{i}", password)
            if not Distributor.objects.filter(user=user).exists():
                distribution.bind_customer(customer=user, distributor=inviter, source="seed")
                distribution.apply_for_distributor(user=user, real_name=f"申请人{i}", note="想利用业余时间分享好物")
