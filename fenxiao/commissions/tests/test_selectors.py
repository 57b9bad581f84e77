"""What a distributor sees of its money and finance's reconciliation, through real orders and the
ledger: the summary with a debt, commission orders by page, the monthly statement in local time, and
the reconciliation identity, with a constant number of queries however much history there is."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F

from fenxiao.commissions import selectors
from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import Commission
from fenxiao.commissions.services import available_account, pending_account
from fenxiao.ledger import selectors as ledger_selectors
from tests.factories import DistributorFactory, OrderFactory, StaffFactory, UserFactory

from .money_flows import (
    accrue_direct,
    at,
    count_queries,
    first_line,
    pay_out,
    received,
    refund,
    reject,
    settle,
    settle_direct,
    team_bonus,
    withdraw,
)

pytestmark = pytest.mark.django_db

S = Commission.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def operator(db):
    return StaffFactory()


@pytest.fixture
def buyer(distributor):
    from fenxiao.distribution.services import bind_customer

    user = UserFactory(nickname="李小龙", phone="13812349876")
    bind_customer(customer=user, distributor=distributor)
    return user


# --- summary ------------------------------------------------------------------------------------


def test_summary_follows_accrue_settle_and_a_clawback_into_debt(distributor, upline, buyer, beauty, operator):
    order = OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    overview = selectors.earnings_overview(distributor)
    assert (overview.pending_fen, overview.available_fen, overview.month_accrued_fen) == (3000, 0, 3000)
    assert overview.month == selectors.current_month()

    order = received(order, buyer, operator)
    settle(order)
    withdraw(distributor.pk, 3000, "w:1")  # all of it requested for withdrawal
    refund(buyer, operator, first_line(order), 15000)  # then refunded in full: clawed back

    overview = selectors.earnings_overview(distributor)
    assert overview.pending_fen == 0
    assert overview.available_fen == -3000
    assert (overview.debt_fen, overview.withdrawable_fen, overview.in_debt) == (3000, 0, True)
    assert overview.withdrawing_fen == 3000
    assert (overview.settled_fen, overview.clawed_back_fen) == (3000, 3000)
    # the upline's indirect share went the same way, without a withdrawal to leave a debt behind
    upline_view = selectors.earnings_overview(upline)
    assert (upline_view.available_fen, upline_view.debt_fen, upline_view.clawed_back_fen) == (0, 0, 750)

    team_bonus(distributor.pk, 500, "bonus:1")
    overview = selectors.earnings_overview(distributor)
    assert (overview.team_bonus_fen, overview.debt_fen) == (500, 2500)


def test_summary_of_a_distributor_without_accounts_is_all_zero(level):
    newcomer = DistributorFactory(level=level)
    overview = selectors.earnings_overview(newcomer)
    assert overview == selectors.EarningsOverview(
        pending_fen=0,
        available_fen=0,
        withdrawable_fen=0,
        debt_fen=0,
        withdrawing_fen=0,
        settled_fen=0,
        clawed_back_fen=0,
        team_bonus_fen=0,
        month=overview.month,
        month_accrued_fen=0,
    )
    assert selectors.activity_months(newcomer) == []
    statement = selectors.monthly_statement(newcomer, "2026-11")
    assert [(a.role, a.opening_fen, a.closing_fen, a.rows) for a in statement.accounts] == [
        ("pending", 0, 0, ()),
        ("available", 0, 0, ()),
        ("withdrawing", 0, 0, ()),
    ]


def test_month_accrued_counts_only_this_local_month(distributor):
    with at(datetime(2026, 10, 31, 15, 59, tzinfo=UTC)):  # 23:59 on 31 October in Shanghai
        accrue_direct(distributor.pk, 100, "a:oct")
    with at(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)):  # 00:00 on 1 November in Shanghai
        accrue_direct(distributor.pk, 40, "a:nov")
    overview = selectors.earnings_overview(distributor, now=datetime(2026, 11, 15, tzinfo=SHANGHAI))
    assert (overview.month, overview.month_accrued_fen, overview.pending_fen) == ("2026-11", 40, 140)


# --- commission orders --------------------------------------------------------------------------


def test_commission_orders_newest_first_with_lines_masked_buyer_and_status_tabs(distributor, upline, buyer, beauty, operator):
    first = OrderFactory(paid=True, user=buyer, items=[(beauty, 2)])
    second = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]), buyer, operator)
    settle(second)
    third = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]), buyer, operator)
    refund(buyer, operator, first_line(third), 15000)  # cancelled before settlement

    page = selectors.commission_orders(distributor)
    assert [o.order_id for o in page.items] == [third.pk, second.pk, first.pk]
    assert (page.total, page.page, page.has_next, page.num_pages) == (3, 1, False, 1)
    newest, middle, oldest = page.items
    assert (newest.status, middle.status, oldest.status) == (S.CANCELLED, S.SETTLED, S.PENDING)
    assert oldest.buyer_name == "李**" and oldest.buyer_phone == "138****9876"
    assert oldest.order_status == "paid" and oldest.order_status_label
    (line,) = oldest.lines
    assert (line.quantity, line.base_fen, line.rate_bp, line.depth, line.depth_label) == (2, 30000, 2000, 1, "直推")
    assert (line.uncapped_fen, line.amount_fen, line.net_fen, line.status) == (6000, 6000, 6000, S.PENDING)
    assert (newest.amount_fen, newest.cancelled_fen, newest.net_fen) == (3000, 3000, 0)

    # the upline sees the same orders as indirect (间推) commissions
    (upline_line,) = selectors.commission_orders(upline).items[0].lines
    assert (upline_line.depth, upline_line.depth_label, upline_line.amount_fen) == (2, "间推", 750)

    assert [o.order_id for o in selectors.commission_orders(distributor, status=S.PENDING).items] == [first.pk]
    assert [o.order_id for o in selectors.commission_orders(distributor, status=S.SETTLED).items] == [second.pk]
    assert [o.order_id for o in selectors.commission_orders(distributor, status=S.CANCELLED).items] == [third.pk]

    paged = selectors.commission_orders(distributor, page=2, page_size=2)
    assert ([o.order_id for o in paged.items], paged.total, paged.has_next) == ([first.pk], 3, False)
    assert selectors.commission_orders(distributor, page=1, page_size=2).has_next
    assert selectors.commission_orders(distributor, page=9).items == []

    with pytest.raises(CommissionError) as caught:
        selectors.commission_orders(distributor, status="paid")
    assert (caught.value.code, caught.value.status) == ("invalid_status", 422)


def test_order_detail_shows_the_ceiling_and_is_none_where_nothing_is_earned(distributor, buyer, beauty, level):
    order = OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    Commission.objects.filter(order=order, depth=1).update(capped=True, capped_note="佣金合计超过毛利的 50%，已按比例削减")
    detail = selectors.commission_order(distributor, order.pk)
    assert detail.capped and detail.lines[0].capped_note.startswith("佣金合计超过毛利")
    stranger = DistributorFactory(level=level)
    assert selectors.commission_order(stranger, order.pk) is None
    assert selectors.commission_order(distributor, 999999) is None


def test_commission_pages_take_the_same_queries_for_one_order_or_many(distributor, buyer, beauty):
    OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    one = (
        count_queries(selectors.commission_orders, distributor),
        count_queries(selectors.earnings_overview, distributor),
        count_queries(selectors.monthly_statement, distributor, selectors.current_month()),
    )
    for _ in range(4):
        OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    many = (
        count_queries(selectors.commission_orders, distributor),
        count_queries(selectors.earnings_overview, distributor),
        count_queries(selectors.monthly_statement, distributor, selectors.current_month()),
    )
    assert one == many
    assert many[0] <= 3 and many[1] <= 3 and many[2] <= 11
    order_id = selectors.commission_orders(distributor).items[0].order_id
    assert count_queries(selectors.commission_order, distributor, order_id) == 1


# --- monthly statement --------------------------------------------------------------------------


def test_statement_running_balances_and_local_month_boundaries(distributor):
    d = distributor.pk
    with at(datetime(2026, 10, 20, 2, 0, tzinfo=UTC)):
        accrue_direct(d, 5000, "a:1")
    with at(datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC)):  # 23:59:59 on 31 October, Shanghai
        settle_direct(d, 5000, "s:1")
    with at(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)):  # midnight: 1 November in Shanghai
        accrue_direct(d, 2000, "a:2")
    with at(datetime(2026, 11, 3, 1, 0, tzinfo=UTC)):
        accrue_direct(d, 700, "a:3")
    with at(datetime(2026, 11, 3, 2, 0, tzinfo=UTC)):
        from fenxiao.ledger import services as ledger

        ledger.post(
            idempotency_key="c:1",
            kind="commission_cancel",
            entries=[
                (pending_account(d), "debit", 700),
                ("platform:commission_expense", "credit", 700),
            ],
        )
    with at(datetime(2026, 11, 5, tzinfo=UTC)):
        team_bonus(d, 300, "b:1")
    with at(datetime(2026, 11, 6, tzinfo=UTC)):
        withdraw(d, 4000, "w:1")
    with at(datetime(2026, 11, 7, tzinfo=UTC)):
        pay_out(d, 3000, "p:1", fee_fen=100)
    with at(datetime(2026, 11, 8, tzinfo=UTC)):
        reject(d, 1000, "r:1")
    with at(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)):  # 1 December in Shanghai
        accrue_direct(d, 1, "a:dec")

    october = selectors.monthly_statement(distributor, "2026-10")
    pending, available, withdrawing = october.accounts
    assert [(r.change_fen, r.balance_fen) for r in pending.rows] == [(5000, 5000), (-5000, 0)]
    assert (available.opening_fen, available.closing_fen) == (0, 5000)
    assert october.totals == selectors.MonthTotals(accrued_fen=5000, settled_fen=5000)
    assert october.since == datetime(2026, 10, 1, tzinfo=SHANGHAI)

    november = selectors.monthly_statement(distributor, "2026-11")
    pending, available, withdrawing = november.accounts
    assert (pending.opening_fen, pending.closing_fen) == (0, 2000)
    assert [(r.change_fen, r.balance_fen) for r in pending.rows] == [(2000, 2000), (700, 2700), (-700, 2000)]
    assert (available.opening_fen, available.closing_fen) == (5000, 2300)
    assert [(r.kind, r.balance_fen) for r in available.rows] == [
        ("team_bonus", 5300),
        ("withdrawal_request", 1300),
        ("withdrawal_return", 2300),
    ]
    assert (withdrawing.opening_fen, withdrawing.closing_fen) == (0, 0)
    assert [r.balance_fen for r in withdrawing.rows] == [4000, 1000, 0]
    assert november.totals == selectors.MonthTotals(
        accrued_fen=2700,
        cancelled_fen=700,
        team_bonus_fen=300,
        withdrawn_fen=4000,
        returned_fen=1000,
        paid_fen=3000,
    )
    assert november.account("available").label == "可提现"
    # the running balance agrees with the ledger's own balance at the end of the month
    assert available.closing_fen + 0 == ledger_selectors.balance(available_account(d))
    assert november.months == ("2026-12", "2026-11", "2026-10")
    assert selectors.activity_months(distributor) == ["2026-12", "2026-11", "2026-10"]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "", "2026-11-01", "1999-12", "２０２６-１１"])
def test_a_bad_month_is_refused(distributor, month):
    with pytest.raises(CommissionError) as caught:
        selectors.monthly_statement(distributor, month)
    assert (caught.value.code, caught.value.status) == ("invalid_month", 422)


def test_month_bounds_are_local_and_december_rolls_over():
    label, since, until = selectors.parse_month("2026-12")
    assert label == "2026-12"
    assert since == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert until == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


# --- reconciliation -----------------------------------------------------------------------------


@pytest.fixture
def busy_books(distributor, upline, buyer, beauty, operator):
    """Accrued, settled, cancelled, clawed back, a team bonus, a withdrawal paid with a fee."""
    settled_order = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 2)]), buyer, operator)
    settle(settled_order)
    refund(buyer, operator, first_line(settled_order), 5000)  # after settlement: clawback
    open_order = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]), buyer, operator)
    refund(buyer, operator, first_line(open_order), 3000)  # before settlement: cancel
    OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])  # still pending
    team_bonus(upline.pk, 420, "bonus:2026-11", month="2026-11")
    withdraw(distributor.pk, 3000, "w:1")
    pay_out(distributor.pk, 3000, "p:1", fee_fen=200)
    withdraw(upline.pk, 500, "w:2")  # still withdrawing
    return distributor


def test_reconciliation_identity_holds_after_every_kind_of_move(busy_books):
    report = selectors.reconciliation()
    derived = report.derived
    assert derived.identity_holds and report.ok
    assert report.cached == derived and report.cache_differences == []
    assert derived.expense_fen == derived.payable_fen + derived.paid_out_fen + derived.fees_fen
    assert (derived.paid_out_fen, derived.fees_fen, derived.team_bonus_expense_fen) == (2800, 200, 420)
    assert derived.withdrawing_fen == 500
    assert all(check.ok for check in report.checks), [(c.key, c.rows_fen, c.ledger_fen) for c in report.checks]
    assert {c.key for c in report.checks} >= {"accrued", "cancelled", "pending", "settled", "clawed_back", "team_bonus"}
    checks = {c.key: c for c in report.checks}
    assert checks["clawed_back"].rows_fen == 1000 + 250  # 1/6 of the ¥300 line: 1000 direct, 250 indirect
    assert checks["cancelled"].rows_fen == 600 + 150
    (month,) = report.months
    assert month.month == selectors.current_month()
    assert (month.clawed_back_fen, month.cancelled_fen, month.team_bonus_fen, month.paid_out_fen) == (1250, 750, 420, 2800)
    assert month.accrued_fen == (6000 + 3000 + 3000) + (1500 + 750 + 750)
    assert month.settled_fen == 6000 + 1500


def test_reconciliation_shows_debts_apart_from_what_is_owed(distributor, buyer, beauty, operator):
    order = received(OrderFactory(paid=True, user=buyer, items=[(beauty, 1)]), buyer, operator)
    settle(order)
    withdraw(distributor.pk, 3000, "w:1")
    pay_out(distributor.pk, 3000, "p:1")
    refund(buyer, operator, first_line(order), 15000)
    derived = selectors.reconciliation().derived
    assert derived.debt_fen == 3000
    assert derived.owed_to_distributors_fen == derived.payable_fen + 3000
    assert derived.identity_holds


def test_reconciliation_flags_a_broken_cache_and_rows_that_disagree_with_the_ledger(busy_books):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET balance_fen = balance_fen + 100 WHERE code = %s", [pending_account(busy_books.pk)]
        )
    report = selectors.reconciliation()
    assert not report.ok
    assert report.derived.identity_holds  # the entries are sound …
    assert not report.cached.identity_holds  # … the cached balances are not
    assert report.cached.difference_fen == -100
    assert [(d.figure, d.cached_fen - d.derived_fen) for d in report.cache_differences] == [("pending_fen", 100)]

    Commission.objects.filter(distributor=busy_books, status=S.PENDING).update(amount_fen=F("amount_fen") + 1)
    checks = {c.key: c for c in selectors.reconciliation().checks}
    assert (checks["accrued"].ok, checks["accrued"].difference_fen) == (False, 2)
    assert (checks["pending"].ok, checks["pending"].difference_fen) == (False, 2)
    assert checks["settled"].ok


def test_reconciliation_takes_the_same_queries_however_big_the_books(distributor, buyer, beauty):
    OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    one = count_queries(selectors.reconciliation)
    for _ in range(3):
        OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    assert count_queries(selectors.reconciliation) == one <= 6


def test_the_older_summary_still_lists_orders(distributor, buyer, beauty):
    order = OrderFactory(paid=True, user=buyer, items=[(beauty, 1)])
    summary = selectors.earnings_summary(distributor)
    assert (summary.pending_fen, [o.order_id for o in summary.orders]) == (3000, [order.pk])
