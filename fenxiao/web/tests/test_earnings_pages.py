"""The earnings pages through the test client: the summary with its debt note and the withdraw link,
commission orders with status tabs and htmx "load more", one order's lines with the ceiling note,
and the monthly statement with its month picker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from fenxiao.commissions.models import Commission
from fenxiao.commissions.tests.money_flows import accrue_direct, at, count_queries, first_line, received, refund, settle, withdraw
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.services import bind_customer
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def level():
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=2000, indirect_rate_bp=500)


@pytest.fixture
def distributor(level):
    return DistributorFactory(level=level, inviter=DistributorFactory(level=level))


@pytest.fixture
def buyer(distributor):
    user = UserFactory(nickname="赵小雨", phone="13622223333")
    bind_customer(customer=user, distributor=distributor)
    return user


@pytest.fixture
def serum():
    product = ProductFactory(name="玻尿酸精华", category=CategoryFactory(slug="beauty", name="美妆"))
    return SkuFactory(
        product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, cost_fen=5000
    )


@pytest.fixture
def signed_in(client, distributor):
    client.force_login(distributor.user)
    return client


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_summary_cards_and_withdraw_link(signed_in, distributor, buyer, serum):
    OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    page = html(signed_in.get(reverse("web:earnings")))
    for text in ("我的收益", "预估收益", "已结算", "可提现", "提现中", "欠款", "佣金订单", "待结算"):
        assert text in page, text
    assert "¥30.00" in page
    assert 'href="/me/withdraw/"' in page
    assert reverse("web:earnings_statement") in page
    assert "退款追回的佣金超出余额" not in page
    # the buyer is masked
    assert "赵**" in page and "136****3333" in page and "13622223333" not in page


def test_debt_is_explained(signed_in, distributor, buyer, serum):
    operator = StaffFactory()
    order = received(OrderFactory(paid=True, user=buyer, items=[(serum, 1)]), buyer, operator)
    settle(order)
    withdraw(distributor.pk, 3000, "w:1")
    refund(buyer, operator, first_line(order), 15000)
    page = html(signed_in.get(reverse("web:earnings")))
    assert 'id="debt-note"' in page
    assert "退款追回的佣金超出余额，后续收益将先抵扣欠款" in page
    assert "¥30.00" in page  # the debt, and what is being withdrawn


def test_status_tabs_and_load_more(signed_in, distributor, buyer, serum):
    orders = [OrderFactory(paid=True, user=buyer, items=[(serum, 1)]) for _ in range(12)]
    settle(orders[0])
    url = reverse("web:earnings")
    first = html(signed_in.get(url))
    assert first.count('class="app-ocard"') == 10
    assert f'id="earning-{orders[-1].pk}"' in first and f'id="earning-{orders[1].pk}"' not in first
    assert 'hx-get="?page=2"' in first

    more = html(signed_in.get(url + "?page=2", headers={"HX-Request": "true"}))
    assert "<html" not in more  # only the next cards
    assert more.count('class="app-ocard"') == 2
    assert f'id="earning-{orders[0].pk}"' in more and "加载更多" not in more

    settled = html(signed_in.get(url + "?status=settled"))
    assert settled.count('class="app-ocard"') == 1 and f'id="earning-{orders[0].pk}"' in settled
    assert 'aria-current="page"' in settled
    # an unknown tab shows everything
    assert html(signed_in.get(url + "?status=nope")).count('class="app-ocard"') == 10


def test_the_orders_page_takes_the_same_queries_for_few_or_many_orders(signed_in, distributor, buyer, serum):
    url = reverse("web:earnings")
    OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    few = count_queries(signed_in.get, url)
    for _ in range(5):
        OrderFactory(paid=True, user=buyer, items=[(serum, 1)])
    assert count_queries(signed_in.get, url) == few


def test_order_detail_with_the_ceiling_note(signed_in, distributor, buyer, serum, level):
    order = OrderFactory(paid=True, user=buyer, items=[(serum, 2)])
    Commission.objects.filter(order=order, depth=1).update(
        capped=True, uncapped_fen=8000, capped_note="两级佣金合计超过毛利的 60%，按比例削减"
    )
    page = html(signed_in.get(reverse("web:earnings_order", args=[order.pk])))
    for text in ("佣金明细", order.number, "直推", "计佣基数（实付）", "¥300.00", "20%", "封顶前佣金", "¥80.00", "¥60.00"):
        assert text in page, text
    assert "封顶说明：两级佣金合计超过毛利的 60%，按比例削减" in page

    other = DistributorFactory(level=level)
    signed_in.force_login(other.user)
    response = signed_in.get(reverse("web:earnings_order", args=[order.pk]))
    assert response.status_code == 404
    assert "这笔订单没有你的佣金" in response.content.decode()


def test_statement_with_month_picker_entries_and_totals(signed_in, distributor):
    with at(datetime(2024, 10, 31, 16, 30, tzinfo=UTC)):  # 1 November 00:30, Shanghai
        accrue_direct(distributor.pk, 2500, "a:1")
    with at(datetime(2024, 12, 5, 4, 0, tzinfo=UTC)):
        accrue_direct(distributor.pk, 1000, "a:2")
    page = html(signed_in.get(reverse("web:earnings_statement") + "?month=2024-11"))
    for text in (
        "2024-11 账单",
        'id="month-select"',
        '<option value="2024-11" selected>',
        "本月合计",
        "新增预估收益",
        "预估收益",
        "月初余额",
        "月末余额",
        "余额 ¥25.00",
        "+¥25.00",
    ):
        assert text in page, text
    # the first posting is the earliest month offered: no link before it
    assert "?month=2024-12" in page and "?month=2024-10" not in page
    december = html(signed_in.get(reverse("web:earnings_statement") + "?month=2024-12"))
    assert "+¥10.00" in december and "余额 ¥35.00" in december

    bad = html(signed_in.get(reverse("web:earnings_statement") + "?month=2026-13"))
    assert "月份格式应为 YYYY-MM" in bad


def test_distributor_center_links_here_and_others_are_sent_away(client, distributor, level):
    client.force_login(distributor.user)
    assert reverse("web:earnings") in html(client.get(reverse("web:distributor_center")))

    applicant = DistributorFactory(level=level, status=Distributor.Status.PENDING)
    client.force_login(applicant.user)
    for url in (reverse("web:earnings"), reverse("web:earnings_statement"), reverse("web:earnings_order", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("web:apply")
    client.logout()
    response = client.get(reverse("web:earnings"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
