"""The monthly team bonus: who is in a partner's team, which sales count, one payment per month on
the ledger, and a query count that does not grow with the number of partners."""

import threading
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.approvals import services as approvals
from fenxiao.approvals.models import ApprovalRequest
from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import TeamBonus
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import (
    CASH_ACCOUNT,
    EXPENSE_ACCOUNT,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
)
from fenxiao.commissions.services.team_bonus import month_period, run_team_bonus, team_bonus_figures
from fenxiao.distribution.models import Distributor
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import Transaction
from fenxiao.orders.models import Order
from tests import factories
from tests.factories import DistributorFactory, LevelFactory, OrderFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


NOW = local(2026, 3, 10, 9, 0)  # the run happens in March; February is the month paid
IN_FEB = local(2026, 2, 14, 12, 0)


@pytest.fixture
def regular(db):
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500, team_bonus_bp=0)


@pytest.fixture
def partner_level(db):
    return LevelFactory(rank=3, name="合伙人", direct_rate_bp=2000, indirect_rate_bp=500, team_bonus_bp=300)


@pytest.fixture
def sku(db):
    return SkuFactory()


@pytest.fixture
def tree(regular, partner_level):
    """P (partner) → A → B → C, and S: a suspended direct invitee of P."""
    p = DistributorFactory(level=partner_level)
    a = DistributorFactory(level=regular, inviter=p)
    b = DistributorFactory(level=regular, inviter=a)
    c = DistributorFactory(level=regular, inviter=b)
    s = DistributorFactory(level=regular, inviter=p, status=Distributor.Status.SUSPENDED)
    return {"P": p, "A": a, "B": b, "C": c, "S": s}


def sale(distributor, paid_fen, *, completed_at=IN_FEB, **options):
    """An order credited to `distributor` in its final state (`tests.factories.sale`), completed in February by default."""
    return factories.sale(distributor, paid_fen, completed_at=completed_at, **options)


def sound_books():
    call_command("ledger_check")
    assert list(ledger_selectors.violations()) == []


def test_team_is_two_levels_of_approved_members_and_counts_net_completed_sales_of_the_month(tree, sku):
    p, a, b, c, s = (tree[k] for k in "PABCS")
    sale(a, 12000, refunded_fen=2000, sku=sku, lines=2)  # direct member: 2 × (12000 − 2000), shipping left out
    sale(b, 5000, sku=sku)  # indirect member
    sale(c, 7000, sku=sku)  # three levels down: not in P's team
    sale(p, 9000, sku=sku)  # P's own shop: not team sales
    sale(s, 4000, sku=sku)  # suspended member
    sale(a, 3000, completed_at=local(2026, 1, 31, 23, 59, 59), sku=sku)  # January, local time
    sale(a, 3100, completed_at=local(2026, 3, 1, 0, 0), sku=sku)  # March
    sale(a, 3200, status=Order.Status.RECEIVED, sku=sku)  # not completed
    sale(b, 800, completed_at=local(2026, 2, 1, 0, 0), sku=sku)  # the first instant of February counts
    sale(b, 700, completed_at=local(2026, 2, 28, 23, 59, 59), sku=sku)  # so does the last

    [figures] = team_bonus_figures("2026-02", now=NOW)
    assert (figures.distributor_id, figures.team_sales_fen, figures.order_count) == (p.pk, 20000 + 5000 + 800 + 700, 4)
    run = run_team_bonus("2026-02", now=NOW)
    assert run.created and run.month == "2026-02"
    [bonus] = TeamBonus.objects.all()
    assert (bonus.distributor_id, bonus.month, bonus.level_name, bonus.rate_bp) == (p.pk, "2026-02", "合伙人", 300)
    assert (bonus.team_sales_fen, bonus.order_count, bonus.amount_fen) == (26500, 4, 795)  # 3% of ¥265
    txn = Transaction.objects.get(pk=bonus.ledger_transaction_id)
    assert (txn.idempotency_key, txn.kind) == ("team_bonus:2026-02", "team_bonus")
    assert ledger_selectors.balance(available_account(p.pk)) == 795
    assert ledger_selectors.balance(TEAM_BONUS_EXPENSE_ACCOUNT) == 795
    sound_books()


def test_a_member_counts_for_each_partner_within_two_levels_above_it(tree, partner_level, sku):
    p, a, b, c = (tree[k] for k in "PABC")
    a.level = partner_level
    a.save(update_fields=["level"])
    sale(b, 10000, sku=sku)  # in P's (indirect) and A's (direct) team
    sale(c, 20000, sku=sku)  # in A's (indirect) team only
    run = run_team_bonus("2026-02", now=NOW)
    amounts = {row.distributor_id: (row.team_sales_fen, row.amount_fen) for row in run.bonuses}
    assert amounts == {p.pk: (10000, 300), a.pk: (30000, 900)}
    assert run.amount_fen == 1200 and run.partner_count == 2
    assert Transaction.objects.filter(kind="team_bonus").count() == 1  # one posting for the month
    sound_books()


def test_only_partners_with_a_bonus_get_a_row_and_nothing_is_posted_without_one(tree, sku):
    sale(tree["P"], 9000, sku=sku)  # own sales only
    run = run_team_bonus("2026-02", now=NOW)
    assert not run.created and run.amount_fen == 0
    assert not TeamBonus.objects.exists()
    assert not Transaction.objects.filter(kind="team_bonus").exists()


def test_rerun_pays_nothing_twice(tree, sku):
    sale(tree["A"], 10000, sku=sku)
    first = run_team_bonus("2026-02", now=NOW)
    sale(tree["A"], 50000, sku=sku)  # a late change does not reopen a paid month
    again = run_team_bonus("2026-02", now=NOW)
    assert first.created and not again.created
    assert (again.amount_fen, again.ledger_transaction_id, again.partner_count) == (300, first.ledger_transaction_id, 1)
    assert TeamBonus.objects.count() == 1
    assert Transaction.objects.filter(kind="team_bonus").count() == 1
    assert ledger_selectors.balance(available_account(tree["P"].pk)) == 300
    sound_books()


def test_a_bonus_repays_a_debt_first(tree, sku):
    p = tree["P"]
    ensure_distributor_accounts([p.pk])
    # P earned ¥5 and was paid it out; then a refund clawed back ¥2 of it: P owes ¥2
    for key, kind, debit, credit, amount in (
        ("test:earned", "commission_settle", EXPENSE_ACCOUNT, available_account(p.pk), 500),
        ("test:paid-out", "withdrawal_paid", available_account(p.pk), CASH_ACCOUNT, 500),
        ("test:clawback", "commission_clawback", available_account(p.pk), EXPENSE_ACCOUNT, 200),
    ):
        ledger.post(idempotency_key=key, kind=kind, entries=[(debit, "debit", amount), (credit, "credit", amount)])
    assert earnings_summary(p).debt_fen == 200
    sale(tree["A"], 10000, sku=sku)
    run_team_bonus("2026-02", now=NOW)
    summary = earnings_summary(p)
    assert (summary.available_fen, summary.debt_fen) == (100, 0)  # 300 bonus − 200 debt
    sound_books()


def test_month_must_be_closed_and_well_formed(tree):
    for month in ("2026-03", "2026-04", "2030-01"):
        with pytest.raises(CommissionError) as exc:
            run_team_bonus(month, now=NOW)
        assert exc.value.code == "month_not_closed"
    for month in ("2026-13", "2026-2", "202602", "abcd-ef", "1999-12"):
        with pytest.raises(CommissionError) as exc:
            run_team_bonus(month, now=NOW)
        assert exc.value.code == "invalid_month"
    assert month_period(None, now=NOW).label == "2026-02"
    assert month_period(None, now=local(2026, 1, 1, 0, 0)).label == "2025-12"
    # just after local midnight on 1 March (still February in UTC) February is closed
    assert month_period("2026-02", now=local(2026, 3, 1, 0, 30)).label == "2026-02"


def test_default_month_is_the_previous_local_month(tree, sku):
    sale(tree["A"], 10000, sku=sku)
    assert run_team_bonus(now=NOW).month == "2026-02"
    assert TeamBonus.objects.get().month == "2026-02"


def test_through_real_orders_with_a_refund(tree, sku):
    """Paid, shipped, received, refunded in part and completed through the order services."""
    completed_at = timezone.now() + timedelta(days=8)
    OrderFactory(
        completed=True, user=UserFactory(), distributor=tree["A"], items=[(sku, 2)], refund_fen=5000, completed_at=completed_at
    )
    month = f"{timezone.localdate(completed_at):%Y-%m}"
    later = completed_at + timedelta(days=40)
    run = run_team_bonus(month, now=later)
    [bonus] = run.bonuses
    assert bonus.team_sales_fen == 2 * 15000 - 5000
    assert bonus.amount_fen == 750
    sound_books()


def test_query_count_does_not_grow_with_partners(regular, partner_level, sku):
    def build(n, when):
        made = []
        for _ in range(n):
            p = DistributorFactory(level=partner_level)
            sale(DistributorFactory(level=regular, inviter=p), 10000, sku=sku, completed_at=when)
            member = DistributorFactory(level=regular, inviter=DistributorFactory(level=regular, inviter=p))
            sale(member, 5000, sku=sku, completed_at=when)
            made.append(p)
        ensure_distributor_accounts([p.pk for p in made])  # opened once in a partner's life
        return made

    def counted(month, now):
        with CaptureQueriesContext(connection) as ctx:
            run = run_team_bonus(month, now=now)
        queries = [
            q["sql"]
            for q in ctx.captured_queries
            if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
            # the ledger moves the accounts' cached balances: one UPDATE each for a few accounts, one
            # set-based statement for many; that is the ledger's business, not the bonus run's
            and not ("UPDATE" in q["sql"].upper() and "ledger_account" in q["sql"])
        ]
        return run, len(queries), queries

    build(1, local(2026, 1, 20, 12, 0))
    one, count_one, q1 = counted("2026-01", NOW)
    build(12, IN_FEB)
    with CaptureQueriesContext(connection) as ctx:
        assert len(team_bonus_figures("2026-02", now=NOW)) == 12
    assert len(ctx.captured_queries) == 3
    many, count_many, q2 = counted("2026-02", NOW)
    assert (one.partner_count, many.partner_count) == (1, 12)
    assert count_one == count_many, "\n".join(q1) + "\n----\n" + "\n".join(q2)


def test_management_command(tree, sku):
    sale(tree["A"], 10000, sku=sku)
    out = StringIO()
    call_command("run_team_bonus", "--month", "2026-02", stdout=out)
    assert "2026-02" in out.getvalue() and "3.00" in out.getvalue() and tree["P"].code in out.getvalue()
    assert "approval=" in out.getvalue() and not TeamBonus.objects.exists()  # proposed, not paid
    out = StringIO()
    call_command("run_team_bonus", stdout=out)  # the previous month of the real clock
    assert month_period(None).label in out.getvalue()
    with pytest.raises(CommandError, match="month_not_closed"):
        call_command("run_team_bonus", "--month", f"{timezone.localdate():%Y-%m}", stdout=StringIO())
    with pytest.raises(CommandError, match="invalid_month"):
        call_command("run_team_bonus", "--month", "2026/02", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_pay_once(regular, partner_level):
    sku = SkuFactory()
    partners = [DistributorFactory(level=partner_level) for _ in range(3)]
    for p in partners:
        sale(DistributorFactory(level=regular, inviter=p), 10000, sku=sku)
    barrier = threading.Barrier(4)
    results, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(30)
            outcome = run_team_bonus("2026-02", now=NOW)
            with lock:
                results.append(outcome.created)
        except Exception as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert TeamBonus.objects.count() == 3
    assert Transaction.objects.filter(kind="team_bonus").count() == 1
    assert sum(ledger_selectors.balance(available_account(p.pk)) for p in partners) == 900
    sound_books()


# --- the admin ---------------------------------------------------------------------------------------


def finance_user():
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="财务"))
    return type(user).objects.get(pk=user.pk)


def test_admin_list_and_run_page(client, tree, sku):
    from django.urls import reverse

    from fenxiao.console.jobs import services as jobs
    from fenxiao.console.models import BackgroundJob

    client.force_login(StaffFactory())
    period = month_period(None)  # the real previous month
    sale(tree["A"], 10000, sku=sku, completed_at=period.start + timedelta(hours=1))
    run_url = "/admin/commissions/teambonus/run/"
    start = reverse("console:start_job", args=["commissions.team_bonus"])
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(run_url)
    assert page.status_code == 200
    text = page.content.decode()
    assert start in text and f'value="{period.label}"' in text
    assert not any("orders_order" in q["sql"] for q in page_queries.captured_queries)  # no figures on the page
    assert client.post(run_url).status_code == 405

    def propose() -> BackgroundJob:
        response = client.post(start, {"month": period.label})
        job = BackgroundJob.objects.latest("pk")
        assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
        jobs.run(job.pk)
        job.refresh_from_db()
        assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
        return job

    job = propose()
    # Proposed for finance's approval; paid only once a finance colleague approves it.
    assert not TeamBonus.objects.exists()
    approval = ApprovalRequest.objects.get(kind="team_bonus", status="pending")
    assert (approval.amount_fen, approval.reference) == (300, f"team_bonus:{period.label}")
    assert job.summary["月份"] == period.label and job.summary["奖励合计"] == "¥3.00" and job.summary["合伙人"] == 1
    assert f"#{approval.pk}" in job.summary["结果"]
    assert f"#{approval.pk}" in client.get(reverse("console:job", args=[job.pk])).content.decode()
    propose()
    assert ApprovalRequest.objects.count() == 1  # no second proposal
    approvals.approve(request_id=approval.pk, actor=finance_user())
    assert TeamBonus.objects.get().amount_fen == 300
    assert "已发放" in propose().summary["结果"]  # again: nothing more
    assert TeamBonus.objects.count() == 1 and Transaction.objects.filter(kind="team_bonus").count() == 1
    assert "已经发放过" in client.get(run_url).content.decode()

    listing = client.get("/admin/commissions/teambonus/", {"month": period.label})
    assert listing.status_code == 200 and tree["P"].code in listing.content.decode()
    assert run_url in listing.content.decode()
    bonus = TeamBonus.objects.get()
    assert client.get(f"/admin/commissions/teambonus/{bonus.pk}/change/").status_code == 200
    assert client.get("/admin/commissions/teambonus/add/").status_code == 403


def test_admin_run_page_needs_the_plan_permissions(client, tree):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from fenxiao.console.models import BackgroundJob

    for name, status in (("财务", 403), ("运营", 200)):
        user = UserFactory(is_staff=True)
        user.groups.add(Group.objects.get(name=name))
        client.force_login(user)
        assert client.get("/admin/commissions/teambonus/run/").status_code == status
        started = client.post(reverse("console:start_job", args=["commissions.team_bonus"]), {"month": "2001-01"})
        assert started.status_code == (403 if status == 403 else 302)
    assert BackgroundJob.objects.get().requested_by.groups.filter(name="运营").exists()  # only operations started one
    # operations staff see the bonus list through the plan permissions
    assert client.get("/admin/commissions/teambonus/").status_code == 200
