"""Kill -9 drills: a real process is killed inside its transaction in the middle of the settlement
batch, of a payment notification and of the unpaid-order sweep; the work is then run again, and
nothing is lost or counted twice (the ledger check passes and every figure is exact).

They need PostgreSQL: SQLite takes its write lock at BEGIN, so no second connection can hold a
process at a row in the middle of its work."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.commissions.models import Commission, SettlementBatch
from fenxiao.commissions.services import available_account, ensure_distributor_accounts, pending_account
from fenxiao.distribution.services import bind_customer
from fenxiao.inventory.models import Reservation, StockMovement, StockRecord
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order, OrderEvent, Shipment
from fenxiao.payments.models import Payment
from fenxiao.payments.tests.conftest import NOTIFY_PATH, OPENID
from tests.factories import (
    ADDRESS,
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    ProductFactory,
    SkuFactory,
    StaffFactory,
    UserFactory,
)

from . import drill

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the drills hold a process at a row lock mid-transaction: PostgreSQL only")


@pytest.fixture
def shop(db):
    level = LevelFactory(rank=1, name="普通分销商", direct_rate_bp=2000, indirect_rate_bp=500)
    upline = DistributorFactory(level=level)
    distributor = DistributorFactory(level=level, inviter=upline)
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=distributor)
    serum = SkuFactory(
        product=ProductFactory(category=CategoryFactory(slug="beauty", name="美妆")),
        retail_fen=15000,
        suggested_retail_fen=15000,
        control_fen=12900,
        cost_fen=5000,
        stock=100,
    )
    return type("Shop", (), {"distributor": distributor, "upline": upline, "buyer": buyer, "serum": serum})


def sound() -> None:
    assert [v.message for v in ledger_selectors.violations()] == []


def test_settlement_killed_inside_its_batch_then_rerun_settles_each_commission_once(shop):
    operator = StaffFactory(is_superuser=True)
    completed_at = timezone.now() - timedelta(days=10)
    for quantity in (1, 2, 3):
        order = orders.place_order(user=shop.buyer, items=[(shop.serum.pk, quantity)], address=dict(ADDRESS))
        orders.pay_with_dev_provider(user=shop.buyer, order_id=order.pk)
        orders.ship_order(order_id=order.pk, actor=operator, tracking_company="SF", tracking_number=f"SF{order.pk}")
        orders.confirm_receipt(order_id=order.pk, user=shop.buyer)
        Order.objects.filter(pk=order.pk).update(received_at=completed_at - timedelta(days=8))
        Shipment.objects.filter(order_id=order.pk).update(received_at=completed_at - timedelta(days=8))
        assert orders.complete_orders(now=completed_at) == 1
    # 6 serums: direct 20% of ¥150 = ¥30 each, indirect 5% = ¥7.50 each
    direct, indirect = 6 * 3000, 6 * 750
    assert ledger_selectors.balance(pending_account(shop.distributor.pk)) == direct

    # The batch posts to the earners' accounts last; holding the distributor's available account
    # stops it there, after the batch row and the commission rows were written.
    with drill.row_locks(
        "SELECT id FROM ledger_account WHERE code = %s FOR UPDATE", (available_account(shop.distributor.pk),)
    ) as holder:
        victim = drill.manage("run_settlement")
        backend = drill.wait_blocked(holder, victim)
        assert drill.in_transaction(backend), "the batch had not written anything yet"
        drill.kill9(victim)
    drill.wait_backend_gone(backend)

    assert not SettlementBatch.objects.exists()
    assert not Commission.objects.filter(status=Commission.Status.SETTLED).exists()
    assert ledger_selectors.balance(available_account(shop.distributor.pk)) == 0
    sound()

    out = drill.finish(drill.manage("run_settlement"))
    assert "commissions=6 distributors=2" in out, out
    again = drill.finish(drill.manage("run_settlement"))
    assert "already settled" in again, again

    batch = SettlementBatch.objects.get()
    assert batch.amount_fen == direct + indirect and batch.distributor_count == 2
    assert Commission.objects.filter(status=Commission.Status.SETTLED).count() == Commission.objects.count() == 6
    assert ledger_selectors.balance(available_account(shop.distributor.pk)) == direct
    assert ledger_selectors.balance(available_account(shop.upline.pk)) == indirect
    assert ledger_selectors.balance(pending_account(shop.distributor.pk)) == 0
    assert Transaction.objects.filter(idempotency_key__startswith="commission:settle-batch:").count() == 1
    sound()


def test_unpaid_sweep_killed_midway_then_rerun_cancels_each_order_once(shop):
    skus = [shop.serum] + [
        SkuFactory(product=ProductFactory(category=shop.serum.product.category), retail_fen=5000, cost_fen=2000, stock=10)
        for _ in range(2)
    ]
    placed = [orders.place_order(user=shop.buyer, items=[(sku.pk, 2)], address=dict(ADDRESS)) for sku in skus]
    Order.objects.filter(pk__in=[o.pk for o in placed]).update(expires_at=timezone.now() - timedelta(minutes=1))
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert sum(StockRecord.objects.values_list("reserved", flat=True)) == 6

    # The sweep takes the orders one by one, each in its own transaction; the stock row of the one it
    # takes last is held, so two are cancelled and committed and the last dies half done.
    sweep_order = list(Order.objects.filter(pk__in=[o.pk for o in placed]).values_list("pk", flat=True))
    last = Order.objects.get(pk=sweep_order[-1])
    last_sku = last.lines.get().sku_id
    with drill.row_locks("SELECT id FROM inventory_stockrecord WHERE sku_id = %s FOR UPDATE", (last_sku,)) as holder:
        victim = drill.manage("run_order_jobs", "expire")
        backend = drill.wait_blocked(holder, victim)
        drill.kill9(victim)
    drill.wait_backend_gone(backend)

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in sweep_order[:2]] == [Order.Status.CANCELLED] * 2
    assert statuses[last.pk] == Order.Status.PENDING_PAYMENT
    assert StockRecord.objects.get(sku_id=last_sku).reserved == 2

    out = drill.finish(drill.manage("run_order_jobs", "expire"))
    assert "expire=1" in out, out
    assert "expire=0" in drill.finish(drill.manage("run_order_jobs", "expire"))

    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    assert sum(StockRecord.objects.values_list("reserved", flat=True)) == 0
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).count() == 3
    for order in placed:
        assert OrderEvent.objects.filter(order=order, to_status=Order.Status.CANCELLED).count() == 1
    sound()


# --- a payment notification, in a real server process ---------------------------------------------


def _server(settings) -> tuple:
    port = drill.free_port()
    env = drill.child_env(
        **{
            name: str(getattr(settings, name))
            for name in (
                "WECHATPAY_MCHID",
                "WECHATPAY_APPID",
                "WECHATPAY_MERCHANT_SERIAL_NO",
                "WECHATPAY_PRIVATE_KEY_PATH",
                "WECHATPAY_APIV3_KEY",
                "WECHATPAY_PLATFORM_CERTS_DIR",
                "WECHATPAY_NOTIFY_URL",
                "WECHATPAY_API_BASE",
            )
        }
    )
    env["FENXIAO_COMMISSION_ACCRUAL"] = "inline"  # no task worker runs here: the server accrues after the commit
    proc = drill.manage("runserver", f"127.0.0.1:{port}", "--noreload", env=env)
    drill.wait_listening(port, proc)
    return proc, f"http://127.0.0.1:{port}{NOTIFY_PATH}"


def _kill_while_notified(settings, wechat, body, lock_sql: str, params: tuple, *, in_transaction: bool) -> None:
    """Send the notification to a fresh server and kill -9 it while it waits for a row this test holds."""
    server, url = _server(settings)
    try:
        with drill.row_locks(lock_sql, params) as holder:
            with httpx.Client(timeout=drill.WAIT_SECONDS) as client:
                sent = threading.Thread(target=lambda: _post_ignoring_disconnect(client, url, body, wechat.headers(body)))
                sent.start()
                backend = drill.wait_blocked(holder, server)
                if in_transaction:
                    assert drill.in_transaction(backend)
                drill.kill9(server)
                sent.join(drill.WAIT_SECONDS)
        drill.wait_backend_gone(backend)
    finally:
        if server.poll() is None:
            drill.kill9(server)


def _assert_paid_once_with_commissions(shop, order, payment) -> None:
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert sorted(Commission.objects.values_list("amount_fen", flat=True)) == [1500, 6000]
    assert ledger_selectors.balance(pending_account(shop.distributor.pk)) == 6000
    assert ledger_selectors.balance(pending_account(shop.upline.pk)) == 1500
    assert StockRecord.objects.get(sku=shop.serum).reserved == 2
    sound()


def test_server_killed_while_applying_a_payment_notification_then_the_retry_pays_once(shop, wechat, settings):
    order = orders.place_order(user=shop.buyer, items=[(shop.serum.pk, 2)], address=dict(ADDRESS))
    payment = orders.start_payment(user=shop.buyer, order_id=order.pk, provider="wechatpay", payer_openid=OPENID)
    body = wechat.transaction_body(payment)
    ensure_distributor_accounts([shop.distributor.pk, shop.upline.pk])  # as after any earlier sale

    # Applying the payment marks it paid and confirms the order in one transaction; the order row is
    # held, so the server dies inside that transaction, after the payment's conditional update.
    _kill_while_notified(
        settings, wechat, body, "SELECT id FROM orders_order WHERE id = %s FOR UPDATE", (order.pk,), in_transaction=True
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING and payment.provider_txn_id == ""
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert not Commission.objects.exists()
    sound()

    # WeChat Pay sends the notification again until it is acknowledged.
    server, url = _server(settings)
    try:
        with httpx.Client(timeout=drill.WAIT_SECONDS) as client:
            first = client.post(url, content=body, headers={**wechat.headers(body), "Content-Type": "application/json"})
            assert first.status_code == 204, first.text
            again = client.post(url, content=body, headers={**wechat.headers(body), "Content-Type": "application/json"})
            assert again.status_code == 204, again.text
    finally:
        drill.kill9(server)
    _assert_paid_once_with_commissions(shop, order, payment)


def test_server_killed_while_accruing_after_a_payment_then_the_job_accrues_once(shop, wechat, settings):
    order = orders.place_order(user=shop.buyer, items=[(shop.serum.pk, 2)], address=dict(ADDRESS))
    payment = orders.start_payment(user=shop.buyer, order_id=order.pk, provider="wechatpay", payer_openid=OPENID)
    body = wechat.transaction_body(payment)
    ensure_distributor_accounts([shop.distributor.pk, shop.upline.pk])

    # The payment commits first; the accrual that follows it posts to the distributor's pending
    # account, which is held, so the server dies after the payment and before any commission.
    _kill_while_notified(
        settings,
        wechat,
        body,
        "SELECT id FROM ledger_account WHERE code = %s FOR UPDATE",
        (pending_account(shop.distributor.pk),),
        in_transaction=False,
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert not Commission.objects.exists()
    sound()

    # The accrual job (every minute, or a worker) picks the order up once; a second run finds nothing.
    drill.finish(drill.manage("accrue_commissions"))
    _assert_paid_once_with_commissions(shop, order, payment)
    drill.finish(drill.manage("accrue_commissions"))
    assert Commission.objects.count() == 2


def _post_ignoring_disconnect(client, url, body, headers):
    try:
        client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
    except httpx.HTTPError:
        pass  # the server was killed while it held the request
