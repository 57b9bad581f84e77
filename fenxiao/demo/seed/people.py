"""The demo people: staff with their groups, a three-deep tree of 30 distributors, 20 consumers
bound to them, two pending applications and a supplier. Everyone is looked up by phone or username
before being made, so a second run changes nothing."""

from __future__ import annotations

from django.contrib.auth.models import Group

from fenxiao.accounts import services as accounts
from fenxiao.accounts.models import User
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributionSettings, Distributor, Level
from fenxiao.suppliers.models import Supplier
from fenxiao.suppliers.services import create_supplier

STAFF = [
    # username, nickname, group (None = superuser)
    ("admin", "平台管理员", None),
    ("ops", "运营小王", "运营"),
    ("finance", "财务小李", "财务"),
    ("service", "客服小张", "客服"),
    ("supply", "供应链小陈", "供应链"),
]

DEMO_DISTRIBUTOR_PHONE = "13800000001"
DEMO_CONSUMER_PHONE = "13900000001"  # stays a plain consumer, so its "我的" page shows the invitation
DEMO_SUPPLIER_PHONE = "13700000001"


def _user(phone: str, nickname: str, password: str) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = accounts.register_member(phone=phone, password=password, nickname=nickname)
    return user


def make_demo_staff(password: str) -> User:
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


def make_demo_distributors(password: str) -> list[Distributor]:
    """3 roots → 3 invitees each → 2 invitees each: 30 distributors, three deep."""
    distribution.update_settings(admission_mode=DistributionSettings.Admission.OPEN)
    made: list[Distributor] = []
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"

    def ensure(phone: str, nickname: str, code: str, inviter: Distributor | None) -> Distributor:
        user = _user(phone, nickname, password)
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


def make_demo_consumers(password: str, tree: list[Distributor]) -> list[User]:
    consumers = []
    for i in range(1, 21):
        phone = DEMO_CONSUMER_PHONE if i == 1 else f"139000000{i:02d}"
        user = _user(phone, f"顾客{i:02d}", password)
        distribution.bind_customer(customer=user, distributor=tree[(i - 1) % len(tree)], source="seed")
        consumers.append(user)
    return consumers


def make_demo_supplier(password: str) -> None:
    user = _user(DEMO_SUPPLIER_PHONE, "优选供应链", password)
    if not Supplier.objects.filter(user=user).exists():
        create_supplier(name="杭州优选供应链有限公司", user=user, contact_name="陈经理", contact_phone=DEMO_SUPPLIER_PHONE)


def make_demo_applications(password: str, tree: list[Distributor]) -> None:
    """Two consumers who asked to join and wait for review, so the review queue is not empty."""
    for i, inviter in ((31, tree[1]), (32, tree[2])):
        user = _user(f"139000000{i:02d}", f"申请人{i}", password)
        if not Distributor.objects.filter(user=user).exists():
            distribution.bind_customer(customer=user, distributor=inviter, source="seed")
            distribution.apply_for_distributor(user=user, real_name=f"申请人{i}", note="想利用业余时间分享好物")
