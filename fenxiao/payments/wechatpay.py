"""WeChat Pay API v3, the parts this shop uses: the merchant's signed requests, the platform's signed
responses and notifications, the AES-256-GCM encrypted resource of notifications, and the signature
of the JSAPI payment parameters handed to the WeChat client.

Formats (all signatures SHA256withRSA, PKCS#1 v1.5, base64):
- request: Authorization `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",
  serial_no="…",signature="…"` over "METHOD\\nURL_PATH\\nTIMESTAMP\\nNONCE\\nBODY\\n", merchant key;
- response and notification: headers Wechatpay-Timestamp/-Nonce/-Signature/-Serial over
  "TIMESTAMP\\nNONCE\\nBODY\\n", the platform key whose serial is Wechatpay-Serial;
- JSAPI paySign: over "appId\\ntimeStamp\\nnonceStr\\npackage\\n", merchant key.

Nothing here touches the database; `services` decides what the answers mean. No request is sent while
a database transaction is open (`ProviderCallInTransaction`): a slow answer would hold the
transaction's locks, on SQLite the whole database's write lock, for as long as it takes.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

DEFAULT_API_BASE = "https://api.mch.weixin.qq.com"
AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_CLOCK_SKEW_SECONDS = 300  # a signed message whose timestamp is this far from now or more is refused
RESOURCE_ALGORITHM = "AEAD_AES_256_GCM"
USER_AGENT = "fenxiao-payments/1"
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# --- configuration -----------------------------------------------------------------------------


class NotConfigured(Exception):
    def __init__(self, missing: list[str], problem: str = ""):
        super().__init__(problem or "missing: " + ", ".join(missing))
        self.missing = missing
        self.problem = problem


@dataclass(frozen=True)
class PlatformKey:
    serial: str
    public_key: rsa.RSAPublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        if self.not_before is not None and moment < self.not_before:
            return False
        return self.not_after is None or moment <= self.not_after


@dataclass(frozen=True)
class Config:
    mchid: str
    appid: str
    merchant_serial_no: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    apiv3_key: bytes = field(repr=False)
    platform_keys: tuple[PlatformKey, ...]
    notify_url: str
    refund_notify_url: str
    api_base: str

    def platform_key(self, serial: str, *, now: float) -> rsa.RSAPublicKey | None:
        wanted = normalize_serial(serial)
        moment = datetime.fromtimestamp(now, tz=UTC)
        for key in self.platform_keys:
            if key.serial == wanted and key.valid_at(moment):
                return key.public_key
        return None


def normalize_serial(serial: str) -> str:
    """Certificate serials compare as hex numbers (case and leading zeros do not matter); public-key
    ids (PUB_KEY_ID_…) compare as written."""
    value = (serial or "").strip().upper()
    if value and all(c in "0123456789ABCDEF" for c in value):
        return value.lstrip("0") or "0"
    return value


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def _mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return -1.0


def _certs_signature(directory: str) -> tuple:
    folder = Path(directory)
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime) for p in folder.iterdir() if p.is_file()))


_cache: dict[tuple, Config] = {}
_cache_lock = threading.Lock()


def load_config() -> Config:
    """The merchant's WeChat Pay configuration from settings; NotConfigured when it is incomplete.
    Keys are read from their files once and again whenever a file changes."""
    names = (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_MERCHANT_SERIAL_NO",
        "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_NOTIFY_URL",
    )
    values = {name: _setting(name) for name in names}
    missing = [name for name, value in values.items() if not value]
    certs_dir = _setting("WECHATPAY_PLATFORM_CERTS_DIR")
    public_key_path = _setting("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH")
    public_key_serial = _setting("WECHATPAY_PLATFORM_SERIAL")
    if not certs_dir and not (public_key_path and public_key_serial):
        missing.append("WECHATPAY_PLATFORM_CERTS_DIR or WECHATPAY_PLATFORM_PUBLIC_KEY_PATH + WECHATPAY_PLATFORM_SERIAL")
    if missing:
        raise NotConfigured(missing)
    refund_notify_url = _setting("WECHATPAY_REFUND_NOTIFY_URL") or values["WECHATPAY_NOTIFY_URL"]
    api_base = (_setting("WECHATPAY_API_BASE") or DEFAULT_API_BASE).rstrip("/")
    cache_key = (
        tuple(values.values()),
        certs_dir,
        public_key_path,
        public_key_serial,
        refund_notify_url,
        api_base,
        _mtime(values["WECHATPAY_PRIVATE_KEY_PATH"]),
        _mtime(public_key_path) if public_key_path else None,
        _certs_signature(certs_dir) if certs_dir else None,
    )
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached

    apiv3_key = values["WECHATPAY_APIV3_KEY"].encode("utf-8")
    if len(apiv3_key) != 32:
        raise NotConfigured(["WECHATPAY_APIV3_KEY"], "WECHATPAY_APIV3_KEY must be the 32-character APIv3 key")
    try:
        private_key = serialization.load_pem_private_key(Path(values["WECHATPAY_PRIVATE_KEY_PATH"]).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise NotConfigured(["WECHATPAY_PRIVATE_KEY_PATH"], f"merchant private key unreadable: {exc}") from exc
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise NotConfigured(["WECHATPAY_PRIVATE_KEY_PATH"], "merchant private key is not an RSA key")

    platform_keys: list[PlatformKey] = []
    if public_key_path and public_key_serial:
        try:
            public_key = serialization.load_pem_public_key(Path(public_key_path).read_bytes())
        except (OSError, ValueError) as exc:
            raise NotConfigured(["WECHATPAY_PLATFORM_PUBLIC_KEY_PATH"], f"platform public key unreadable: {exc}") from exc
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise NotConfigured(["WECHATPAY_PLATFORM_PUBLIC_KEY_PATH"], "platform public key is not an RSA key")
        platform_keys.append(PlatformKey(serial=normalize_serial(public_key_serial), public_key=public_key))
    if certs_dir:
        platform_keys.extend(_load_platform_certificates(Path(certs_dir)))
    if not platform_keys:
        raise NotConfigured(["WECHATPAY_PLATFORM_CERTS_DIR"], "no platform certificate could be read")

    config = Config(
        mchid=values["WECHATPAY_MCHID"],
        appid=values["WECHATPAY_APPID"],
        merchant_serial_no=values["WECHATPAY_MERCHANT_SERIAL_NO"],
        private_key=private_key,
        apiv3_key=apiv3_key,
        platform_keys=tuple(platform_keys),
        notify_url=values["WECHATPAY_NOTIFY_URL"],
        refund_notify_url=refund_notify_url,
        api_base=api_base,
    )
    with _cache_lock:
        _cache.clear()
        _cache[cache_key] = config
    return config


def _load_platform_certificates(folder: Path) -> list[PlatformKey]:
    keys = []
    if not folder.is_dir():
        return keys
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in {".pem", ".crt", ".cer"}:
            continue
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            continue
        public_key = cert.public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            keys.append(
                PlatformKey(
                    serial=normalize_serial(format(cert.serial_number, "X")),
                    public_key=public_key,
                    not_before=cert.not_valid_before_utc,
                    not_after=cert.not_valid_after_utc,
                )
            )
    return keys


def is_configured() -> bool:
    try:
        load_config()
    except NotConfigured:
        return False
    return True


# --- signatures ---------------------------------------------------------------------------------


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def rsa_sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def authorization_header(
    conf: Config, method: str, url_path: str, body: str, *, timestamp: int | None = None, nonce: str | None = None
) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or new_nonce()
    message = f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n{body}\n".encode()
    signature = rsa_sign(conf.private_key, message)
    return (
        f'{AUTH_SCHEMA} mchid="{conf.mchid}",nonce_str="{nonce}",timestamp="{timestamp}",'
        f'serial_no="{conf.merchant_serial_no}",signature="{signature}"'
    )


def jsapi_sign(conf: Config, prepay_id: str, *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The parameters of WeixinJSBridge.invoke('getBrandWCPayRequest', …) / wx.requestPayment."""
    params = {
        "appId": conf.appid,
        "timeStamp": str(int(time.time()) if timestamp is None else timestamp),
        "nonceStr": nonce or new_nonce(),
        "package": f"prepay_id={prepay_id}",
        "signType": "RSA",
    }
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    params["paySign"] = rsa_sign(conf.private_key, message)
    return params


class VerificationError(Exception):
    """A signed message that must not be trusted; `outcome` is "forged" or "stale"."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def verify_signed_message(conf: Config, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Check the platform's signature on a response or notification. `headers` has lower-case names.
    The signature is checked first: only a message WeChat really signed can be called stale."""
    now = time.time() if now is None else now
    timestamp = headers.get("wechatpay-timestamp", "").strip()
    nonce = headers.get("wechatpay-nonce", "")
    signature = headers.get("wechatpay-signature", "").strip()
    serial = headers.get("wechatpay-serial", "")
    if not (timestamp and nonce and signature and serial):
        raise VerificationError("forged", "signature headers missing")
    public_key = conf.platform_key(serial, now=now)
    if public_key is None:
        raise VerificationError("forged", f"no platform key with serial {serial!r}")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise VerificationError("forged", "timestamp is not a number")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerificationError("forged", "signature is not base64") from exc
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    try:
        public_key.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise VerificationError("forged", "signature does not match") from exc
    if abs(now - int(timestamp)) >= MAX_CLOCK_SKEW_SECONDS:
        raise VerificationError("stale", f"timestamp {timestamp} is {int(now) - int(timestamp)} s from now")


class DecryptionError(Exception):
    pass


def decrypt_resource(conf: Config, resource: Any) -> dict[str, Any]:
    """The plaintext JSON object of a notification's `resource` (AEAD_AES_256_GCM with the APIv3 key)."""
    if not isinstance(resource, dict) or resource.get("algorithm") != RESOURCE_ALGORITHM:
        raise DecryptionError("resource missing or not AEAD_AES_256_GCM")
    nonce, ciphertext = resource.get("nonce"), resource.get("ciphertext")
    associated_data = resource.get("associated_data") or ""
    if not isinstance(nonce, str) or not isinstance(ciphertext, str) or not isinstance(associated_data, str):
        raise DecryptionError("resource fields malformed")
    try:
        data = base64.b64decode(ciphertext, validate=True)
        plaintext = AESGCM(conf.apiv3_key).decrypt(nonce.encode(), data, associated_data.encode() if associated_data else None)
        decoded = json.loads(plaintext)
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptionError(f"resource does not decrypt: {type(exc).__name__}") from exc
    if not isinstance(decoded, dict):
        raise DecryptionError("resource is not a JSON object")
    return decoded


# --- HTTP ---------------------------------------------------------------------------------------


class ProviderUnavailable(Exception):
    """No trustworthy answer (network, timeout, 5xx, 429, unverifiable response): the outcome is
    unknown and the same request may be sent again."""


class ProviderRejected(Exception):
    """WeChat Pay answered 4xx with a verified or unsigned error body: the request was refused."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ProviderCallInTransaction(RuntimeError):
    """A request to WeChat Pay was about to be sent inside an open database transaction: a
    programming error. Record what is needed in a short transaction, commit, then call."""


def in_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection has a transaction open. The one a test case wraps around each test is
    not counted, the same way Django's own `durable` check leaves it out."""
    conn = connections[using]
    if conn.get_autocommit():
        return False
    if not conn.in_atomic_block:
        return True  # autocommit switched off by hand
    return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


def ensure_no_transaction() -> None:
    if in_transaction():
        raise ProviderCallInTransaction("a WeChat Pay request must not be sent inside a database transaction")


def encode_body(payload: dict[str, Any] | None) -> str:
    return "" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def call(conf: Config, method: str, path: str, payload: dict[str, Any] | None = None, *, serial: str = "") -> dict[str, Any]:
    """Send a signed request and return the verified JSON answer ({} for an empty 2xx answer).
    Refuses (ProviderCallInTransaction) to send anything while a database transaction is open.
    `serial`: the platform certificate a request's encrypted fields were encrypted for (sent as
    Wechatpay-Serial, as WeChat Pay requires of such requests)."""
    ensure_no_transaction()
    body = encode_body(payload)
    url = conf.api_base + path
    parts = urlsplit(url)
    signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Authorization": authorization_header(conf, method, signed_path, body),
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if payload is not None:
        headers["Content-Type"] = "application/json"
    if serial:
        headers["Wechatpay-Serial"] = serial
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False) as client:
            response = client.request(method, url, content=body.encode("utf-8"), headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    status = response.status_code
    if status >= 500 or status == 429 or 300 <= status < 400:
        raise ProviderUnavailable(f"{method} {path}: HTTP {status}")
    response_headers = {k.lower(): v for k, v in response.headers.items()}
    signed = "wechatpay-signature" in response_headers
    # A 2xx answer with a body must carry the platform's signature; an error answer is checked when signed.
    if signed or (status < 400 and response.content):
        try:
            verify_signed_message(conf, response_headers, response.content)
        except VerificationError as exc:
            raise ProviderUnavailable(f"{method} {path}: response not trusted ({exc.reason})") from exc
    try:
        data = response.json() if response.content else {}
    except ValueError as exc:
        raise ProviderUnavailable(f"{method} {path}: response is not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{method} {path}: response is not a JSON object")
    if status >= 400:
        raise ProviderRejected(status, str(data.get("code", "")), str(data.get("message", "")))
    return data
