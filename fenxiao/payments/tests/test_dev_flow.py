"""The development provider: open, pay now, close; the handler runs exactly once."""

import pytest
from django.db import IntegrityError, transaction

from fenxiao.payments import services
from fenxiao.payments.errors import PaymentError
from fenxiao.payments.models import Payment, PaymentEvent
from fenxiao.payments.registry import unregister_handler

from .conftest import TEST_PURPOSE

S = Payment.Status
pytestmark = pytest.mark.django_db


def open_payment(reference="42", amount_fen=9900, **extra):
    return services.create_payment(purpose=TEST_PURPOSE, reference=reference, amount_fen=amount_fen, description="测试", **extra)


@pytest.fixture
def no_wechatpay(settings):
    for name in (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_MERCHANT_SERIAL_NO",
        "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PLATFORM_CERTS_DIR",
        "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH",
        "WECHATPAY_PLATFORM_SERIAL",
        "WECHATPAY_NOTIFY_URL",
    ):
        setattr(settings, name, "")


def test_create_then_complete_calls_on_paid_once(handler, django_user_model):
    operator = django_user_model.objects.create_user(username="op", password="x-12345678")
    payment = open_payment()
    assert payment.status == S.PENDING and payment.provider == "dev"
    assert payment.amount_fen == 9900 and payment.refunded_fen == 0
    assert 6 <= len(payment.out_trade_no) <= 32 and payment.out_trade_no.isalnum()
    assert handler.paid == []

    paid = services.complete_dev_payment(payment_id=payment.pk, actor=operator)
    assert paid.status == S.SUCCEEDED and paid.succeeded_at is not None
    assert paid.provider_txn_id
    assert handler.paid == [payment.pk]

    again = services.complete_dev_payment(payment_id=payment.pk, actor=operator)
    assert again.pk == payment.pk and again.status == S.SUCCEEDED
    assert again.succeeded_at == paid.succeeded_at
    assert handler.paid == [payment.pk]  # not called a second time

    events = list(PaymentEvent.objects.filter(payment=payment).order_by("id").values_list("from_status", "to_status", "actor"))
    assert events == [("", S.PENDING, None), (S.PENDING, S.SUCCEEDED, operator.pk)]


def test_open_payment_is_reused_for_the_same_amount(handler):
    first = open_payment()
    assert open_payment().pk == first.pk
    with pytest.raises(PaymentError) as exc:
        open_payment(amount_fen=9800)
    assert exc.value.code == "payment_open" and exc.value.status == 409
    assert Payment.objects.filter(purpose=TEST_PURPOSE, reference="42").count() == 1


def test_paid_reference_cannot_be_paid_again(handler):
    payment = open_payment()
    services.complete_dev_payment(payment_id=payment.pk)
    with pytest.raises(PaymentError) as exc:
        open_payment()
    assert exc.value.code == "already_paid"


def test_closed_payment_frees_the_reference_and_cannot_be_paid(handler):
    payment = open_payment()
    closed = services.close_payment(payment_id=payment.pk)
    assert closed.status == S.CLOSED and closed.closed_at is not None
    assert services.close_payment(payment_id=payment.pk).status == S.CLOSED  # closing again changes nothing
    with pytest.raises(PaymentError) as exc:
        services.complete_dev_payment(payment_id=payment.pk)
    assert exc.value.code == "invalid_transition"
    assert handler.paid == []
    fresh = open_payment()
    assert fresh.pk != payment.pk and fresh.status == S.PENDING


def test_succeeded_payment_cannot_be_closed(handler):
    payment = open_payment()
    services.complete_dev_payment(payment_id=payment.pk)
    with pytest.raises(PaymentError) as exc:
        services.close_payment(payment_id=payment.pk)
    assert exc.value.code == "invalid_transition" and exc.value.status == 409


def test_a_failing_handler_leaves_the_payment_pending(handler):
    payment = open_payment()
    handler.fail_with = RuntimeError("the order refused")
    with pytest.raises(RuntimeError):
        services.complete_dev_payment(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.status == S.PENDING and payment.succeeded_at is None
    assert not PaymentEvent.objects.filter(payment=payment, to_status=S.SUCCEEDED).exists()
    handler.fail_with = None
    assert services.complete_dev_payment(payment_id=payment.pk).status == S.SUCCEEDED


def test_no_handler_refuses_to_succeed(handler):
    payment = open_payment()
    unregister_handler(TEST_PURPOSE)
    with pytest.raises(PaymentError) as exc:
        services.complete_dev_payment(payment_id=payment.pk)
    assert exc.value.code == "no_handler"
    payment.refresh_from_db()
    assert payment.status == S.PENDING


def test_complete_refuses_other_providers(handler):
    payment = Payment.objects.create(
        purpose=TEST_PURPOSE, reference="7", provider="wechatpay", out_trade_no="PWX0001", amount_fen=100
    )
    with pytest.raises(PaymentError) as exc:
        services.complete_dev_payment(payment_id=payment.pk)
    assert exc.value.code == "not_dev"
    payment.refresh_from_db()
    assert payment.status == S.PENDING and handler.paid == []


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100", None])
def test_amount_must_be_positive_integer_fen(handler, amount):
    with pytest.raises(PaymentError) as exc:
        open_payment(amount_fen=amount)
    assert exc.value.code == "invalid_amount" and exc.value.status == 422
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"purpose": "Bad Purpose"}, "invalid_purpose"),
        ({"reference": ""}, "invalid_reference"),
        ({"reference": "x" * 65}, "invalid_reference"),
        ({"provider": "alipay"}, "unknown_provider"),
    ],
)
def test_create_validates_its_arguments(handler, kwargs, code):
    args = {"purpose": TEST_PURPOSE, "reference": "1", "amount_fen": 100, "description": "x", **kwargs}
    with pytest.raises(PaymentError) as exc:
        services.create_payment(**args)
    assert exc.value.code == code


def test_wechatpay_unavailable_until_configured(handler, no_wechatpay):
    with pytest.raises(PaymentError) as exc:
        open_payment(provider="wechatpay", payer_openid="openid")
    assert exc.value.code == "provider_not_configured"
    assert "WECHATPAY_MCHID" in exc.value.detail["missing"]
    assert not Payment.objects.exists()


def test_transition_table_has_no_way_out_of_final_states():
    assert services.TRANSITIONS[S.PENDING] == {S.SUCCEEDED, S.CLOSED, S.FAILED}
    for final in (S.SUCCEEDED, S.CLOSED, S.FAILED):
        assert services.TRANSITIONS[final] == set()


def test_database_keeps_one_open_payment_per_reference(handler):
    open_payment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(purpose=TEST_PURPOSE, reference="42", provider="dev", out_trade_no="PDUP1", amount_fen=9900)
    # a closed one does not count
    Payment.objects.create(
        purpose=TEST_PURPOSE, reference="42", provider="dev", out_trade_no="PDUP2", amount_fen=9900, status=S.CLOSED
    )


def test_database_refuses_refunded_above_amount_and_non_positive_amounts(handler):
    payment = open_payment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_fen=9901)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(purpose=TEST_PURPOSE, reference="43", provider="dev", out_trade_no="PZERO", amount_fen=0)


def test_dev_provider_is_refused_when_switched_off(settings, db):
    from fenxiao.payments.errors import PaymentError
    from fenxiao.payments.services import create_payment

    settings.FENXIAO_DEV_PAYMENTS = False
    with pytest.raises(PaymentError) as exc:
        create_payment(purpose="order", reference="1", amount_fen=100, description="x", provider="dev")
    assert exc.value.code == "provider_not_available"
