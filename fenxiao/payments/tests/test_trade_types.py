"""WeChat Pay H5 and Native beside JSAPI, against the fake API server: what is sent, what is kept for the
page, asking again under the same out_trade_no, and switching from one trade type to another without
ever leaving two payable orders for one reference."""

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from fenxiao.payments import services, wechatpay
from fenxiao.payments.errors import PaymentCode, PaymentError
from fenxiao.payments.models import Payment

from .conftest import OPENID, TEST_PURPOSE

H5 = "/v3/pay/transactions/h5"
NATIVE = "/v3/pay/transactions/native"
JSAPI = "/v3/pay/transactions/jsapi"
CLIENT_IP = "203.0.113.9"


def close_path(payment) -> str:
    return f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}/close"


def pay(trade_type, *, reference="1", amount_fen=12345, client_ip=CLIENT_IP, openid=""):
    return services.create_payment(
        purpose=TEST_PURPOSE,
        reference=reference,
        amount_fen=amount_fen,
        description="测试商品",
        provider="wechatpay",
        payer_openid=openid,
        trade_type=trade_type,
        client_ip=client_ip,
    )


def paths(wechat) -> list[str]:
    return [request.path for request in wechat.fake.requests]


@pytest.mark.django_db
def test_h5_order_sends_the_scene_and_keeps_the_link(wechat, handler):
    payment = pay("h5")

    request = wechat.fake.requests[-1]
    assert request.authorized and request.path == H5
    assert request.body["scene_info"] == {"payer_client_ip": CLIENT_IP, "h5_info": {"type": "Wap"}}
    assert "payer" not in request.body
    assert request.body["out_trade_no"] == payment.out_trade_no
    assert request.body["amount"] == {"total": 12345, "currency": "CNY"}
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.trade_type == "h5" and stored.status == Payment.Status.PENDING
    assert stored.h5_url == wechat.fake.orders[payment.out_trade_no].answers[0]
    assert stored.h5_url.startswith("https://wx.tenpay.com/") and stored.prepared_at is not None
    assert stored.prepay_id == "" and stored.code_url == ""


@pytest.mark.django_db
def test_native_order_keeps_the_qr_code_link(wechat, handler):
    payment = pay("native")

    request = wechat.fake.requests[-1]
    assert request.path == NATIVE and "payer" not in request.body and "scene_info" not in request.body
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.trade_type == "native"
    assert stored.code_url.startswith("weixin://wxpay/bizpayurl") and stored.code_url == payment.code_url
    # asked again: the same payment, nothing sent
    assert pay("native").pk == payment.pk
    assert paths(wechat) == [NATIVE]


@pytest.mark.django_db
def test_jsapi_stays_the_default_and_jsapi_params_refuse_other_trade_types(wechat, handler):
    jsapi = services.create_payment(
        purpose=TEST_PURPOSE, reference="1", amount_fen=100, description="测试商品", provider="wechatpay", payer_openid=OPENID
    )
    assert jsapi.trade_type == "jsapi" and jsapi.prepay_id
    assert services.jsapi_params(jsapi)["package"] == f"prepay_id={jsapi.prepay_id}"
    native = pay("native", reference="2")
    with pytest.raises(PaymentError) as caught:
        services.jsapi_params(native)
    assert caught.value.code == PaymentCode.NOT_PAYABLE


@pytest.mark.django_db
@pytest.mark.parametrize(("trade_type", "path", "field"), [("h5", H5, "h5_url"), ("native", NATIVE, "code_url")])
def test_no_answer_leaves_the_payment_pending_and_asking_again_reuses_the_number(wechat, handler, trade_type, path, field):
    wechat.fake.unavailable_next = 1
    with pytest.raises(PaymentError) as caught:
        pay(trade_type)
    assert caught.value.code == PaymentCode.PROVIDER_UNAVAILABLE and caught.value.status == 424
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and getattr(payment, field) == ""

    again = pay(trade_type)
    assert again.pk == payment.pk and getattr(again, field)
    assert paths(wechat) == [path, path]
    assert {request.body["out_trade_no"] for request in wechat.fake.requests} == {payment.out_trade_no}


@pytest.mark.django_db
def test_a_refused_order_that_was_never_handed_out_fails(wechat, handler):
    wechat.fake.reject_next = (400, "PARAM_ERROR", "参数错误")
    with pytest.raises(PaymentError) as caught:
        pay("native")
    assert caught.value.code == PaymentCode.PROVIDER_ERROR
    assert Payment.objects.get().status == Payment.Status.FAILED
    # the next attempt is a new payment with a new number
    second = pay("native")
    assert second.status == Payment.Status.PENDING and second.code_url
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_h5_needs_the_payer_address_and_sends_nothing_without_it(wechat, handler):
    with pytest.raises(PaymentError) as caught:
        pay("h5", client_ip="")
    assert caught.value.code == PaymentCode.CLIENT_IP_REQUIRED and caught.value.status == 422
    assert wechat.fake.requests == []
    assert Payment.objects.get().status == Payment.Status.PENDING


@pytest.mark.django_db
def test_an_unknown_trade_type_is_refused(wechat, handler):
    with pytest.raises(PaymentError) as caught:
        pay("app")
    assert caught.value.code == PaymentCode.INVALID_TRADE_TYPE
    assert not Payment.objects.exists() and wechat.fake.requests == []


@pytest.mark.django_db
def test_a_stale_h5_link_is_asked_for_again_under_the_same_number(wechat, handler):
    payment = pay("h5")
    first_link = payment.h5_url
    assert pay("h5").h5_url == first_link  # still fresh: nothing sent
    Payment.objects.filter(pk=payment.pk).update(prepared_at=timezone.now() - timedelta(minutes=5))

    again = pay("h5")
    assert again.pk == payment.pk and again.h5_url != first_link
    assert paths(wechat) == [H5, H5]
    assert wechat.fake.requests[1].body["out_trade_no"] == payment.out_trade_no


@pytest.mark.django_db
def test_no_provider_call_inside_a_transaction(wechat, handler):
    with transaction.atomic():
        with pytest.raises(wechatpay.ProviderCallInTransaction):
            pay("native")
        with pytest.raises(wechatpay.ProviderCallInTransaction):
            pay("h5")
    assert wechat.fake.requests == []


# --- switching trade types ---------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_another_trade_type_is_refused_while_one_is_open(wechat, handler):
    jsapi = pay("jsapi", openid=OPENID)
    for trade_type, openid in (("native", ""), ("h5", ""), ("jsapi", "o-another-payer")):
        with pytest.raises(PaymentError) as caught:
            services.open_payment(
                purpose=TEST_PURPOSE,
                reference="1",
                amount_fen=12345,
                description="测试商品",
                provider="wechatpay",
                trade_type=trade_type,
                payer_openid=openid,
            )
        assert caught.value.code == PaymentCode.PAYMENT_OPEN
    assert Payment.objects.get().pk == jsapi.pk


@pytest.mark.django_db
def test_switching_closes_the_handed_out_order_at_wechatpay_first(wechat, handler):
    jsapi = pay("jsapi", openid=OPENID)
    assert services.release_needed(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="native")
    assert not services.release_needed(
        purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="jsapi", payer_openid=OPENID
    )

    closed = services.release_other_payment(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="native")
    assert closed.pk == jsapi.pk and closed.status == Payment.Status.CLOSED
    native = pay("native")
    assert native.pk != jsapi.pk and native.out_trade_no != jsapi.out_trade_no
    assert paths(wechat) == [JSAPI, close_path(jsapi), NATIVE]
    assert wechat.fake.orders[jsapi.out_trade_no].state == "CLOSED"
    # at most one payable order at any moment
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 1


@pytest.mark.django_db
def test_a_payment_never_handed_out_is_closed_without_asking(wechat, handler):
    wechat.fake.unavailable_next = 1
    with pytest.raises(PaymentError):
        pay("native")
    services.release_other_payment(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="h5")
    assert Payment.objects.get().status == Payment.Status.CLOSED
    assert paths(wechat) == [NATIVE]  # the failed ask only


@pytest.mark.django_db
def test_when_wechatpay_cannot_close_the_old_order_it_stays_and_nothing_new_opens(wechat, handler):
    native = pay("native")
    wechat.fake.unavailable_next = 1
    with pytest.raises(PaymentError) as caught:
        services.release_other_payment(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="h5")
    assert caught.value.code == PaymentCode.PROVIDER_UNAVAILABLE
    assert Payment.objects.get().pk == native.pk and Payment.objects.get().status == Payment.Status.PENDING
    with pytest.raises(PaymentError) as caught:
        pay("h5")
    assert caught.value.code == PaymentCode.PAYMENT_OPEN


@pytest.mark.django_db
def test_an_order_paid_meanwhile_is_not_closed_and_the_notification_marks_it_paid(wechat, handler, client):
    native = pay("native")
    wechat.fake.mark_paid(native.out_trade_no)
    with pytest.raises(PaymentError) as caught:
        services.release_other_payment(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="h5")
    assert caught.value.code == PaymentCode.ALREADY_PAID
    assert Payment.objects.get().status == Payment.Status.PENDING

    assert wechat.notify(client, wechat.transaction_body(native)).status_code == 204
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert handler.paid == [native.pk]


@pytest.mark.django_db(transaction=True)
def test_an_answer_arriving_after_the_payment_closed_is_never_handed_out(wechat, handler):
    payment = services.open_payment(
        purpose=TEST_PURPOSE, reference="1", amount_fen=500, description="测试商品", provider="wechatpay", trade_type="native"
    )
    wechat.fake.hold = threading.Event()
    outcome = {}

    def prepare():
        try:
            services.prepare_payment(Payment.objects.get(pk=payment.pk))
        except PaymentError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=prepare)
    worker.start()
    assert wechat.fake.held.wait(timeout=10)
    # meanwhile the payer switched: nothing was handed out yet, so it closes here only
    services.release_other_payment(purpose=TEST_PURPOSE, reference="1", provider="wechatpay", trade_type="h5")
    wechat.fake.hold.set()
    worker.join(timeout=20)

    assert outcome["error"].code == PaymentCode.NOT_PAYABLE
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.status == Payment.Status.CLOSED and stored.code_url == ""
    # the order WeChat Pay placed meanwhile was closed there as well
    assert paths(wechat) == [NATIVE, close_path(payment)]
    assert wechat.fake.orders[payment.out_trade_no].state == "CLOSED"


@pytest.mark.django_db
def test_the_fake_refuses_another_trade_type_under_the_same_number(wechat, handler):
    native = pay("native")
    conf = wechatpay.load_config()
    body = {
        "appid": conf.appid,
        "mchid": conf.mchid,
        "description": "x",
        "out_trade_no": native.out_trade_no,
        "notify_url": conf.notify_url,
        "amount": {"total": native.amount_fen, "currency": "CNY"},
        "scene_info": {"payer_client_ip": CLIENT_IP, "h5_info": {"type": "Wap"}},
    }
    with pytest.raises(wechatpay.ProviderRejected) as caught:
        wechatpay.call(conf, "POST", H5, body)
    assert caught.value.code == "INVALID_REQUEST"
