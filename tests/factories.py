"""factory_boy factories shared by every app's tests."""

import itertools
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import factory
from django.conf import settings
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.catalog.models import Category, Product, Sku
from fenxiao.distribution.models import Distributor, Level
from fenxiao.inventory.models import MAIN_LOCATION, StockRecord
from fenxiao.orders.models import AfterSale, Order, OrderLine, Shipment

_phones = itertools.count(13900000000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.LazyFunction(lambda: str(next(_phones)))
    username = factory.LazyAttribute(lambda o: f"m{o.phone}")
    nickname = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
    phone = None
    username = factory.Sequence(lambda n: f"operator{n}")


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level
        django_get_or_create = ("rank",)

    name = factory.Sequence(lambda n: f"等级{n}")
    rank = 1
    direct_rate_bp = 1000
    indirect_rate_bp = 500


class DistributorFactory(factory.django.DjangoModelFactory):
    """An approved distributor, with its path set after insert like the service does."""

    class Meta:
        model = Distributor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    code = factory.Sequence(lambda n: f"T{n:05d}")
    inviter = None
    level = factory.SubFactory(LevelFactory)
    status = Distributor.Status.APPROVED
    applied_at = factory.LazyFunction(timezone.now)
    approved_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)
    depth = factory.LazyAttribute(lambda o: o.inviter.depth + 1 if o.inviter else 0)

    @factory.post_generation
    def _path(obj, create, extracted, **kwargs):
        if create:
            obj.path = f"{obj.inviter.path if obj.inviter else '/'}{obj.pk}/"
            obj.save(update_fields=["path"])


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"类目{n}")
    slug = factory.Sequence(lambda n: f"cat-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    is_on_shelf = True


class SkuFactory(factory.django.DjangoModelFactory):
    """A SKU with `stock` units (default 100) in the platform warehouse."""

    class Meta:
        model = Sku
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:06d}")
    spec = "标准装"
    cost_fen = 5000
    retail_fen = 15000
    suggested_retail_fen = 15000
    control_fen = 12000

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):
        if create:
            StockRecord.objects.create(sku=obj, location=MAIN_LOCATION, on_hand=100 if extracted is None else extracted)


# A valid mainland shipping address for orders placed by tests (copy it: `dict(ADDRESS)`).
ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 100 号 3 幢 501",
}


# --- orders ----------------------------------------------------------------------------------------

PLACED, PAID, SHIPPED, RECEIVED, COMPLETED, REFUNDED = "placed", "paid", "shipped", "received", "completed", "refunded"
_STEPS = {PLACED: 0, PAID: 1, SHIPPED: 2, REFUNDED: 2, RECEIVED: 3, COMPLETED: 4}


@contextmanager
def clock(moment):
    """Everything done inside happens at `moment` (timezone.now() answers it); no-op for None."""
    if moment is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _sku_id(sku) -> int:
    return sku if isinstance(sku, int) else sku.pk


class OrderFactory(factory.Factory):
    """An order of `user` for `items` ((SKU or SKU id, quantity) pairs) made through the order services,
    as a buyer and the operator make it; with `distributor`, the buyer is bound to it first, so the
    order is credited to it. The variants go further along the real path:

    - `paid=True`: paid with the development provider, its commissions accrued;
    - `shipped=True`, `received=True`: every shipment shipped by `operator` (default: a new operator),
      received;
    - `completed=True`: completed by the completion job when its after-sales window closed, at
      `completed_at` (default: now);
    - `refunded=True`: shipped, then each line refunded in full through an approved refund-only
      after-sale (a finance colleague approves large refunds);
    - `refund_fen=N` (from `shipped` on, or with `refunded`): N of the first line only is refunded,
      after shipping and receipt and before completion.

    `paid_at` backdates placing and paying (the services run with the clock at that moment). The
    order returned is read afresh from the database.
    """

    class Meta:
        model = Order

    class Params:
        paid = factory.Trait(state=PAID)
        shipped = factory.Trait(state=SHIPPED)
        received = factory.Trait(state=RECEIVED)
        completed = factory.Trait(state=COMPLETED)
        refunded = factory.Trait(state=REFUNDED)

    user = factory.SubFactory(UserFactory)
    items = factory.LazyFunction(lambda: [(SkuFactory(), 1)])
    distributor = None
    address = factory.LazyFunction(lambda: dict(ADDRESS))
    operator = None
    state = PLACED
    paid_at = None
    completed_at = None
    refund_fen = None

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("OrderFactory places real orders: call OrderFactory(...), not OrderFactory.build()")

    @classmethod
    def _create(cls, model_class, *, user, items, distributor, address, operator, state, paid_at, completed_at, refund_fen):
        from fenxiao.distribution.services import bind_customer
        from fenxiao.orders import services as orders

        step = _STEPS[state]
        if distributor is not None:
            bind_customer(customer=user, distributor=distributor)
        with clock(paid_at):
            order = orders.place_order(user=user, items=[(_sku_id(sku), quantity) for sku, quantity in items], address=address)
            if step >= _STEPS[PAID]:
                orders.pay_with_dev_provider(user=user, order_id=order.pk)
                accrue_commissions()
        if step >= _STEPS[SHIPPED]:
            operator = operator or StaffFactory()
            # every parcel leaves: the platform's as the operator ships it, each supplier's as from its portal
            shipments = list(Shipment.objects.filter(order_id=order.pk).order_by("pk"))
            if any(s.supplier_id is None for s in shipments):
                orders.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1234567890")
            for shipment in shipments:
                if shipment.supplier_id is not None:
                    orders.ship_shipment(
                        shipment_id=shipment.pk, actor=operator, carrier="shunfeng", tracking_number=f"SF{shipment.pk:012d}"
                    )
        if step >= _STEPS[RECEIVED]:
            orders.confirm_receipt(order_id=order.pk, user=user)
        if state == REFUNDED or (refund_fen is not None and step >= _STEPS[SHIPPED]):
            lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
            for line in lines[:1] if refund_fen is not None else lines:
                _refund(orders, user, operator, line, line.paid_fen if refund_fen is None else refund_fen)
        if state == COMPLETED:
            completed_at = completed_at or timezone.now()
            window = timedelta(days=settings.FENXIAO_AFTERSALE_WINDOW_DAYS)
            Order.objects.filter(pk=order.pk, received_at__gt=completed_at - window).update(received_at=completed_at - window)
            Shipment.objects.filter(order_id=order.pk, received_at__gt=completed_at - window).update(
                received_at=completed_at - window
            )
            orders.complete_orders(now=completed_at)
        return Order.objects.get(pk=order.pk)


def _refund(orders, user, operator, line, amount_fen: int) -> None:
    """A refund-only after-sale of `amount_fen` on `line`, approved (and, above the limit, approved by finance too)."""
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    aftersale = orders.request_aftersale(
        user=user, line_id=line.pk, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=amount_fen, reason="少发一件"
    )
    aftersale = orders.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    if aftersale.status == AfterSale.Status.AWAITING_APPROVAL:
        request = ApprovalRequest.objects.get(
            kind=orders.REFUND_APPROVAL, reference=f"aftersale:{aftersale.pk}", status="pending"
        )
        approvals.approve(request_id=request.pk, actor=StaffFactory())


_numbers = itertools.count(1)


class OrderRecordFactory(factory.django.DjangoModelFactory):
    """An order written directly in its final state (no services: no stock, payment, events or
    commissions), for the tests that read many orders with exact figures and dates (analytics,
    evaluations, team bonus, simulations). `lines` are dicts: `sku` (default: a new SKU), `quantity`
    (1), `unit_price_fen` (the SKU's retail price), `unit_cost_fen` (its cost), `refunded_fen` (0),
    `product_name` (the product's name). The order's goods, paid and refunded amounts add up its lines
    plus `shipping_fen`; without lines it is `goods_fen` alone. Its commissions count as accrued (none)."""

    class Meta:
        model = Order

    number = factory.LazyFunction(lambda: f"RC{next(_numbers):010d}")
    user = factory.SubFactory(UserFactory)
    distributor = None
    status = Order.Status.COMPLETED
    receiver = ADDRESS["receiver"]
    receiver_phone = ADDRESS["phone"]
    province = ADDRESS["province"]
    city = ADDRESS["city"]
    district = ADDRESS["district"]
    address_detail = ADDRESS["detail"]
    goods_fen = 0
    shipping_fen = 1000
    completed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Order.Status.COMPLETED else None)
    paid_at = factory.LazyAttribute(lambda o: (o.completed_at or timezone.now()) - timedelta(days=10))

    @classmethod
    def _create(cls, model_class, *args, lines=(), **kwargs):
        rows = []
        for spec in lines:
            sku = spec.get("sku") or SkuFactory()
            quantity = spec.get("quantity", 1)
            price = spec.get("unit_price_fen", sku.retail_fen)
            rows.append(
                OrderLine(
                    sku=sku,
                    product_id=sku.product_id,
                    category_id=sku.product.category_id,
                    product_name=spec.get("product_name") or sku.product.name,
                    unit_price_fen=price,
                    unit_cost_fen=spec.get("unit_cost_fen", sku.cost_fen),
                    quantity=quantity,
                    line_total_fen=price * quantity,
                    paid_fen=price * quantity,
                    refunded_fen=spec.get("refunded_fen", 0),
                )
            )
        if rows:
            kwargs["goods_fen"] = sum(row.line_total_fen for row in rows)
            kwargs.setdefault("refunded_fen", sum(row.refunded_fen for row in rows))
        kwargs.setdefault("total_fen", kwargs["goods_fen"] + kwargs["shipping_fen"])
        if kwargs.get("paid_at") is not None:
            kwargs.setdefault("paid_fen", kwargs["total_fen"])
            if any(field.name == "commissions_accrued_at" for field in model_class._meta.fields):
                kwargs.setdefault("commissions_accrued_at", kwargs["paid_at"])
        order = super()._create(model_class, *args, **kwargs)
        for row in rows:
            row.order = order
        OrderLine.objects.bulk_create(rows)
        return order


def accrue_commissions() -> int:
    """What the accrual job does right after a payment commits: the commissions of paid orders are
    recorded as pending. A test's transaction never commits, so a test that pays and then looks at
    commissions calls this (or runs the commit callbacks: `django_capture_on_commit_callbacks(execute=True)`)."""
    from fenxiao.commissions.services import accrue_pending

    return accrue_pending()


def sale(
    distributor,
    paid_fen,
    *,
    completed_at,
    refunded_fen=0,
    status=Order.Status.COMPLETED,
    buyer=None,
    sku=None,
    lines=1,
    paid_at=None,
) -> Order:
    """An order credited to `distributor` (may be None) in its final state, bought by `buyer` (default: a
    new user): `lines` lines of one unit at `paid_fen` (cost ¥10) with `refunded_fen` refunded on each,
    ¥10 shipping, paid at `paid_at` (default: 12 days before `completed_at`)."""
    sku = sku or SkuFactory()
    line = {"sku": sku, "unit_price_fen": paid_fen, "unit_cost_fen": 1000, "refunded_fen": refunded_fen, "product_name": "商品"}
    return OrderRecordFactory(
        user=buyer or UserFactory(),
        distributor=distributor,
        status=status,
        shipping_fen=1000,
        paid_at=paid_at or completed_at - timedelta(days=12),
        completed_at=completed_at if status == Order.Status.COMPLETED else None,
        lines=[line] * lines,
    )
