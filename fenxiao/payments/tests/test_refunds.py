"""Refund limits, idempotency and concurrency (dev provider: refunds succeed at once)."""

import pytest

from fenxiao.payments import services
from fenxiao.payments.errors import PaymentError
from fenxiao.payments.models import Payment, Refund

from .conftest import TEST_PURPOSE, run_in_threads


def paid_payment(amount_fen=10000, reference="r1"):
    payment = services.create_payment(purpose=TEST_PURPOSE, reference=reference, amount_fen=amount_fen, description="测试")
    return services.complete_dev_payment(payment_id=payment.pk)


def refund(payment, amount_fen, key, reason="退款"):
    return services.refund_payment(payment_id=payment.pk, amount_fen=amount_fen, reason=reason, idempotency_key=key)


@pytest.mark.django_db
def test_partial_refunds_add_up_and_over_refund_is_refused(handler):
    payment = paid_payment()
    first = refund(payment, 3000, "k1")
    assert first.status == Refund.Status.SUCCEEDED and first.succeeded_at is not None
    second = refund(payment, 7000, "k2")
    assert second.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.refunded_fen == 10000
    assert handler.refunded == [first.pk, second.pk]

    with pytest.raises(PaymentError) as exc:
        refund(payment, 1, "k3")
    assert exc.value.code == "refund_exceeds_paid"
    assert exc.value.detail["refundable_fen"] == 0
    assert not Refund.objects.filter(idempotency_key="k3").exists()


@pytest.mark.django_db
def test_a_single_refund_above_the_payment_is_refused(handler):
    payment = paid_payment(amount_fen=500)
    with pytest.raises(PaymentError) as exc:
        refund(payment, 501, "big")
    assert exc.value.code == "refund_exceeds_paid"
    payment.refresh_from_db()
    assert payment.refunded_fen == 0 and handler.refunded == []
    assert refund(payment, 500, "exact").status == Refund.Status.SUCCEEDED


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, -100, 12.5, True])
def test_refund_amount_must_be_positive_integer_fen(handler, amount):
    payment = paid_payment()
    with pytest.raises(PaymentError) as exc:
        refund(payment, amount, "bad")
    assert exc.value.code == "invalid_amount"
    payment.refresh_from_db()
    assert payment.refunded_fen == 0


@pytest.mark.django_db
def test_same_key_returns_the_same_refund(handler):
    payment = paid_payment()
    first = refund(payment, 2500, "replay")
    again = refund(payment, 2500, "replay")
    assert again.pk == first.pk and again.status == Refund.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.refunded_fen == 2500
    assert handler.refunded == [first.pk]
    assert Refund.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_amount_or_payment_is_a_422(handler):
    payment = paid_payment()
    other = paid_payment(reference="r2")
    refund(payment, 2500, "once")
    for target, amount in ((payment, 2600), (other, 2500)):
        with pytest.raises(PaymentError) as exc:
            refund(target, amount, "once")
        assert exc.value.code == "idempotency_mismatch" and exc.value.status == 422
    payment.refresh_from_db()
    other.refresh_from_db()
    assert (payment.refunded_fen, other.refunded_fen) == (2500, 0)


@pytest.mark.django_db
def test_only_succeeded_payments_are_refunded(handler):
    payment = services.create_payment(purpose=TEST_PURPOSE, reference="p", amount_fen=100, description="测试")
    with pytest.raises(PaymentError) as exc:
        refund(payment, 100, "early")
    assert exc.value.code == "not_refundable"
    with pytest.raises(PaymentError) as exc:
        services.refund_payment(payment_id=987654, amount_fen=1, reason="", idempotency_key="none")
    assert exc.value.code == "payment_not_found" and exc.value.status == 404


@pytest.mark.django_db
def test_idempotency_key_is_required(handler):
    payment = paid_payment()
    for key in ("", "   ", "k" * 129):
        with pytest.raises(PaymentError) as exc:
            refund(payment, 1, key)
        assert exc.value.code == "invalid_idempotency_key"


@pytest.mark.django_db
def test_refund_handler_is_optional(handler):
    from fenxiao.payments.registry import register_handler, unregister_handler

    paid_calls = []
    register_handler("test_no_refund_hook", on_paid=paid_calls.append)
    try:
        payment = services.create_payment(purpose="test_no_refund_hook", reference="1", amount_fen=100, description="x")
        services.complete_dev_payment(payment_id=payment.pk)
        assert refund(payment, 100, "no-hook").status == Refund.Status.SUCCEEDED
    finally:
        unregister_handler("test_no_refund_hook")
    assert [p.pk for p in paid_calls] == [payment.pk]


def test_concurrent_refunds_never_exceed_the_payment(transactional_db, handler):
    payment = paid_payment(amount_fen=1000)
    results = run_in_threads(20, lambda i: refund(payment, 300, f"concurrent-{i}"))
    done = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, PaymentError)]
    assert len(done) == 3 and len(refused) == 17, results
    assert {e.code for e in refused} == {"refund_exceeds_paid"}
    payment.refresh_from_db()
    assert payment.refunded_fen == 900
    assert sum(Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED).values_list("amount_fen", flat=True)) == 900
    assert sorted(handler.refunded) == sorted(r.pk for r in done)


def test_concurrent_replays_of_one_key_refund_once(transactional_db, handler):
    payment = paid_payment(amount_fen=1000)
    results = run_in_threads(10, lambda i: refund(payment, 400, "one-key"))
    assert all(isinstance(r, Refund) for r in results), results
    assert len({r.pk for r in results}) == 1
    payment.refresh_from_db()
    assert payment.refunded_fen == 400
    assert Refund.objects.count() == 1 and len(handler.refunded) == 1


def test_concurrent_dev_completion_calls_the_handler_once(transactional_db, handler):
    payment = services.create_payment(purpose=TEST_PURPOSE, reference="race", amount_fen=100, description="测试")
    results = run_in_threads(12, lambda i: services.complete_dev_payment(payment_id=payment.pk))
    assert all(isinstance(r, Payment) and r.status == Payment.Status.SUCCEEDED for r in results), results
    assert handler.paid == [payment.pk]
