"""The people and objects the authorization matrix asks about: one user per role, and for every kind
of object a path can name, one that belongs to the asking role and one that belongs to somebody else."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.utils import timezone

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.addresses import services as addresses
from fenxiao.addresses.tests.conftest import BOOK_ADDRESS
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.distribution.services import bind_customer
from fenxiao.growth.models import Notification
from fenxiao.orders import services as orders
from fenxiao.suppliers.models import Supplier
from fenxiao.supply.tests import portal_world
from fenxiao.withdrawals import services as withdrawals
from fenxiao.withdrawals.models import PayoutBatch
from fenxiao.withdrawals.tests.conftest import fund, make_id
from tests.factories import DistributorFactory, LevelFactory, OrderFactory, SkuFactory, StaffFactory, UserFactory

ANONYMOUS = "anonymous"
CONSUMER = "consumer"
DISTRIBUTOR = "distributor"
SUSPENDED = "suspended_distributor"
OPERATIONS, FINANCE, SERVICE, SUPPLY = "运营", "财务", "客服", "供应链"
SUPERUSER = "superuser"
SUPPLIER, SUSPENDED_SUPPLIER = "supplier", "suspended_supplier"
ROLES = [
    ANONYMOUS,
    CONSUMER,
    DISTRIBUTOR,
    SUSPENDED,
    OPERATIONS,
    FINANCE,
    SERVICE,
    SUPPLY,
    SUPERUSER,
    SUPPLIER,
    SUSPENDED_SUPPLIER,
]
STAFF_GROUPS = (OPERATIONS, FINANCE, SERVICE, SUPPLY)


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role -> user (no entry for anonymous)
    tokens: dict = field(default_factory=dict)  # role -> raw bearer token
    own: dict = field(default_factory=dict)  # (object kind, role) -> id of that role's object
    other: dict = field(default_factory=dict)  # object kind -> id of somebody else's object
    any: dict = field(default_factory=dict)  # object kind -> an id that exists, for operator paths


def _aftersale(user, order):
    line = order.lines.first()
    return orders.request_aftersale(user=user, line_id=line.pk, kind="refund_only", amount_fen=100, reason="破损")


def _withdrawal(distributor, id_body):
    withdrawals.submit_kyc(distributor=distributor, real_name="王小明", id_number=make_id(id_body), mobile=distributor.user.phone)
    fund(distributor, 100000)
    return withdrawals.request_withdrawal(
        distributor=distributor,
        amount_fen=5000,
        channel="bank",
        account="6222021202041234567",
        bank_name="工商银行杭州西湖支行",
        actor=distributor.user,
    )


def _suppliers(w: World) -> None:
    """Two supplier accounts (one suspended after its orders came in) and another supplier, each with
    a SKU, a shipment waiting to ship and a return sent back by the buyer."""
    suspended = []
    for role in (SUPPLIER, SUSPENDED_SUPPLIER, None):
        supplier = portal_world.make_supplier()
        sku = portal_world.supplier_sku(supplier)
        _order, shipment = portal_world.supplier_order(supplier, sku)
        returned_order, returned = portal_world.supplier_order(supplier, sku)
        aftersale = portal_world.returned_aftersale(supplier, returned_order, returned)
        if role is None:
            w.other.update({"shipment": shipment.pk, "supplier_return": aftersale.pk, "supplier_sku": sku.pk})
            continue
        w.users[role] = supplier.user
        w.own["shipment", role] = shipment.pk
        w.own["supplier_return", role] = aftersale.pk
        w.own["supplier_sku", role] = sku.pk
        if role == SUSPENDED_SUPPLIER:
            suspended.append(supplier.pk)
    Supplier.objects.filter(pk__in=suspended).update(status=Supplier.Status.SUSPENDED, suspended_at=timezone.now())


def _statements(w: World) -> None:
    """A statement of each supplier role's supplier and one of another supplier (made directly: the
    matrix asks who may see and confirm them, not what they count)."""
    from datetime import timedelta

    from fenxiao.supply.models import SupplierStatement

    end = timezone.now().replace(microsecond=0)
    mine = {Supplier.objects.get(user=w.users[role]).pk: role for role in (SUPPLIER, SUSPENDED_SUPPLIER)}
    for supplier in Supplier.objects.filter(shipments__isnull=False).distinct().order_by("pk"):
        statement = SupplierStatement.objects.create(
            number=f"STAUTHZ{supplier.pk:06d}",
            supplier=supplier,
            period_start=end - timedelta(days=7),
            period_end=end,
            line_count=0,
        )
        if supplier.pk in mine:
            w.own["statement", mine[supplier.pk]] = statement.pk
        else:
            w.other["statement"] = statement.pk
    w.any["statement"] = w.other["statement"]


def build_world() -> World:
    ensure_staff_groups()
    DistributionSettings.objects.get_or_create(pk=1)
    level = LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)
    w = World()
    superuser = StaffFactory()
    w.users[SUPERUSER] = superuser
    w.users[CONSUMER] = UserFactory()
    dist = DistributorFactory(level=level)
    w.users[DISTRIBUTOR] = dist.user
    suspended = DistributorFactory(level=level)
    w.users[SUSPENDED] = suspended.user
    for name in STAFF_GROUPS:
        user = UserFactory(is_staff=True)
        user.groups.add(Group.objects.get(name=name))
        w.users[name] = user
    stranger = UserFactory()
    stranger_dist = DistributorFactory(level=level)  # outside the distributor's team
    member = DistributorFactory(level=level, inviter=dist)  # in the distributor's team

    sku = SkuFactory(stock=1000)
    bind_customer(customer=w.users[CONSUMER], distributor=dist)

    # orders, their lines and after-sales: the consumer's, the distributor's (as a buyer), a stranger's
    for role in (CONSUMER, DISTRIBUTOR):
        order = OrderFactory(shipped=True, user=w.users[role], items=[(sku, 1)], operator=superuser)
        w.own["order", role] = order.pk
        w.own["line", role] = order.lines.first().pk
        w.own["aftersale", role] = _aftersale(w.users[role], order).pk
    other_order = OrderFactory(shipped=True, user=stranger, items=[(sku, 1)], operator=superuser)
    w.other["order"] = other_order.pk
    w.other["line"] = other_order.lines.first().pk
    w.other["aftersale"] = _aftersale(stranger, other_order).pk

    # address book entries: the consumer's, the distributor's, a stranger's
    for role in (CONSUMER, DISTRIBUTOR):
        w.own["address", role] = addresses.add_address(user=w.users[role], data=dict(BOOK_ADDRESS)).pk
    w.other["address"] = addresses.add_address(user=stranger, data=dict(BOOK_ADDRESS)).pk

    # a distributor's earning order: its bound consumer's; somebody else's: the stranger's
    w.own["earning_order", DISTRIBUTOR] = w.own["order", CONSUMER]
    w.other["earning_order"] = other_order.pk

    # withdrawals: the distributor's, the suspended distributor's (made before the suspension), a stranger's
    w.own["withdrawal", DISTRIBUTOR] = _withdrawal(dist, "11010119900307123").pk
    w.own["withdrawal", SUSPENDED] = _withdrawal(suspended, "33010619851123002").pk
    w.other["withdrawal"] = _withdrawal(stranger_dist, "11010519491231002").pk
    Distributor.objects.filter(pk=suspended.pk).update(status=Distributor.Status.SUSPENDED, status_changed_at=timezone.now())

    # the team: the distributor's own member, another's
    w.own["team_member", DISTRIBUTOR] = member.pk
    w.other["team_member"] = stranger_dist.pk

    _suppliers(w)
    _statements(w)

    for role, user in w.users.items():
        w.own["notification", role] = Notification.objects.create(user=user, kind="test", title="通知").pk
    w.other["notification"] = Notification.objects.create(user=stranger, kind="test", title="通知").pk
    w.any.update(
        {
            "order": w.own["order", CONSUMER],
            "line": w.own["line", CONSUMER],
            "aftersale": w.own["aftersale", CONSUMER],
            "withdrawal": w.own["withdrawal", DISTRIBUTOR],
            "distributor": dist.pk,
            "team_member": member.pk,
            "level": level.pk,
            "product": sku.product_id,
            "category": sku.product.category_id,
            "sku": sku.pk,
            "depth": 1,
            "batch": PayoutBatch.objects.create(
                number="PB-AUTHZ-1", line_count=1, amount_fen=100, fee_fen=0, net_fen=100, created_by=superuser
            ).pk,
            "approval": ApprovalRequest.objects.create(kind="test", reference="authz:1", summary="test", amount_fen=0).pk,
        }
    )
    for role, user in w.users.items():
        w.tokens[role] = issue_token(user=user)
    return w
