"""The order list's filters, search and columns, and its query count."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, OrderRecordFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def orders(db):
    sku_a, sku_b = SkuFactory(), SkuFactory()
    distributor = DistributorFactory()
    buyer = UserFactory(phone="13700001111")
    made = {
        "a": OrderRecordFactory(
            number="FX-A",
            status=Order.Status.PAID,
            lines=[{"sku": sku_a}],
            distributor=distributor,
            province="广东省",
            payment_provider="wechatpay",
            paid_at=at(2),
        ),
        "b": OrderRecordFactory(
            number="FX-B",
            status=Order.Status.SHIPPED,
            lines=[{"sku": sku_b}],
            province="浙江省",
            payment_provider="dev",
            tracking_number="SF998877",
            paid_at=at(5),
            user=buyer,
        ),
        "c": OrderRecordFactory(
            number="FX-C",
            status=Order.Status.PAID,
            lines=[{"sku": sku_a}, {"sku": sku_b}],
            province="浙江省",
            payment_provider="dev",
            receiver_phone="13911112222",
            paid_at=at(9),
        ),
    }
    for key, day in (("a", 1), ("b", 5), ("c", 9)):
        Order.objects.filter(pk=made[key].pk).update(created_at=at(day, 23 if key == "a" else 10))
    made["sku_a"], made["sku_b"], made["distributor"] = sku_a, sku_b, distributor
    return made


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory())
    return client


def numbers(client, **params):
    response = client.get(reverse("admin:orders_order_changelist"), params)
    assert response.status_code == 200
    assert "?e=1" not in response.get("Location", "")
    return sorted(o.number for o in response.context["cl"].result_list)


def test_filters(admin_client, orders):
    c = admin_client
    assert numbers(c) == ["FX-A", "FX-B", "FX-C"]
    assert numbers(c, status="paid") == ["FX-A", "FX-C"]
    # days are Shanghai days: A was placed at 23:00 on 1 March
    assert numbers(c, created_at__from="2026-03-02") == ["FX-B", "FX-C"]
    assert numbers(c, created_at__to="2026-03-01") == ["FX-A"]
    assert numbers(c, created_at__from="2026-03-05", created_at__to="2026-03-05") == ["FX-B"]
    assert numbers(c, paid_at__from="2026-03-03", paid_at__to="2026-03-09") == ["FX-B", "FX-C"]
    assert numbers(c, distributor=str(orders["distributor"].pk)) == ["FX-A"]
    assert numbers(c, distributor="none") == ["FX-B", "FX-C"]
    assert numbers(c, distributor="any") == ["FX-A"]
    assert numbers(c, product=str(orders["sku_a"].product_id)) == ["FX-A", "FX-C"]
    assert numbers(c, product=str(orders["sku_b"].product_id), status="paid") == ["FX-C"]
    assert numbers(c, province="浙江省") == ["FX-B", "FX-C"]
    assert numbers(c, payment_provider="wechatpay") == ["FX-A"]


def test_a_wrong_date_is_refused_not_a_server_error(admin_client, orders):
    response = admin_client.get(reverse("admin:orders_order_changelist"), {"created_at__from": "2026-13-45"})
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_search_by_number_phone_and_tracking(admin_client, orders):
    c = admin_client
    assert numbers(c, q="FX-C") == ["FX-C"]
    assert numbers(c, q="13911112222") == ["FX-C"]  # receiver's phone
    assert numbers(c, q="13700001111") == ["FX-B"]  # buyer's account phone
    assert numbers(c, q="SF998877") == ["FX-B"]


def test_columns_stay_few_and_the_phone_masked(admin_client, orders):
    response = admin_client.get(reverse("admin:orders_order_changelist"))
    cl = response.context["cl"]
    assert len(cl.list_display) <= 9  # the action checkbox and eight columns fit 1440 px
    assert "13911112222" not in response.content.decode()
    assert "139****2222" in response.content.decode()


def test_the_list_query_count_does_not_grow_with_rows(admin_client, orders):
    url = reverse("admin:orders_order_changelist")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    distributor = DistributorFactory()
    for _ in range(15):
        OrderRecordFactory(status=Order.Status.PAID, lines=[{}], distributor=distributor)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)
    assert len(many) <= 14


# --- the other lists -----------------------------------------------------------------------------


def listed(client, url_name, **params):
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200, response.get("Location")
    return {obj.pk for obj in response.context["cl"].result_list}


def test_distributor_list_filters_by_dates_level_and_inviter(admin_client):
    from fenxiao.distribution.models import Distributor
    from tests.factories import LevelFactory

    gold = LevelFactory(rank=2, name="金牌")
    early = DistributorFactory(applied_at=at(1), approved_at=at(2))
    late = DistributorFactory(applied_at=at(9), approved_at=at(10), level=gold)
    invited = DistributorFactory(applied_at=at(9), approved_at=at(10), inviter=early)
    url = "admin:distribution_distributor_changelist"
    assert listed(admin_client, url, applied_at__from="2026-03-05") == {late.pk, invited.pk}
    assert listed(admin_client, url, approved_at__to="2026-03-02") == {early.pk}
    assert listed(admin_client, url, inviter=str(early.pk)) == {invited.pk}
    assert listed(admin_client, url, level__id__exact=str(gold.pk)) == {late.pk}
    assert listed(admin_client, url, q=early.code) >= {early.pk, invited.pk}  # its own code, and as inviter
    assert Distributor.objects.count() == 3


def test_customer_list_filters_by_join_date(admin_client):
    old = UserFactory(date_joined=at(1))
    new = UserFactory(date_joined=at(20))
    url = "admin:accounts_user_changelist"
    found = listed(admin_client, url, date_joined__from="2026-03-10", date_joined__to="2026-03-31")
    assert new.pk in found and old.pk not in found
    assert listed(admin_client, url, q=old.phone) == {old.pk}


def _withdrawal(number, amount_fen, requested_at):
    from fenxiao.withdrawals.models import Withdrawal

    return Withdrawal.objects.create(
        number=number,
        distributor=DistributorFactory(),
        status=Withdrawal.Status.REQUESTED,
        channel="bank",
        amount_fen=amount_fen,
        fee_bp=0,
        fee_fen=0,
        net_fen=amount_fen,
        payee_name="王小明",
        account_kind=Withdrawal.AccountKind.CARD,
        account_masked="6222****1234",
        account_encrypted="x",
        requested_at=requested_at,
        requested_on=requested_at.date(),
    )


def test_withdrawal_list_filters_amounts_in_yuan_and_dates(admin_client):
    small = _withdrawal("W1", 5000, at(1))
    large = _withdrawal("W2", 123456, at(8))
    url = "admin:withdrawals_withdrawal_changelist"
    assert listed(admin_client, url, amount_fen__from="100") == {large.pk}
    assert listed(admin_client, url, amount_fen__to="50.00") == {small.pk}
    assert listed(admin_client, url, amount_fen__from="1234.56", amount_fen__to="1234.56") == {large.pk}
    assert listed(admin_client, url, requested_at__to="2026-03-01") == {small.pk}
    response = admin_client.get(reverse(url), {"amount_fen__from": "1.234"})  # three decimals: refused
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_commission_list_filters_amounts_in_yuan(admin_client):
    from fenxiao.commissions.models import Commission

    made = []
    for amount_fen in (500, 2500):
        order = OrderRecordFactory(lines=[{}])
        made.append(
            Commission.objects.create(
                order=order,
                order_line=order.lines.get(),
                distributor=DistributorFactory(),
                depth=1,
                base_fen=10000,
                source="level",
                mode=Commission.Mode.RATE,
                rate_bp=1000,
                uncapped_fen=amount_fen,
                amount_fen=amount_fen,
            )
        )
    url = "admin:commissions_commission_changelist"
    assert listed(admin_client, url, amount_fen__from="10") == {made[1].pk}
    assert listed(admin_client, url, amount_fen__to="5") == {made[0].pk}
    assert listed(admin_client, url, q=made[0].order.number) == {made[0].pk}


def test_aftersale_list_filters_and_searches_by_buyer_phone(admin_client):
    from fenxiao.orders.models import AfterSale

    def aftersale(status, phone, amount_fen):
        order = OrderRecordFactory(lines=[{}], status=Order.Status.SHIPPED, completed_at=None, receiver_phone=phone)
        return AfterSale.objects.create(
            line=order.lines.get(),
            order=order,
            kind=AfterSale.Kind.REFUND_ONLY,
            amount_fen=amount_fen,
            reason="坏了",
            status=status,
        )

    waiting = aftersale(AfterSale.Status.REQUESTED, "13600001111", 1000)
    done = aftersale(AfterSale.Status.REFUNDED, "13600002222", 9900)
    url = "admin:orders_aftersale_changelist"
    assert listed(admin_client, url, status__exact="requested") == {waiting.pk}
    assert listed(admin_client, url, q="13600002222") == {done.pk}
    assert listed(admin_client, url, amount_fen__from="50") == {done.pk}
