from __future__ import annotations

import json
import secrets
import string
import threading
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from django.db import connection

from fenxiao.payments import services
from fenxiao.payments.registry import register_handler, unregister_handler

from .fake_wechatpay import (
    FakeWeChatPay,
    certificate_pem,
    encrypt_resource,
    new_rsa_key,
    private_pem,
    public_pem,
    signed_headers,
)

TEST_PURPOSE = "test_purchase"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NOTIFY_PATH = "/api/v1/payments/wechatpay/notify"
REFUND_NOTIFY_PATH = "/api/v1/payments/wechatpay/refund-notify"


class HandlerCalls:
    """Records every on_paid / on_refunded call (from any thread); can be told to fail."""

    def __init__(self):
        self.paid: list[int] = []
        self.refunded: list[int] = []
        self.fail_with: Exception | None = None
        self._lock = threading.Lock()

    def on_paid(self, payment):
        with self._lock:
            self.paid.append(payment.pk)
        if self.fail_with is not None:
            raise self.fail_with

    def on_refunded(self, refund):
        with self._lock:
            self.refunded.append(refund.pk)


@pytest.fixture
def handler():
    """A purpose of the tests' own, registered like an app does in its ready()."""
    calls = HandlerCalls()
    register_handler(TEST_PURPOSE, on_paid=calls.on_paid, on_refunded=calls.on_refunded)
    yield calls
    unregister_handler(TEST_PURPOSE)


def run_in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released together; each closes its own connection. Returns
    each thread's result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- WeChat Pay ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wechat_keys():
    """Generated for this test run: merchant key, platform key, a stranger's key, APIv3 key."""
    alphabet = string.ascii_letters + string.digits
    return SimpleNamespace(
        merchant=new_rsa_key(),
        platform=new_rsa_key(),
        stranger=new_rsa_key(),
        apiv3="".join(secrets.choice(alphabet) for _ in range(32)),
        platform_serial_int=secrets.randbits(150) | (1 << 149),
        merchant_serial="".join(secrets.choice("0123456789ABCDEF") for _ in range(40)),
    )


class WeChatKit:
    """The test side of WeChat Pay: the fake API server and notifications built as WeChat Pay does."""

    def __init__(self, keys, fake: FakeWeChatPay, mchid: str, appid: str):
        self.keys = keys
        self.fake = fake
        self.mchid = mchid
        self.appid = appid
        self.apiv3 = keys.apiv3.encode()
        self.platform_serial = fake.platform_serial

    def pay(self, *, reference="1", amount_fen=12345):
        return services.create_payment(
            purpose=TEST_PURPOSE,
            reference=reference,
            amount_fen=amount_fen,
            description="测试商品",
            provider="wechatpay",
            payer_openid=OPENID,
        )

    def envelope(
        self, event_type: str, resource: dict, *, original_type: str, event_id: str | None = None, apiv3: bytes | None = None
    ) -> bytes:
        tz = timezone(timedelta(hours=8))
        body = {
            "id": event_id or f"EV-{uuid.uuid4()}",
            "create_time": datetime.now(tz).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "退款结果",
            "resource": encrypt_resource(
                apiv3 or self.apiv3, resource, original_type=original_type, associated_data=original_type
            ),
        }
        return json.dumps(body, ensure_ascii=False).encode()

    def transaction_body(
        self, payment, *, total=None, out_trade_no=None, event_id=None, apiv3=None, trade_state="SUCCESS", transaction_id=None
    ) -> bytes:
        total = payment.amount_fen if total is None else total
        resource = {
            "mchid": self.mchid,
            "appid": self.appid,
            "out_trade_no": out_trade_no or payment.out_trade_no,
            "transaction_id": transaction_id or "42000" + "".join(secrets.choice(string.digits) for _ in range(23)),
            "trade_type": "JSAPI",
            "trade_state": trade_state,
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
            "payer": {"openid": OPENID},
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
        }
        return self.envelope("TRANSACTION.SUCCESS", resource, original_type="transaction", event_id=event_id, apiv3=apiv3)

    def refund_body(
        self, refund, *, event_type="REFUND.SUCCESS", refund_status="SUCCESS", refund_fen=None, event_id=None
    ) -> bytes:
        payment = refund.payment
        resource = {
            "mchid": self.mchid,
            "out_trade_no": payment.out_trade_no,
            "transaction_id": payment.provider_txn_id,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.provider_refund_id or "50" + secrets.token_hex(14),
            "refund_status": refund_status,
            "success_time": datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds"),
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": payment.amount_fen,
                "refund": refund.amount_fen if refund_fen is None else refund_fen,
                "payer_total": payment.amount_fen,
                "payer_refund": refund.amount_fen if refund_fen is None else refund_fen,
            },
        }
        return self.envelope(event_type, resource, original_type="refund", event_id=event_id)

    def headers(self, body: bytes, *, key=None, serial: str | None = None, timestamp: int | None = None) -> dict[str, str]:
        return signed_headers(key or self.keys.platform, serial or self.platform_serial, body, timestamp=timestamp)

    @staticmethod
    def post(client, body: bytes, headers: dict[str, str], path: str = NOTIFY_PATH):
        return client.post(path, data=body, content_type="application/json", headers=headers)

    def notify(self, client, body: bytes, path: str = NOTIFY_PATH, **header_options):
        return self.post(client, body, self.headers(body, **header_options), path=path)


@pytest.fixture
def wechat(settings, tmp_path, wechat_keys):
    """WeChat Pay configured against a fake API server on 127.0.0.1 (random port), with the platform's
    certificate in a certificates folder."""
    keys = wechat_keys
    mchid, appid = "1900000109", "wx8888888888888888"
    key_path = tmp_path / "apiclient_key.pem"
    key_path.write_bytes(private_pem(keys.merchant))
    certs = tmp_path / "platform_certs"
    certs.mkdir()
    (certs / "wechatpay_platform.pem").write_bytes(certificate_pem(keys.platform, keys.platform_serial_int))
    (certs / "README.txt").write_text("not a certificate", encoding="utf-8")
    fake = FakeWeChatPay(
        mchid=mchid,
        merchant_serial=keys.merchant_serial,
        merchant_public_key=keys.merchant.public_key(),
        platform_key=keys.platform,
        platform_serial=format(keys.platform_serial_int, "X"),
    ).start()
    settings.WECHATPAY_MCHID = mchid
    settings.WECHATPAY_APPID = appid
    settings.WECHATPAY_MERCHANT_SERIAL_NO = keys.merchant_serial
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(key_path)
    settings.WECHATPAY_APIV3_KEY = keys.apiv3
    settings.WECHATPAY_PLATFORM_CERTS_DIR = str(certs)
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = ""
    settings.WECHATPAY_PLATFORM_SERIAL = ""
    settings.WECHATPAY_NOTIFY_URL = "https://shop.example.com/api/v1/payments/wechatpay/notify"
    settings.WECHATPAY_REFUND_NOTIFY_URL = "https://shop.example.com/api/v1/payments/wechatpay/refund-notify"
    settings.WECHATPAY_API_BASE = fake.base_url
    yield WeChatKit(keys, fake, mchid, appid)
    fake.stop()


@pytest.fixture
def public_key_file(tmp_path, wechat_keys):
    path = tmp_path / "wechatpay_public_key.pem"
    path.write_bytes(public_pem(wechat_keys.platform))
    return path
