"""The payment provider's edges: no request inside a transaction, refunds that survive a failed call,
refused notifications kept in bounded form, and a second real payment put in front of finance."""

import hashlib
import json
import logging
import secrets
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fenxiao.payments import services, tasks, wechatpay
from fenxiao.payments.models import Notification, Payment, PaymentDuplicate, PaymentRefusal, Refund
from tests.factories import StaffFactory

from .conftest import NOTIFY_PATH, REFUND_NOTIFY_PATH

S = Payment.Status
Outcome = Notification.Outcome
REFUNDS = "/v3/refund/domestic/refunds"


def paid(wechat, client, *, transaction_id="4200000000000000000000000100", amount_fen=10000):
    payment = wechat.pay(amount_fen=amount_fen)
    assert wechat.notify(client, wechat.transaction_body(payment, transaction_id=transaction_id)).status_code == 204
    payment.refresh_from_db()
    assert (payment.status, payment.provider_txn_id) == (S.SUCCEEDED, transaction_id)
    return payment


# --- no provider call inside a transaction -----------------------------------------------------


@pytest.mark.django_db
def test_the_adapter_refuses_to_call_inside_a_transaction(wechat, handler):
    conf = wechatpay.load_config()
    with transaction.atomic():
        with pytest.raises(wechatpay.ProviderCallInTransaction):
            wechatpay.call(conf, "POST", "/v3/pay/transactions/jsapi", {"out_trade_no": "X"})
        with pytest.raises(wechatpay.ProviderCallInTransaction):
            wechat.pay(reference="in-a-transaction")
    assert wechat.fake.requests == []
    assert not Payment.objects.filter(reference="in-a-transaction").exists()
    wechatpay.call(conf, "POST", f"/v3/pay/transactions/out-trade-no/{'P' * 20}/close", {"mchid": conf.mchid})
    assert len(wechat.fake.requests) == 1  # outside: sent


def test_autocommit_switched_off_by_hand_counts_as_a_transaction(transactional_db, wechat):
    conf = wechatpay.load_config()
    assert wechatpay.in_transaction() is False
    transaction.set_autocommit(False)
    try:
        assert wechatpay.in_transaction() is True
        with pytest.raises(wechatpay.ProviderCallInTransaction):
            wechatpay.call(conf, "POST", f"/v3/pay/transactions/out-trade-no/{'Q' * 20}/close", {"mchid": conf.mchid})
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
    assert wechat.fake.requests == []


def test_every_provider_call_of_a_refund_runs_after_commit(transactional_db, wechat, handler, client, monkeypatch):
    import httpx

    states = []
    send = httpx.Client.request

    def watched(self, method, url, *args, **kwargs):
        states.append((httpx.URL(url).path, connection.in_atomic_block, connection.get_autocommit()))
        return send(self, method, url, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "request", watched)
    payment = paid(wechat, client)
    with transaction.atomic():  # e.g. the caller's request-wide transaction
        services.refund_payment(payment_id=payment.pk, amount_fen=2500, reason="退货", idempotency_key="rf-after-commit")
        assert [path for path, *_ in states] == ["/v3/pay/transactions/jsapi"]  # nothing sent yet
    assert states[1:] == [(REFUNDS, False, True)]


# --- refunds survive a failed call ---------------------------------------------------------------


def test_a_refund_without_answer_stays_pending_and_the_job_sends_it_again(transactional_db, wechat, handler, client):
    payment = paid(wechat, client)
    wechat.fake.unavailable_next = 1
    refund = services.refund_payment(payment_id=payment.pk, amount_fen=4000, reason="质量问题", idempotency_key="rf-retry")
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == (Refund.Status.PENDING, "")
    payment.refresh_from_db()
    assert payment.refunded_fen == 4000  # still reserved: never lost, never refundable twice

    assert tasks.resend_pending_refunds(now=timezone.now()) == {"refunds_resent": 0}  # too fresh: its own call may be under way
    assert tasks.resend_pending_refunds(now=timezone.now() + timedelta(minutes=5)) == {"refunds_resent": 1}
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and refund.provider_refund_id  # WeChat Pay has it (PROCESSING)
    sent = [r.body["out_refund_no"] for r in wechat.fake.requests if r.path == REFUNDS]
    assert sent == [refund.out_refund_no, refund.out_refund_no]
    assert tasks.resend_pending_refunds(now=timezone.now() + timedelta(minutes=10)) == {"refunds_resent": 0}

    body = wechat.refund_body(refund)
    assert wechat.notify(client, body, path=REFUND_NOTIFY_PATH).status_code == 204
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and handler.refunded == [refund.pk]
    assert (Refund.objects.count(), payment.refunded_fen) == (1, 4000)


# --- refused notifications are counted, not stored -----------------------------------------------


@pytest.mark.django_db
def test_a_flood_of_random_posts_stores_a_bounded_amount(wechat, handler, client, caplog):
    bodies = [secrets.token_bytes(45 * 1024).hex()[: 60 * 1024].encode() for _ in range(4)]
    with caplog.at_level(logging.INFO):
        for i in range(500):
            response = client.post(NOTIFY_PATH, data=bodies[i % 4], content_type="application/json")
            assert response.status_code == 401
    assert not Notification.objects.exists()
    row = PaymentRefusal.objects.get()
    assert (row.reason, row.count, row.total_bytes, row.source_address) == (Outcome.FORGED, 500, 500 * 60 * 1024, "127.0.0.1")
    assert (len(row.sample), row.sample_length) == (2048, 60 * 1024)
    assert row.sample == bodies[0][:2048].decode()
    stored = sum(len(r.sample) + len(r.sample_sha256) + len(json.dumps(r.sample_headers)) for r in PaymentRefusal.objects.all())
    assert stored < 4 * 1024
    # logging is rate-limited: the 1st, 10th and 100th refusal of the hour, and no line per request from Django
    refusal_lines = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [r.getMessage().split("(")[1].split(" ")[0] for r in refusal_lines] == ["1", "10", "100"]
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.django_db
def test_refusals_are_counted_per_reason_source_and_hour(wechat, handler, client):
    payment = wechat.pay()
    body = wechat.transaction_body(payment)
    client.post(NOTIFY_PATH, data=b"x", content_type="application/json", REMOTE_ADDR="203.0.113.7")
    client.post(NOTIFY_PATH, data=b"y", content_type="application/json", REMOTE_ADDR="203.0.113.7")
    client.post(NOTIFY_PATH, data=b"z", content_type="application/json", REMOTE_ADDR="198.51.100.1")
    response = client.post(NOTIFY_PATH, data=b"{" + b" " * (64 * 1024) + b"}", content_type="application/json")
    assert response.status_code == 413
    wechat.notify(client, body, timestamp=int(timezone.now().timestamp()) - 3600)
    services.record_refusal(
        reason=Outcome.FORGED, body=b"later", source_address="203.0.113.7", now=timezone.now() + timedelta(hours=1)
    )
    rows = list(
        PaymentRefusal.objects.order_by("hour", "reason", "source_address").values_list("reason", "source_address", "count")
    )
    assert rows == [
        (Outcome.FORGED, "198.51.100.1", 1),
        (Outcome.FORGED, "203.0.113.7", 2),
        (Outcome.STALE, "127.0.0.1", 1),
        (Outcome.TOO_LARGE, "127.0.0.1", 1),
        (Outcome.FORGED, "203.0.113.7", 1),
    ]
    assert PaymentRefusal.objects.get(reason=Outcome.TOO_LARGE).sample_length == 64 * 1024 + 2
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_binary_junk_with_nul_bytes_is_counted_on_any_database(wechat, handler, client):
    junk = b"\x00\xff{" * 100
    response = client.post(NOTIFY_PATH, data=junk, content_type="application/json", HTTP_WECHATPAY_SERIAL="\x00AB")
    assert response.status_code == 401
    row = PaymentRefusal.objects.get()
    assert (row.count, row.sample_length, row.sample_sha256) == (1, 300, hashlib.sha256(junk).hexdigest())
    assert "\x00" not in row.sample and row.sample.startswith("\ufffd\ufffd{")


# --- a second real payment ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_transaction_for_a_paid_payment_is_recorded_alerted_and_acknowledged(wechat, handler, client, caplog):
    payment = paid(wechat, client, transaction_id="4200000000000000000000000111")
    second = wechat.transaction_body(payment, transaction_id="4200000000000000000000000222", event_id="EV-SECOND")
    with caplog.at_level(logging.ERROR, logger="fenxiao.payments.services"):
        assert wechat.notify(client, second).status_code == 204  # WeChat Pay stops retrying
    assert wechat.notify(client, second).status_code == 204  # a retry of the same event
    again = wechat.transaction_body(payment, transaction_id="4200000000000000000000000222", event_id="EV-SECOND-COPY")
    assert wechat.notify(client, again).status_code == 204  # the same transaction under another event id

    payment.refresh_from_db()
    assert (payment.status, payment.provider_txn_id, payment.refunded_fen) == (S.SUCCEEDED, "4200000000000000000000000111", 0)
    assert handler.paid == [payment.pk]
    duplicate = PaymentDuplicate.objects.get()
    assert (
        duplicate.payment_id,
        duplicate.kind,
        duplicate.provider_txn_id,
        duplicate.amount_fen,
        duplicate.status,
        duplicate.notification_id,
    ) == (payment.pk, "second_transaction", "4200000000000000000000000222", 10000, "open", "EV-SECOND")
    assert list(Notification.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.APPLIED,
        Outcome.DUPLICATE_PAYMENT,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE_PAYMENT,
    ]
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "DUPLICATE PAYMENT" in r.getMessage()]
    assert len(alerts) == 1 and "4200000000000000000000000222" in alerts[0].getMessage()
    assert Refund.objects.count() == 0  # finance decides: refunded in the merchant platform or reconciled


@pytest.mark.django_db
def test_finance_finds_open_duplicates_in_the_admin_and_marks_them_handled(wechat, handler, client):
    payment = paid(wechat, client, transaction_id="4200000000000000000000000333")
    wechat.notify(client, wechat.transaction_body(payment, transaction_id="4200000000000000000000000444"))
    duplicate = PaymentDuplicate.objects.get()
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:payments_paymentduplicate_changelist")
    response = client.get(url, {"status__exact": "open"})
    assert response.status_code == 200 and b"4200000000000000000000000444" in response.content
    assert client.get(reverse("admin:payments_paymentduplicate_change", args=[duplicate.pk])).status_code == 200
    response = client.post(url, {"action": "mark_resolved", "_selected_action": [duplicate.pk]})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.resolved_by_id) == ("resolved", staff.pk) and duplicate.resolved_at
    assert b"4200000000000000000000000444" not in client.get(url, {"status__exact": "open"}).content


@pytest.mark.django_db
def test_refusal_counters_render_in_the_admin(wechat, handler, client):
    client.post(NOTIFY_PATH, data=b"junk", content_type="application/json")
    client.force_login(StaffFactory())
    response = client.get(reverse("admin:payments_paymentrefusal_changelist"), {"reason__exact": "forged"})
    assert response.status_code == 200
    row = PaymentRefusal.objects.get()
    assert client.get(reverse("admin:payments_paymentrefusal_change", args=[row.pk])).status_code == 200


def test_resolving_needs_a_note():
    from fenxiao.payments.errors import PaymentError

    with pytest.raises(PaymentError) as exc:
        services.resolve_duplicate(duplicate_id=1, actor=None, note=" ")
    assert exc.value.code == "note_required"
