"""The demo supply side: two approved suppliers who dropship (一件代发) and one application waiting for
review; their products with label data, their stock in batches (one batch near expiry) and batches of
the platform's own; orders that mix a platform item with a supplier item in every state (to ship,
overdue, half shipped, shipped with a carrier and number, received, completed weeks ago); the
statements the settlement job issues for them; sample quotas per level and sample requests.

Suppliers are admitted the way they are in the product (an application, reviewed by 供应链 staff);
products, stock, orders, shipping and statements go through their services. Only the dates of the
demo's history are moved back afterwards (as `orders._backdate` does), so that the completed orders
fall in the last settlement period and the overdue ones are overdue today. Looked up by a natural key
(phone, product name, SKU code, batch number, order note) before anything is made: a second run
changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.utils import timezone
from stdnum.cn import uscc

from fenxiao.accounts import services as accounts
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses import services as addresses
from fenxiao.catalog import services as catalog
from fenxiao.catalog.models import Category, Product, ShippingTemplate, Sku
from fenxiao.commissions import services as commissions
from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Distributor, Level
from fenxiao.inventory.models import MAIN_LOCATION, SAMPLES_LOCATION, StockBatch, StockRecord
from fenxiao.inventory.services import receive_stock
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order, OrderEvent, Shipment, ShipmentEvent
from fenxiao.suppliers import services as suppliers
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.models import SampleQuota, SampleRequest
from fenxiao.supply.portal import services as portal
from fenxiao.supply.samples import services as samples
from fenxiao.supply.settlement import services as settlement

from .catalog import _add_gallery
from .people import DEMO_DISTRIBUTOR_PHONE, DEMO_SUPPLIER_PHONE

ORDER_NOTE = "演示代发订单"
SECOND_SUPPLIER_PHONE = "13700000002"
APPLICANT_PHONE = "13700000003"


def _credit_code(body: str) -> str:
    """A well-formed 统一社会信用代码: the 17 characters given and the GB 32100 check character."""
    return body + uscc.calc_check_digit(body)


# phone, nickname, the application (status "approved" is then reviewed by 供应链 staff)
SUPPLIERS = [
    (
        DEMO_SUPPLIER_PHONE,
        "优选供应链",
        "approved",
        {
            "name": "杭州优选供应链有限公司",
            "company_name": "杭州优选供应链管理有限公司",
            "credit_code": _credit_code("91330106MA27Y5QK0"),
            "licence_number": "JY13301060123456",
            "category": "茶叶、蜂产品",
            "production_scale": "自有茶园 800 亩，年产 60 吨",
            "quality_system": "ISO 9001、HACCP",
            "contact_name": "陈经理",
            "contact_phone": DEMO_SUPPLIER_PHONE,
            "return_receiver": "陈仓管",
            "return_phone": "13700001001",
            "return_province": "浙江省",
            "return_city": "杭州市",
            "return_district": "余杭区",
            "return_detail": "仓前街道良睦路 1399 号 3 号仓",
            "bank_account_name": "杭州优选供应链管理有限公司",
            "bank_account_number": "33050161622700001234",
            "bank_name": "建设银行杭州余杭支行",
            "settlement_cycle": "weekly",
        },
    ),
    (
        SECOND_SUPPLIER_PHONE,
        "闽味食品",
        "approved",
        {
            "name": "福建闽味食品",
            "company_name": "福建闽味食品有限公司",
            "credit_code": _credit_code("91350203MA31X8RL4"),
            "licence_number": "SC10635020300218",
            "category": "休闲食品",
            "production_scale": "标准化厂房 12,000 平方米，3 条生产线",
            "quality_system": "ISO 22000",
            "contact_name": "林经理",
            "contact_phone": SECOND_SUPPLIER_PHONE,
            "return_receiver": "林仓管",
            "return_phone": "13700002001",
            "return_province": "福建省",
            "return_city": "厦门市",
            "return_district": "思明区",
            "return_detail": "湖滨南路 388 号闽味食品仓库",
            "bank_account_name": "福建闽味食品有限公司",
            "bank_account_number": "35101560001052500321",
            "bank_name": "工商银行厦门思明支行",
            "settlement_cycle": "monthly",
        },
    ),
    (
        APPLICANT_PHONE,
        "山野菌业",
        "applied",
        {
            "name": "云南山野菌业",
            "company_name": "云南山野菌业有限公司",
            "credit_code": _credit_code("91530100MA6K3T2P9"),
            "licence_number": "SC11853010200456",
            "category": "山珍干货",
            "production_scale": "合作采收基地 3 个，年加工 200 吨",
            "quality_system": "HACCP",
            "contact_name": "杨经理",
            "contact_phone": APPLICANT_PHONE,
            "return_receiver": "杨仓管",
            "return_phone": "13700003001",
            "return_province": "云南省",
            "return_city": "昆明市",
            "return_district": "官渡区",
            "return_detail": "螺蛳湾国际商贸城 8 栋 12 号",
            "bank_account_name": "云南山野菌业有限公司",
            "bank_account_number": "53050161360000004567",
            "bank_name": "建设银行昆明官渡支行",
            "settlement_cycle": "monthly",
        },
    ),
]

# supplier phone, product name, subtitle, label, [(spec, retail ¥, cost ¥, control ¥)]
PRODUCTS: list[tuple[str, str, str, dict[str, Any], list[tuple[str, int, int, int]]]] = [
    (
        DEMO_SUPPLIER_PHONE,
        "凤庆古树滇红",
        "云南古树一芽二叶，蜜香浓郁",
        {
            "ingredients": "云南大叶种红茶",
            "shelf_life_days": 730,
            "manufacturer": "凤庆县滇红茶叶有限公司",
            "manufacturer_address": "云南省临沧市凤庆县凤山镇滇红路 8 号",
            "licence_number": "SC11453092100012",
            "storage": "密封、避光、防潮，常温保存",
        },
        [("250g 罐装", 168, 70, 149), ("100g 品鉴装", 78, 32, 69)],
    ),
    (
        DEMO_SUPPLIER_PHONE,
        "秦岭百花土蜂蜜",
        "自然成熟蜜，波美度 42+",
        {
            "ingredients": "蜂蜜",
            "shelf_life_days": 540,
            "manufacturer": "陕西秦岭蜂业有限公司",
            "manufacturer_address": "陕西省汉中市留坝县马道镇蜂业园 1 号",
            "licence_number": "SC12261072900034",
            "storage": "常温、阴凉干燥处保存，避免阳光直射",
        },
        [("500g", 88, 36, 79)],
    ),
    (
        SECOND_SUPPLIER_PHONE,
        "手工黑芝麻酥",
        "老师傅手工现做，酥而不腻",
        {
            "ingredients": "小麦粉、白砂糖、黑芝麻、植物油、麦芽糖",
            "shelf_life_days": 180,
            "manufacturer": "福建闽味食品有限公司",
            "manufacturer_address": "福建省厦门市同安区西柯街道食品工业园 16 号",
            "licence_number": "SC10635020300218",
            "storage": "置于阴凉干燥处，开封后请尽快食用",
        },
        [("300g", 39, 15, 35)],
    ),
    (
        SECOND_SUPPLIER_PHONE,
        "海苔夹心脆",
        "紫菜夹芝麻巴旦木，12 小包",
        {
            "ingredients": "紫菜、大米、巴旦木、白芝麻、食用植物油、食用盐",
            "shelf_life_days": 270,
            "manufacturer": "福建闽味食品有限公司",
            "manufacturer_address": "福建省厦门市同安区西柯街道食品工业园 16 号",
            "licence_number": "SC10635020300218",
            "storage": "常温密封保存，避免受潮",
        },
        [("12 包", 45, 18, 39)],
    ),
    (
        SECOND_SUPPLIER_PHONE,
        "古田桂圆干",
        "柴火慢焙，肉厚核小",
        {
            "ingredients": "桂圆",
            "shelf_life_days": 365,
            "manufacturer": "古田县闽味果业有限公司",
            "manufacturer_address": "福建省宁德市古田县城东街道工业路 22 号",
            "licence_number": "SC11835092200107",
            "storage": "阴凉干燥处保存",
        },
        [("500g", 59, 26, 52)],
    ),
]
COLOR = (176, 120, 80)
# the SKU whose supplier also holds a batch that expires within the near-expiry window
NEAR_EXPIRY_SKUS = ("SP001-2", "SP003-1")
# platform SKUs given dated batches (code, batch, units, days to expiry), and their label data
PLATFORM_BATCHES = [("FO011-1", "MX2611A", 300, 150), ("FO012-1", "NG2609B", 40, 18), ("FO013-1", "KF2610C", 200, 240)]
PLATFORM_LABELS = {
    "每日坚果": {
        "ingredients": "腰果、巴旦木、榛子、核桃仁、蔓越莓干、蓝莓干、葡萄干",
        "shelf_life_days": 240,
        "manufacturer": "临沂坚果食品有限公司",
        "manufacturer_address": "山东省临沂市河东区坚果产业园 6 号",
        "licence_number": "SC11837131200569",
        "storage": "阴凉干燥处密封保存",
    },
    "手工牛轧糖": {
        "ingredients": "麦芽糖、花生、全脂奶粉、白砂糖、黄油、蛋清",
        "shelf_life_days": 120,
        "manufacturer": "台式糖果（厦门）有限公司",
        "manufacturer_address": "福建省厦门市海沧区新阳工业区 9 号",
        "licence_number": "SC10135020500772",
        "storage": "常温避光保存，开封后尽快食用",
    },
}
PLATFORM_SKUS = ["FO011-1", "FO012-1", "FO013-1", "FO014-1", "BE002-1", "BA008-1"]
# (state, how many orders, which supplier routes besides the platform's)
PLAN = [
    ("to_ship", 3, (0,)),
    ("overdue", 2, (1,)),
    ("partly_shipped", 1, (0, 1)),
    ("shipped", 3, (0,)),
    ("received", 2, (1,)),
    ("completed", 6, (0, 1)),
]
CITIES = [
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("上海市", "上海市", "浦东新区"),
    ("江苏省", "南京市", "鼓楼区"),
]
SAMPLE_QUOTAS = {1: 2, 2: 5, 3: 10}  # level rank → units a month
SAMPLE_STOCK = [("FO011-1", 60), ("BE002-1", 30)]


def _staff(username: str):
    users = get_user_model().objects
    return users.filter(username=username).first() or users.filter(is_superuser=True).order_by("pk").first()


def _account(phone: str, nickname: str, password: str):
    user = get_user_model().objects.filter(phone=phone).first()
    return user or accounts.register_member(phone=phone, password=password, nickname=nickname)


def make_demo_suppliers(password: str) -> list[Supplier]:
    """The three supplier accounts: applied through the admission form; two approved by 供应链 staff.
    A supplier made by an older demo (without an application) gets its return address and bank."""
    reviewer = _staff("supply")
    made = []
    for phone, nickname, status, application in SUPPLIERS:
        user = _account(phone, nickname, password)
        supplier = Supplier.objects.filter(user=user).first()
        if supplier is None:
            supplier = suppliers.apply(user, **application)
            if status == Supplier.Status.APPROVED:
                supplier = suppliers.approve(supplier.pk, actor=reviewer, note="演示：资质齐全，准予入驻")
        elif not supplier.bank_account_number:
            profile = {name: application[name] for name in suppliers.PROFILE_FIELDS}
            supplier = suppliers.update_profile(supplier.pk, actor=reviewer, **profile)
        made.append(supplier)
    return made


def make_demo_supply(password: str) -> int:
    """Everything after the accounts. Returns how many supplier orders were made this time."""
    approved = [s for s in make_demo_suppliers(password) if s.status == Supplier.Status.APPROVED]
    if len(approved) < 2:
        return 0
    _make_products(approved)
    _make_platform_batches()
    _make_sample_quotas()
    made = _make_orders(approved)
    settlement.issue_statements(now=timezone.now())
    _make_sample_requests()
    return made


# --- catalog and stock --------------------------------------------------------------------------


def _make_products(approved: list[Supplier]) -> None:
    by_phone = {s.user.phone: s for s in approved}
    category = Category.objects.filter(slug="food").first() or Category.objects.order_by("pk").first()
    if category is None:
        return
    template = ShippingTemplate.objects.filter(is_default=True).first()
    today = timezone.localdate()
    for index, (phone, name, subtitle, label, skus) in enumerate(PRODUCTS, start=1):
        supplier = by_phone[phone]
        product = Product.objects.filter(name=name).first()
        if product is None:
            product = catalog.create_product(
                category=category,
                name=name,
                subtitle=subtitle,
                description=f"{name}：{subtitle}。厂家直发，一件代发，批次可追溯。",
                supplier=supplier,
                **label,
            )
        for n, (spec, retail, cost, control) in enumerate(skus, start=1):
            code = f"SP{index:03d}-{n}"
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
            if StockRecord.objects.filter(sku=sku, location=supplier.location).exists():
                continue
            shelf_life = label["shelf_life_days"]
            made_on = today - timedelta(days=30 + index)
            portal.receive_batch(
                supplier=supplier,
                sku_id=sku.pk,
                quantity=300,
                batch_number=f"{code}-{made_on:%y%m%d}",
                production_date=made_on,
                expiry_date=made_on + timedelta(days=shelf_life),
                actor=supplier.user,
                note="演示：首批入库",
            )
            if code in NEAR_EXPIRY_SKUS:
                old = today - timedelta(days=shelf_life - 20)
                portal.receive_batch(
                    supplier=supplier,
                    sku_id=sku.pk,
                    quantity=40,
                    batch_number=f"{code}-{old:%y%m%d}",
                    production_date=old,
                    expiry_date=old + timedelta(days=shelf_life),
                    actor=supplier.user,
                    note="演示：临期批次",
                )
        _add_gallery(product, "sp", index, COLOR, subtitle, [(spec, retail) for spec, retail, *_ in skus])
        if template is not None and product.shipping_template_id is None:
            catalog.assign_shipping_template(template=template, products=[product])
        if not product.is_on_shelf:
            catalog.set_shelf(product=product, on_shelf=True)


def _make_platform_batches() -> None:
    """Dated batches in the platform warehouse (one near expiry) and label data on its food."""
    today = timezone.localdate()
    for name, label in PLATFORM_LABELS.items():
        product = Product.objects.filter(name=name).first()
        if product is not None and not product.ingredients:
            catalog.update_product(product=product, **label)
    for code, number, units, days_left in PLATFORM_BATCHES:
        sku = Sku.objects.filter(code=code).select_related("product").first()
        if sku is None or StockBatch.objects.filter(stock_record__sku=sku, batch_number=number).exists():
            continue
        shelf_life = sku.product.shelf_life_days or 365
        expiry = today + timedelta(days=days_left)
        receive_stock(
            sku_id=sku.pk,
            quantity=units,
            location=MAIN_LOCATION,
            batch_number=number,
            production_date=expiry - timedelta(days=shelf_life),
            expiry_date=expiry,
            actor=_staff("supply"),
            note="演示：批次入库",
        )


# --- orders ------------------------------------------------------------------------------------


def _make_orders(approved: list[Supplier]) -> int:
    if Order.objects.filter(note__startswith=ORDER_NOTE).exists():
        return 0
    rng = random.Random(17)
    buyers = list(get_user_model().objects.filter(phone__in=[f"139000000{i:02d}" for i in range(1, 21)]).order_by("phone"))
    platform = list(Sku.objects.filter(code__in=PLATFORM_SKUS).order_by("code"))
    supplied = {s.pk: list(Sku.objects.filter(product__supplier=s).order_by("code")) for s in approved}
    if not buyers or not platform or not all(supplied.values()):
        return 0
    staff = _staff("supply")
    made: dict[str, list[Order]] = {}
    serial = 0
    with override_settings(FENXIAO_DEV_PAYMENTS=True):
        for state, count, routes in PLAN:
            for _ in range(count):
                serial += 1
                buyer = buyers[0] if serial == 8 else rng.choice(buyers)  # the demo consumer has a shipped one
                items = [(rng.choice(platform).pk, 1)]
                items += [(rng.choice(supplied[approved[r].pk]).pk, rng.choice([1, 1, 2])) for r in routes]
                province, city, district = rng.choice(CITIES)
                try:
                    order = orders.place_order(
                        user=buyer,
                        items=items,
                        address={
                            "receiver": (buyer.nickname or "顾客")[:8],
                            "phone": buyer.phone,
                            "province": province,
                            "city": city,
                            "district": district,
                            "detail": f"和平路 {rng.randint(1, 999)} 号 {rng.randint(1, 30)} 栋 {rng.randint(101, 2802)} 室",
                        },
                        note=f"{ORDER_NOTE} #{serial}",
                    )
                    orders.pay_with_dev_provider(user=buyer, order_id=order.pk)
                except DomainError:
                    continue  # out of stock: one demo order fewer, never an oversold one
                made.setdefault(state, []).append(order)
    commissions.accrue_pending()
    now = timezone.now()

    def ship(order: Order, *, supplier_too: bool = True) -> None:
        for shipment in Shipment.objects.filter(order=order).order_by("pk"):
            if shipment.supplier_id is None:
                orders.ship_order(
                    order_id=order.pk,
                    actor=staff,
                    tracking_company="顺丰速运",
                    tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}",
                )
            elif supplier_too:
                supplier = next(s for s in approved if s.pk == shipment.supplier_id)
                portal.ship(
                    supplier=supplier,
                    shipment_id=shipment.pk,
                    actor=supplier.user,
                    carrier="zhongtong",
                    tracking_number=str(rng.randint(10**13, 10**14 - 1)),
                )

    for order in made.get("overdue", []):
        _shift(order, timedelta(days=3))  # paid three days ago, 48 hours to ship: overdue
    for order in made.get("partly_shipped", []):
        ship(order, supplier_too=False)
    for order in made.get("shipped", []):
        ship(order)
    for order in made.get("received", []):
        ship(order)
        orders.confirm_receipt(order_id=order.pk, user=order.user)
    completed = made.get("completed", [])
    for order in completed:
        ship(order)
        orders.confirm_receipt(order_id=order.pk, user=order.user)
        _shift(order, timedelta(days=rng.randint(40, 50), minutes=rng.randint(0, 600)))
    if completed:
        # the after-sales window of every one of them closed 32 days ago: before this month and week
        orders.complete_orders(now=now - timedelta(days=32))
    return sum(len(v) for v in made.values())


ORDER_TIMES = ("created_at", "expires_at", "paid_at", "shipped_at", "received_at", "completed_at")
SHIPMENT_TIMES = ("ship_by", "shipped_at", "delivered_at", "received_at", "completed_at", "created_at")


def _shift(order: Order, by: timedelta) -> None:
    """Sample history: the order, its shipments and their event rows moved back in time as a whole."""
    order = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(
        **{name: getattr(order, name) - by for name in ORDER_TIMES if getattr(order, name) is not None}
    )
    for order_event in OrderEvent.objects.filter(order=order):
        OrderEvent.objects.filter(pk=order_event.pk).update(created_at=order_event.created_at - by)
    for shipment in Shipment.objects.filter(order=order):
        Shipment.objects.filter(pk=shipment.pk).update(
            **{name: getattr(shipment, name) - by for name in SHIPMENT_TIMES if getattr(shipment, name) is not None}
        )
        for event in ShipmentEvent.objects.filter(shipment=shipment):
            ShipmentEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - by)


# --- samples -----------------------------------------------------------------------------------


def _make_sample_quotas() -> None:
    """Monthly sample units per level (set in the console; there is no other writer) and the
    samples' own stock."""
    for rank, units in SAMPLE_QUOTAS.items():
        level = Level.objects.filter(rank=rank).first()
        if level is not None:
            SampleQuota.objects.get_or_create(level=level, defaults={"units_per_month": units})
    for code, units in SAMPLE_STOCK:
        sku = Sku.objects.filter(code=code).first()
        if sku is not None and not StockRecord.objects.filter(sku=sku, location=SAMPLES_LOCATION).exists():
            receive_stock(sku_id=sku.pk, quantity=units, location=SAMPLES_LOCATION, actor=_staff("supply"), note="演示：样品库存")


def _make_sample_requests() -> None:
    """The demo distributor waits for review of a request; a second distributor's was approved into
    a sample order."""
    if SampleRequest.objects.exists():
        return
    reviewer = _staff("supply")
    demo = Distributor.objects.filter(user__phone=DEMO_DISTRIBUTOR_PHONE, status=Distributor.Status.APPROVED).first()
    other = (
        Distributor.objects.filter(status=Distributor.Status.APPROVED)
        .exclude(pk=demo.pk if demo is not None else 0)
        .order_by("pk")
        .first()
    )
    sku_ids = dict(Sku.objects.filter(code__in=[code for code, _ in SAMPLE_STOCK]).values_list("code", "pk"))
    for distributor, code, approve in ((demo, "FO011-1", False), (other, "BE002-1", True)):
        if distributor is None or code not in sku_ids:
            continue
        try:
            request = samples.request_sample(
                distributor=distributor,
                sku_id=sku_ids[code],
                quantity=1,
                address_id=_address_of(distributor).pk,
                reason="演示：给社群做试吃/试用分享",
            )
            if approve:
                samples.approve_request(request_id=request.pk, actor=reviewer, note="演示：同意寄样")
        except DomainError:
            continue  # no quota for its level, or no sample stock: the queue stays shorter


def _address_of(distributor: Distributor):
    user = distributor.user
    address = address_selectors.default_address(user)
    if address is None:
        address = addresses.add_address(
            user=user,
            data={
                "receiver": (user.nickname or "分销商")[:8],
                "phone": user.phone or DEMO_DISTRIBUTOR_PHONE,
                "province_code": "33",
                "city_code": "3301",
                "district_code": "330106",
                "detail": "文三路 90 号东部软件园 2 号楼",
            },
            make_default=True,
        )
    return address


def demo_supplier_logins() -> list[tuple[str, str]]:
    """(phone, supplier name) of the approved demo suppliers, for the seed's summary."""
    phones = [phone for phone, _nick, status, _app in SUPPLIERS if status == "approved"]
    rows = Supplier.objects.filter(user__phone__in=phones, status=Supplier.Status.APPROVED).order_by("user__phone")
    return [(phone or "", name) for phone, name in rows.values_list("user__phone", "name")]


__all__ = ["APPLICANT_PHONE", "SECOND_SUPPLIER_PHONE", "demo_supplier_logins", "make_demo_supply", "make_demo_suppliers"]
