"""WeChat Pay merchant transfer (商家转账), the mode in which the receiving user confirms: the merchant
creates a transfer bill, the user accepts it in WeChat (the client's `requestMerchantTransfer` with the
bill's `package_info`), and WeChat Pay reports the result by a signed notification or on query.

Endpoints (API v3, signed and verified by `wechatpay`):
- create: POST /v3/fund-app/mch-transfer/transfer-bills → out_bill_no, transfer_bill_no, state,
  package_info (while the user has to confirm);
- query: GET /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no};
- the notification: event_type MCHTRANSFER.BILL.FINISHED, resource (original_type mch_payment)
  encrypted with the APIv3 key like payment notifications.

The merchant's bill number identifies the transfer at WeChat Pay: creating it again with the same
number returns the same bill and pays at most once. The payee's real name goes only encrypted
(RSAES-OAEP with the platform public key, whose id is sent in the Wechatpay-Serial header) and is
required from ¥2,000 (200,000 fen) on.

Nothing here touches the database, and no request is sent inside an open database transaction.

`provider()` is the adapter the withdrawals use: `WeChatPayTransfers` (the calls above) when WeChat
Pay and the scene are configured, else `DevTransfers` when FENXIAO_DEV_TRANSFERS is on (the demo; the
production settings refuse it). The dev provider keeps its bills in the shared cache and answers like
WeChat Pay; its confirmation page (`dev_confirm`, `dev_fail`) stands in for WeChat's confirmation sheet,
after which the bill's result is read by the same query as a real one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import string
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.core.cache import cache

from . import wechatpay

CREATE_PATH = "/v3/fund-app/mch-transfer/transfer-bills"
QUERY_PATH = "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}"
CANCEL_PATH = QUERY_PATH + "/cancel"
NOTIFICATION_EVENT = "MCHTRANSFER.BILL.FINISHED"

# From this amount on WeChat Pay requires the payee's real name (encrypted) with the bill.
REAL_NAME_THRESHOLD_FEN = 200_000
REMARK_MAX = 32  # characters of transfer_remark the user sees
REPORT_INFO_TYPE_MAX = 15
REPORT_INFO_CONTENT_MAX = 32
OUT_BILL_NO = re.compile(r"^[A-Za-z0-9]{5,32}$")


class State:
    """The states of a transfer bill at WeChat Pay."""

    ACCEPTED = "ACCEPTED"  # accepted, funds not yet locked
    PROCESSING = "PROCESSING"  # locking funds (stays here when the merchant's balance is short)
    WAIT_USER_CONFIRM = "WAIT_USER_CONFIRM"  # waits for the user to accept it in WeChat
    TRANSFERING = "TRANSFERING"  # being paid
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    CANCELING = "CANCELING"
    CANCELLED = "CANCELLED"

    ALL = (ACCEPTED, PROCESSING, WAIT_USER_CONFIRM, TRANSFERING, SUCCESS, FAIL, CANCELING, CANCELLED)
    FINAL = (SUCCESS, FAIL, CANCELLED)


class TransferNotConfigured(Exception):
    """WeChat Pay is configured, the transfer scene is not (or the reverse)."""


@dataclass(frozen=True)
class TransferSettings:
    scene_id: str
    perception: str
    report_infos: tuple[tuple[str, str], ...]
    notify_url: str


def parse_report_infos(text: str) -> tuple[tuple[str, str], ...]:
    """ "岗位类型=推广员;报酬说明=分销佣金" → ((info_type, info_content), ...)."""
    pairs = []
    for part in str(text or "").split(";"):
        if not part.strip():
            continue
        info_type, sep, content = part.partition("=")
        info_type, content = info_type.strip(), content.strip()
        if not sep or not info_type or not content:
            raise TransferNotConfigured(f"WECHATPAY_TRANSFER_REPORT_INFOS: {part!r} is not type=content")
        if len(info_type) > REPORT_INFO_TYPE_MAX or len(content) > REPORT_INFO_CONTENT_MAX:
            raise TransferNotConfigured(f"WECHATPAY_TRANSFER_REPORT_INFOS: {part!r} is too long")
        pairs.append((info_type, content))
    return tuple(pairs)


def transfer_settings() -> TransferSettings:
    """The scene (from the merchant platform), the user's "income" wording and the scene's report
    fields, from settings; TransferNotConfigured without a scene id."""
    scene_id = str(getattr(settings, "WECHATPAY_TRANSFER_SCENE_ID", "") or "").strip()
    if not scene_id:
        raise TransferNotConfigured("WECHATPAY_TRANSFER_SCENE_ID is empty")
    return TransferSettings(
        scene_id=scene_id,
        perception=str(getattr(settings, "WECHATPAY_TRANSFER_PERCEPTION", "") or "").strip(),
        report_infos=parse_report_infos(getattr(settings, "WECHATPAY_TRANSFER_REPORT_INFOS", "")),
        notify_url=str(getattr(settings, "WECHATPAY_TRANSFER_NOTIFY_URL", "") or "").strip(),
    )


def is_configured() -> bool:
    """Transfers can be made: by WeChat Pay (configured with its scene) or by the dev provider."""
    return wechatpay_configured() or dev_enabled()


def dev_enabled() -> bool:
    """The development provider is on (the demo; never in production, whose settings refuse it)."""
    return bool(getattr(settings, "FENXIAO_DEV_TRANSFERS", False))


def wechatpay_configured() -> bool:
    """WeChat Pay and its transfer scene are both configured."""
    if not wechatpay.is_configured():
        return False
    try:
        transfer_settings()
    except TransferNotConfigured:
        return False
    return True


# --- real name ------------------------------------------------------------------------------------


def needs_real_name(amount_fen: int) -> bool:
    return int(amount_fen) >= REAL_NAME_THRESHOLD_FEN


def encryption_key(conf: wechatpay.Config, *, now: float | None = None) -> wechatpay.PlatformKey:
    """The platform key to encrypt with: the WeChat Pay public key when configured, else the newest
    certificate valid now."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    valid = [key for key in conf.platform_keys if key.valid_at(moment)]
    if not valid:
        raise wechatpay.ProviderUnavailable("no platform key is valid now to encrypt the payee's name")
    # Public keys (no validity dates) first, then certificates by how long they stay valid.
    valid.sort(key=lambda key: (key.not_after is not None, -(key.not_after or moment).timestamp()))
    return valid[0]


def encrypt_sensitive(key: wechatpay.PlatformKey, text: str) -> str:
    """RSAES-OAEP (SHA-1, MGF1-SHA-1) with the platform public key, base64: how API v3 takes names."""
    ciphertext = key.public_key.encrypt(
        text.encode("utf-8"), padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    return base64.b64encode(ciphertext).decode("ascii")


# --- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bill:
    out_bill_no: str
    transfer_bill_no: str
    state: str
    package_info: str = ""
    fail_reason: str = ""
    amount_fen: int | None = None
    openid: str = ""

    @property
    def final(self) -> bool:
        return self.state in State.FINAL


def _bill(data: dict[str, Any], out_bill_no: str) -> Bill:
    state = str(data.get("state") or "")
    if state not in State.ALL:
        raise wechatpay.ProviderUnavailable(f"transfer bill {out_bill_no}: unknown state {state!r}")
    answered = str(data.get("out_bill_no") or out_bill_no)
    if answered != out_bill_no:
        raise wechatpay.ProviderUnavailable(f"transfer bill {out_bill_no}: answer is about {answered!r}")
    amount = data.get("transfer_amount")
    return Bill(
        out_bill_no=answered,
        transfer_bill_no=str(data.get("transfer_bill_no") or "")[:64],
        state=state,
        package_info=str(data.get("package_info") or ""),
        fail_reason=str(data.get("fail_reason") or "")[:64],
        amount_fen=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        openid=str(data.get("openid") or ""),
    )


def build_request(
    conf: wechatpay.Config,
    tconf: TransferSettings,
    *,
    out_bill_no: str,
    openid: str,
    amount_fen: int,
    remark: str,
    real_name: str = "",
    appid: str = "",
    now: float | None = None,
) -> tuple[dict[str, Any], str]:
    """The body of "发起转账" and the serial of the platform key the name is encrypted with ("" when
    the amount needs no name and none is sent). `appid`: the app the openid belongs to (the
    merchant's appid when empty; a mini-program bound to the merchant for a mini-program user, who
    then confirms in the mini-program)."""
    if not OUT_BILL_NO.match(out_bill_no):
        raise ValueError(f"out_bill_no {out_bill_no!r}: 5-32 letters and digits")
    if int(amount_fen) <= 0:
        raise ValueError("transfer amount must be positive")
    payload: dict[str, Any] = {
        "appid": appid or conf.appid,
        "out_bill_no": out_bill_no,
        "transfer_scene_id": tconf.scene_id,
        "openid": openid,
        "transfer_amount": int(amount_fen),
        "transfer_remark": remark[:REMARK_MAX],
    }
    serial = ""
    if needs_real_name(amount_fen):
        if not real_name:
            raise ValueError("the payee's real name is required from ¥2,000 on")
        key = encryption_key(conf, now=now)
        payload["user_name"] = encrypt_sensitive(key, real_name)
        serial = key.serial
    if tconf.notify_url:
        payload["notify_url"] = tconf.notify_url
    if tconf.perception:
        payload["user_recv_perception"] = tconf.perception
    payload["transfer_scene_report_infos"] = [{"info_type": t, "info_content": c} for t, c in tconf.report_infos]
    return payload, serial


def create_bill(
    conf: wechatpay.Config,
    tconf: TransferSettings,
    *,
    out_bill_no: str,
    openid: str,
    amount_fen: int,
    remark: str,
    real_name: str = "",
    appid: str = "",
) -> Bill:
    """Create (or, under the same out_bill_no, get back) the transfer bill. Raises
    wechatpay.ProviderUnavailable when the outcome is unknown, ProviderRejected when refused."""
    payload, serial = build_request(
        conf,
        tconf,
        out_bill_no=out_bill_no,
        openid=openid,
        amount_fen=amount_fen,
        remark=remark,
        real_name=real_name,
        appid=appid,
    )
    data = wechatpay.call(conf, "POST", CREATE_PATH, payload, serial=serial)
    return _bill(data, out_bill_no)


def query_bill(conf: wechatpay.Config, out_bill_no: str) -> Bill | None:
    """The bill as WeChat Pay has it, or None when it has none under this number."""
    try:
        data = wechatpay.call(conf, "GET", QUERY_PATH.format(out_bill_no=quote(out_bill_no, safe="")))
    except wechatpay.ProviderRejected as exc:
        if exc.status == 404:
            return None
        raise
    return _bill(data, out_bill_no)


def cancel_bill(conf: wechatpay.Config, out_bill_no: str) -> Bill:
    """Withdraw a bill the user has not accepted yet (answer: CANCELING, then CANCELLED)."""
    data = wechatpay.call(conf, "POST", CANCEL_PATH.format(out_bill_no=quote(out_bill_no, safe="")))
    return _bill(data, out_bill_no)


# --- the notification ----------------------------------------------------------------------------


class NotificationRefused(Exception):
    """`outcome`: forged, stale (signature / timestamp) or tampered (body, resource)."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


@dataclass(frozen=True)
class TransferNotification:
    event_id: str
    event_type: str
    bill: Bill


def parse_notification(conf: wechatpay.Config, headers: dict[str, str], body: bytes) -> TransferNotification:
    """Verify the platform's signature, decrypt the resource and read the bill it reports."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    try:
        wechatpay.verify_signed_message(conf, lowered, body)
    except wechatpay.VerificationError as exc:
        raise NotificationRefused(exc.outcome, exc.reason) from exc
    try:
        envelope = json.loads(body)
        if not isinstance(envelope, dict):
            raise ValueError("notification body is not a JSON object")
        resource = wechatpay.decrypt_resource(conf, envelope.get("resource"))
        out_bill_no = str(resource.get("out_bill_no") or "")
        if not out_bill_no:
            raise ValueError("resource has no out_bill_no")
        bill = _bill(resource, out_bill_no)
    except (ValueError, wechatpay.DecryptionError, wechatpay.ProviderUnavailable) as exc:
        raise NotificationRefused("tampered", str(exc)) from exc
    if resource.get("mch_id") not in (None, conf.mchid):
        raise NotificationRefused("tampered", "notification is for another merchant")
    return TransferNotification(
        event_id=str(envelope.get("id") or "")[:64], event_type=str(envelope.get("event_type") or "")[:40], bill=bill
    )


# --- the adapter ---------------------------------------------------------------------------------


class Provider(Protocol):
    """What the withdrawals need of a transfer provider."""

    name: str
    mch_id: str
    appid: str  # the merchant's own appid, used when a bill names none

    def create_bill(
        self, *, out_bill_no: str, openid: str, amount_fen: int, remark: str, real_name: str = "", appid: str = ""
    ) -> Bill: ...

    def query_bill(self, out_bill_no: str) -> Bill | None: ...

    def cancel_bill(self, out_bill_no: str) -> Bill: ...


class WeChatPayTransfers:
    """WeChat Pay's merchant transfer API."""

    name = "wechatpay"

    def __init__(self, conf: wechatpay.Config, tconf: TransferSettings):
        self.conf = conf
        self.tconf = tconf
        self.mch_id = conf.mchid
        self.appid = conf.appid

    def create_bill(
        self, *, out_bill_no: str, openid: str, amount_fen: int, remark: str, real_name: str = "", appid: str = ""
    ) -> Bill:
        return create_bill(
            self.conf,
            self.tconf,
            out_bill_no=out_bill_no,
            openid=openid,
            amount_fen=amount_fen,
            remark=remark,
            real_name=real_name,
            appid=appid,
        )

    def query_bill(self, out_bill_no: str) -> Bill | None:
        return query_bill(self.conf, out_bill_no)

    def cancel_bill(self, out_bill_no: str) -> Bill:
        return cancel_bill(self.conf, out_bill_no)


DEV_MCH_ID = "1900000000"
DEV_APPID = "wxdevtransfer00000"
DEV_CACHE_SECONDS = 30 * 24 * 3600
DEV_FAIL_REASON = "PAYEE_ACCOUNT_ABNORMAL"


def _dev_key(out_bill_no: str) -> str:
    return f"transfers:dev:{out_bill_no}"


def _dev_bill(data: dict[str, Any]) -> Bill:
    waiting = data["state"] == State.WAIT_USER_CONFIRM
    return Bill(
        out_bill_no=data["out_bill_no"],
        transfer_bill_no=data["transfer_bill_no"],
        state=data["state"],
        package_info=data["package_info"] if waiting else "",
        fail_reason=data.get("fail_reason", ""),
        amount_fen=data["amount_fen"],
        openid=data["openid"],
    )


class DevTransfers:
    """For the demo: answers like WeChat Pay without money. Bills live in the shared cache, each waits
    for the user, who accepts it (or has it fail) on the dev confirmation page."""

    name = "dev"
    mch_id = DEV_MCH_ID
    appid = DEV_APPID

    def create_bill(
        self, *, out_bill_no: str, openid: str, amount_fen: int, remark: str, real_name: str = "", appid: str = ""
    ) -> Bill:
        if not OUT_BILL_NO.match(out_bill_no) or int(amount_fen) <= 0 or not openid:
            raise wechatpay.ProviderRejected(400, "PARAM_ERROR", "out_bill_no, openid or amount is invalid")
        if needs_real_name(amount_fen) and not real_name:
            raise wechatpay.ProviderRejected(400, "PARAM_ERROR", "user_name required from 2000 yuan")
        existing = cache.get(_dev_key(out_bill_no))
        if existing is not None:
            if (existing["openid"], existing["amount_fen"]) != (openid, int(amount_fen)):
                raise wechatpay.ProviderRejected(400, "INVALID_REQUEST", "out_bill_no used with other parameters")
            return _dev_bill(existing)
        data = {
            "out_bill_no": out_bill_no,
            "transfer_bill_no": "1330" + "".join(secrets.choice(string.digits) for _ in range(26)),
            "openid": openid,
            "appid": appid or self.appid,
            "amount_fen": int(amount_fen),
            "remark": remark[:REMARK_MAX],
            "state": State.WAIT_USER_CONFIRM,
            "package_info": "dev." + secrets.token_urlsafe(24),
            "fail_reason": "",
        }
        cache.set(_dev_key(out_bill_no), data, timeout=DEV_CACHE_SECONDS)
        return _dev_bill(data)

    def query_bill(self, out_bill_no: str) -> Bill | None:
        data = cache.get(_dev_key(out_bill_no))
        return _dev_bill(data) if data is not None else None

    def cancel_bill(self, out_bill_no: str) -> Bill:
        data = cache.get(_dev_key(out_bill_no))
        if data is None:
            raise wechatpay.ProviderRejected(404, "NOT_FOUND", "no such bill")
        if data["state"] in (State.SUCCESS, State.FAIL):
            raise wechatpay.ProviderRejected(400, "INVALID_REQUEST", "bill is final")
        data["state"] = State.CANCELLED
        cache.set(_dev_key(out_bill_no), data, timeout=DEV_CACHE_SECONDS)
        return _dev_bill(data)

    # --- what the user does on the dev confirmation page (WeChat's sheet in real life) -------------

    def _answer(self, out_bill_no: str, package: str, state: str, fail_reason: str = "") -> Bill:
        data = cache.get(_dev_key(out_bill_no))
        if (
            data is None
            or data["state"] != State.WAIT_USER_CONFIRM
            or not secrets.compare_digest(data["package_info"], str(package or ""))
        ):
            raise wechatpay.ProviderRejected(400, "INVALID_REQUEST", "the bill does not wait for this confirmation")
        data["state"], data["fail_reason"] = state, fail_reason
        cache.set(_dev_key(out_bill_no), data, timeout=DEV_CACHE_SECONDS)
        return _dev_bill(data)

    def dev_confirm(self, out_bill_no: str, package: str) -> Bill:
        """The user accepts the money: the bill is paid."""
        return self._answer(out_bill_no, package, State.SUCCESS)

    def dev_fail(self, out_bill_no: str, package: str) -> Bill:
        """The transfer fails after the user accepted (e.g. the payee's account is restricted)."""
        return self._answer(out_bill_no, package, State.FAIL, DEV_FAIL_REASON)


def dev_openid(seed: str, appid: str = DEV_APPID) -> str:
    """A stand-in openid for a payee who has none, for the dev provider only."""
    return "o" + hashlib.sha256(f"{appid}:{seed}".encode()).hexdigest()[:27]


def provider() -> Provider:
    """WeChat Pay when it and the scene are configured, else the dev provider when it is on;
    TransferNotConfigured otherwise (or wechatpay.NotConfigured for a broken WeChat Pay setup)."""
    if wechatpay_configured():
        return WeChatPayTransfers(wechatpay.load_config(), transfer_settings())
    if dev_enabled():
        return DevTransfers()
    raise TransferNotConfigured("neither WeChat Pay transfers nor the dev provider are configured")
