"""The distributor center leads with money, and the monthly statement: the center's balances are the
earnings page's, its 提现 button follows the withdrawal rules, its recruits are masked exactly like
the team page's; the statement offers the months since joining and pages its entries with the same
queries on every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from fenxiao.commissions import selectors as commission_selectors
from fenxiao.commissions.tests.money_flows import accrue_direct, at, count_queries, settle_direct
from fenxiao.common import periods
from fenxiao.withdrawals import services as withdrawal_services
from fenxiao.withdrawals.models import WithdrawalSettings
from tests.factories import DistributorFactory, LevelFactory, UserFactory

pytestmark = pytest.mark.django_db

ID_BODY = "11010119900307123"
ID_NUMBER = ID_BODY + ric.calc_check_digit(ID_BODY + "0")


@pytest.fixture
def level():
    return LevelFactory(rank=1, name="普通分销商")


@pytest.fixture
def me(level):
    return DistributorFactory(level=level, user=UserFactory(nickname="我自己", phone="13800001111"))


@pytest.fixture
def signed_in(client, me):
    client.force_login(me.user)
    return client


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, element_id
    return match.group(1).strip()


def verify(distributor) -> None:
    withdrawal_services.submit_kyc(distributor=distributor, real_name="王小明", id_number=ID_NUMBER, mobile="13812345678")


# --- the center ------------------------------------------------------------------------------------


def test_center_shows_the_earnings_page_balances_at_the_top(signed_in, me):
    accrue_direct(me.pk, 12345, "a:1")
    accrue_direct(me.pk, 5000, "a:2")
    settle_direct(me.pk, 5000, "s:2")
    center = signed_in.get(reverse("web:distributor_center")).content.decode()
    earnings = signed_in.get(reverse("web:earnings")).content.decode()
    overview = commission_selectors.earnings_overview(me)
    assert (overview.pending_fen, overview.withdrawable_fen) == (12345, 5000)
    assert text_of(center, "dc-pending") == text_of(earnings, "pending-amount") == "¥123.45"
    assert text_of(center, "dc-available") == text_of(earnings, "available-amount") == "¥50.00"
    # money comes first: before the commission rates and the team
    assert center.index('id="dc-money"') < center.index("我的佣金比例") < center.index('id="downline"')


def test_withdraw_button_says_why_it_is_off_and_opens_when_allowed(signed_in, me):
    url = reverse("web:distributor_center")
    html = signed_in.get(url).content.decode()
    assert re.search(r'<button[^>]*disabled[^>]*id="dc-withdraw"', html)
    assert "提现前请先完成实名认证" in text_of(html, "dc-withdraw-reason")
    assert f"{reverse('web:kyc')}?next={url}" in html

    verify(me)
    html = signed_in.get(url).content.decode()
    conf = WithdrawalSettings.objects.get(pk=1)
    assert conf.min_amount_fen == 1000
    assert "可提现余额满 ¥10.00 才能提现" in html and re.search(r'<button[^>]*disabled[^>]*id="dc-withdraw"', html)

    accrue_direct(me.pk, 999, "a:1")
    settle_direct(me.pk, 999, "s:1")
    assert "可提现余额满 ¥10.00 才能提现" in signed_in.get(url).content.decode()

    accrue_direct(me.pk, 1, "a:2")
    settle_direct(me.pk, 1, "s:2")
    html = signed_in.get(url).content.decode()
    assert f'<a class="weui-btn weui-btn_primary" href="{reverse("web:withdraw")}" id="dc-withdraw">' in html
    assert 'id="dc-withdraw-reason"' not in html

    accrue_direct(me.pk, 2000, "a:3")
    settle_direct(me.pk, 2000, "s:3")
    WithdrawalSettings.objects.filter(pk=1).update(daily_cap_fen=1000)
    withdrawal_services.request_withdrawal(distributor=me, amount_fen=1000, channel="wechat")
    html = signed_in.get(url).content.decode()
    assert "超出每日提现上限 ¥10.00，今天还可申请 ¥0.00" in text_of(html, "dc-withdraw-reason")

    WithdrawalSettings.objects.filter(pk=1).update(
        daily_cap_fen=1_000_000, wechat_enabled=False, bank_enabled=False, alipay_enabled=False
    )
    assert "平台暂未开放提现" in signed_in.get(url).content.decode()


def test_recruits_on_the_center_are_masked_exactly_as_on_the_team_page(signed_in, me, level):
    DistributorFactory(level=level, inviter=me, user=UserFactory(nickname="欧阳娜娜", phone="13912345678"))
    DistributorFactory(level=level, inviter=me, user=UserFactory(nickname="", phone="13712345678"))
    center = signed_in.get(reverse("web:distributor_center")).content.decode()
    team = signed_in.get(reverse("web:team")).content.decode()
    center_names = re.findall(r'class="app-recruit__name">([^<]*)<', center)
    center_phones = re.findall(r'class="app-muted app-recruit__phone">([^<]*)<', center)
    team_names = re.findall(r'class="app-buyer__name">([^<]*)<', team)
    team_phones = re.findall(r'class="app-muted app-buyer__phone">([^<]*)<', team)
    assert center_names == team_names and center_phones == team_phones
    assert "欧***" in center_names and "137****5678" in center_names
    assert sorted(center_phones) == ["137****5678", "139****5678"]
    for secret in ("欧阳娜娜", "13912345678", "13712345678"):
        assert secret not in center


def test_center_queries_do_not_grow_with_the_team_or_the_money(signed_in, me, level):
    url = reverse("web:distributor_center")
    DistributorFactory(level=level, inviter=me)
    signed_in.get(url)
    few = count_queries(signed_in.get, url)
    for index in range(6):
        DistributorFactory(level=level, inviter=me)
        accrue_direct(me.pk, 100, f"a:{index}")
    assert count_queries(signed_in.get, url) == few


# --- the monthly statement -------------------------------------------------------------------------


def options(html: str) -> list[str]:
    return re.findall(r'<option value="([0-9-]+)"', html)


def test_month_picker_offers_the_months_since_joining(signed_in, me):
    url = reverse("web:earnings_statement")
    me.applied_at = timezone.now().replace(day=1) - timezone.timedelta(days=70)
    me.save(update_fields=["applied_at"])
    current = periods.current_month()
    months = [
        periods.shift_month(current, -delta)
        for delta in range(4)
        if periods.shift_month(current, -delta) >= periods.month_label(timezone.localtime(me.applied_at).date())
    ]
    html = signed_in.get(url).content.decode()
    assert options(html) == months and len(months) in (3, 4)
    assert f'<option value="{current}" selected>' in html
    assert 'id="next-month"' not in html and 'id="month-error"' not in html

    oldest = months[-1]
    html = signed_in.get(url, {"month": oldest}).content.decode()
    assert f'<option value="{oldest}" selected>' in html and 'id="previous-month"' not in html

    for refused in (periods.shift_month(oldest, -1), periods.shift_month(current, 1)):
        html = signed_in.get(url, {"month": refused}).content.decode()
        assert f"只能查看 {oldest} 至 {current} 的账单" in text_of(html, "month-error")
        assert f'<option value="{current}" selected>' in html
    for malformed in ("2026-13", "abc", "2026-1"):
        html = signed_in.get(url, {"month": malformed}).content.decode()
        assert "月份格式应为 YYYY-MM" in text_of(html, "month-error")
        assert f"{current} 账单" in html


def test_statement_entries_are_paged_with_the_month_kept(signed_in, me):
    url = reverse("web:earnings_statement")
    with at(datetime(2025, 3, 10, 2, 0, tzinfo=UTC)):
        me.applied_at = timezone.now()
        me.save(update_fields=["applied_at"])
    for index in range(23):
        with at(datetime(2025, 3, 10, 2, index, tzinfo=UTC)):
            accrue_direct(me.pk, 100 + index, f"a:{index}")
    with at(datetime(2025, 3, 11, 2, 0, tzinfo=UTC)):
        settle_direct(me.pk, 500, "s:1")  # two entries: pending and available
    first = signed_in.get(url, {"month": "2025-03"}).content.decode()
    assert first.count('class="weui-cell app-bill__entry"') == commission_selectors.STATEMENT_PAGE_SIZE == 20
    assert "本月明细（25 笔）" in first and "1 / 2" in first
    assert 'href="?month=2025-03&amp;page=2"' in first
    # newest first: the settlement, then the last accrual
    assert first.index("+¥5.00") < first.index("+¥1.22")
    second = signed_in.get(url, {"month": "2025-03", "page": 2}).content.decode()
    assert second.count('class="weui-cell app-bill__entry"') == 5 and "2 / 2" in second
    assert "+¥1.00" in second and "余额 ¥1.00" in second  # the first accrual, with its running balance
    assert 'href="?month=2025-03&amp;page=1"' in second
    # the totals cover the whole month on every page
    assert "¥25.53" in first and "¥25.53" in second
    # an out-of-range page shows the last one
    assert signed_in.get(url, {"month": "2025-03", "page": 99}).content.decode().count("app-bill__entry") == 5


def test_statement_queries_do_not_depend_on_the_page(signed_in, me):
    url = reverse("web:earnings_statement")
    with at(datetime(2025, 3, 10, 2, 0, tzinfo=UTC)):
        me.applied_at = timezone.now()
        me.save(update_fields=["applied_at"])
    for index in range(45):
        with at(datetime(2025, 3, 12, 2, index, tzinfo=UTC)):
            accrue_direct(me.pk, 100, f"a:{index}")
    signed_in.get(url, {"month": "2025-03"})
    counts = {count_queries(signed_in.get, url, {"month": "2025-03", "page": page}) for page in (1, 2, 3)}
    assert len(counts) == 1
