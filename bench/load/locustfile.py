"""The load mix against a running production stack: share-link visitors, shoppers browsing the shop
and product pages, and buyers who check out and pay with WeChat Pay — the payment's notification is
built and signed exactly as WeChat Pay does (platform key, AES-256-GCM resource) and posted to the
notify endpoint, as the provider would after the buyer paid.

Run by bench/load/run_load.py, which prepares the database, the keys and the server; it passes
LOAD_FIXTURE (share codes, products, SKUs, buyers' tokens), LOAD_KEYS (the platform key and the APIv3 key)
and LOAD_DATABASE_URL (to read the merchant order number WeChat Pay would know)."""

from __future__ import annotations

import json
import os
import random
import secrets
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives import serialization
from locust import HttpUser, between, task

from fenxiao.payments.tests.fake_wechatpay import encrypt_resource, signed_headers

FIXTURE = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text(encoding="utf-8"))
KEYS = json.loads(Path(os.environ["LOAD_KEYS"]).read_text(encoding="utf-8"))
PLATFORM_KEY = serialization.load_pem_private_key(KEYS["platform_pem"].encode(), password=None)
ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 100 号 3 幢 501",
}
OPENID = "oLoad" + "x" * 23
PROXY = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy in front of gunicorn sends
# Think time between a user's requests, scaled: 1 is people reading pages, 0 is a saturation run.
WAIT_SCALE = float(os.environ.get("LOAD_WAIT_SCALE", "1"))


def think(low: float, high: float):
    return between(low * WAIT_SCALE, high * WAIT_SCALE)


class ShareVisitor(HttpUser):
    """Opens a distributor's share link (shop or product) from a WeChat chat."""

    weight = 5
    wait_time = think(0.5, 2)

    @task(2)
    def share_shop(self):
        self.client.get(f"/s/{random.choice(FIXTURE['codes'])}", headers=PROXY, name="/s/[code]")

    @task(3)
    def share_product(self):
        code, product = random.choice(FIXTURE["codes"]), random.choice(FIXTURE["products"])
        self.client.get(f"/s/{code}/p/{product}", headers=PROXY, name="/s/[code]/p/[id]")


class Shopper(HttpUser):
    weight = 3
    wait_time = think(0.5, 2)

    @task(1)
    def home(self):
        self.client.get("/", headers=PROXY, name="/")

    @task(3)
    def product(self):
        self.client.get(f"/p/{random.choice(FIXTURE['products'])}/", headers=PROXY, name="/p/[id]/")


class Buyer(HttpUser):
    """Quotes, places an order, asks for a JSAPI payment and is notified paid by WeChat Pay."""

    weight = 2
    wait_time = think(1, 3)

    def on_start(self):
        self.token = random.choice(FIXTURE["tokens"])
        self.headers = {**PROXY, "Authorization": f"Bearer {self.token}"}
        self.db = psycopg.connect(os.environ["LOAD_DATABASE_URL"], autocommit=True)

    def on_stop(self):
        self.db.close()

    @task
    def checkout_and_pay(self):
        items = [{"sku_id": sku, "quantity": random.randint(1, 3)} for sku in random.sample(FIXTURE["skus"], 2)]
        with self.client.post(
            "/api/v1/orders",
            json={"items": items, "address": ADDRESS},
            headers=self.headers,
            name="/api/v1/orders",
            catch_response=True,
        ) as placed:
            if placed.status_code != 201:
                placed.failure(f"{placed.status_code} {placed.text[:200]}")
                return
            order_id = placed.json()["id"]
        with self.client.post(
            f"/api/v1/orders/{order_id}/pay",
            json={"provider": "wechatpay", "openid": OPENID},
            headers=self.headers,
            name="/api/v1/orders/[id]/pay",
            catch_response=True,
        ) as paying:
            if paying.status_code != 200:
                paying.failure(f"{paying.status_code} {paying.text[:200]}")
                return
            payment_id = paying.json()["payment_id"]
        out_trade_no, amount = self.db.execute(
            "SELECT out_trade_no, amount_fen FROM payments_payment WHERE id = %s", (payment_id,)
        ).fetchone()
        body = _notification(out_trade_no, amount)
        headers = {**PROXY, **signed_headers(PLATFORM_KEY, KEYS["platform_serial"], body), "Content-Type": "application/json"}
        with self.client.post(
            "/api/v1/payments/wechatpay/notify",
            data=body,
            headers=headers,
            name="/api/v1/payments/wechatpay/notify",
            catch_response=True,
        ) as notified:
            if notified.status_code not in (200, 204):
                notified.failure(f"{notified.status_code} {notified.text[:200]}")


def _notification(out_trade_no: str, amount_fen: int) -> bytes:
    now = datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds")
    resource = {
        "mchid": KEYS["mchid"],
        "appid": KEYS["appid"],
        "out_trade_no": out_trade_no,
        "transaction_id": "42000" + "".join(secrets.choice(string.digits) for _ in range(23)),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": now,
        "payer": {"openid": OPENID},
        "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
    }
    envelope = {
        "id": f"EV-{secrets.token_hex(16)}",
        "create_time": now,
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": encrypt_resource(
            KEYS["apiv3"].encode(), resource, original_type="transaction", associated_data="transaction"
        ),
    }
    return json.dumps(envelope, ensure_ascii=False).encode()
