"""Checks and writes of the logistics app: which carrier a shipment goes with and whether its
tracking number has that carrier's format; the carriers list; a parcel's journey asked of the
tracking provider and stored once."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from .errors import LogisticsCode, LogisticsError
from .models import Carrier, Parcel, TrackingEvent
from .providers import ensure_no_transaction, get_provider, unavailable
from .selectors import events_for

DEFAULT_NUMBER = re.compile(r"[A-Za-z0-9]{6,40}")


def active_carrier(code_or_id) -> Carrier:
    """The active carrier named by its code (or id); unknown_carrier (422) otherwise."""
    qs = Carrier.objects.filter(is_active=True)
    carrier = None
    if isinstance(code_or_id, int) and not isinstance(code_or_id, bool):
        carrier = qs.filter(pk=code_or_id).first()
    elif isinstance(code_or_id, str) and code_or_id.strip():
        text = code_or_id.strip()
        carrier = qs.filter(code=text).first() or qs.filter(name=text).first()
    if carrier is None:
        raise LogisticsError(
            LogisticsCode.UNKNOWN_CARRIER, gettext("快递公司不存在或已停用"), {"carrier": str(code_or_id)[:40]}, status=422
        )
    return carrier


def check_number(carrier: Carrier, number: str) -> str:
    """The tracking number, trimmed, if it has the carrier's format (its pattern, or 6–40 letters and
    digits); invalid_tracking_number (422) otherwise."""
    number = (number or "").strip().replace(" ", "")
    pattern = carrier.number_pattern.strip()
    ok = len(number) <= 40  # checked first: no pattern ever runs over a long input
    try:
        ok = ok and bool(re.fullmatch(pattern, number) if pattern else DEFAULT_NUMBER.fullmatch(number))
    except re.error:
        ok = ok and bool(DEFAULT_NUMBER.fullmatch(number))
    if not ok:
        raise LogisticsError(
            LogisticsCode.INVALID_TRACKING_NUMBER,
            gettext("快递单号格式不正确（%(carrier)s）") % {"carrier": carrier.name},
            {"carrier": carrier.code, "tracking_number": number[:40]},
            status=422,
        )
    return number


# --- carriers ----------------------------------------------------------------------------------------

CARRIER_FIELDS = ("code", "name", "tracking_url_template", "number_pattern", "is_active", "sort_order")
CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def _invalid(field: str, message: str) -> LogisticsError:
    return LogisticsError(LogisticsCode.INVALID_CARRIER, message, {"field": field}, status=422)


def clean_pattern(pattern: str) -> str:
    """The number pattern, trimmed, if it is a regular expression (empty: the default format)."""
    pattern = (pattern or "").strip()
    if len(pattern) > 120:
        raise _invalid("number_pattern", gettext("单号格式最多 120 个字符"))
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise _invalid("number_pattern", gettext("单号格式不是有效的正则表达式：%(error)s") % {"error": exc}) from exc
    return pattern


def clean_url_template(template: str) -> str:
    """An http(s) link with {number} where the tracking number goes, or empty."""
    template = (template or "").strip()
    if not template:
        return ""
    if len(template) > 200 or not template.startswith(("https://", "http://")) or "{number}" not in template:
        raise _invalid("tracking_url_template", gettext("查询链接须以 http(s):// 开头并含 {number}，最多 200 个字符"))
    return template


def _clean(data: dict) -> dict:
    cleaned: dict[str, object] = {}
    if "code" in data:
        code = str(data["code"] or "").strip().lower()
        if not CODE_RE.fullmatch(code):
            raise _invalid("code", gettext("编码须为 1–32 位小写字母、数字、- 或 _"))
        cleaned["code"] = code
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 40:
            raise _invalid("name", gettext("名称须为 1–40 个字符"))
        cleaned["name"] = name
    if "number_pattern" in data:
        cleaned["number_pattern"] = clean_pattern(data["number_pattern"])
    if "tracking_url_template" in data:
        cleaned["tracking_url_template"] = clean_url_template(data["tracking_url_template"])
    if "is_active" in data:
        cleaned["is_active"] = bool(data["is_active"])
    if "sort_order" in data:
        order = int(data["sort_order"] or 0)
        if not 0 <= order <= 32767:
            raise _invalid("sort_order", gettext("排序须在 0–32767 之间"))
        cleaned["sort_order"] = order
    return cleaned


def _taken(carrier_id: int | None, cleaned: dict) -> None:
    others = Carrier.objects.exclude(pk=carrier_id) if carrier_id else Carrier.objects.all()
    for field in ("code", "name"):
        if field in cleaned and others.filter(**{field: cleaned[field]}).exists():
            raise LogisticsError(
                LogisticsCode.CARRIER_TAKEN,
                gettext("已有同%(field)s的快递公司") % {"field": gettext("编码") if field == "code" else gettext("名称")},
                {"field": field, "value": cleaned[field]},
                status=409,
            )


def carrier_or_404(carrier_id: int) -> Carrier:
    carrier = Carrier.objects.filter(pk=carrier_id).first()
    if carrier is None:
        raise LogisticsError(LogisticsCode.CARRIER_NOT_FOUND, gettext("快递公司不存在"), {"carrier_id": carrier_id}, status=404)
    return carrier


@transaction.atomic
def create_carrier(**data) -> Carrier:
    """A new carrier; code and name are required and unique, the pattern must be a regex."""
    cleaned = _clean({field: data[field] for field in CARRIER_FIELDS if field in data})
    for field in ("code", "name"):
        if field not in cleaned:
            raise _invalid(field, gettext("缺少%(field)s") % {"field": field})
    _taken(None, cleaned)
    try:
        with transaction.atomic():
            return Carrier.objects.create(**cleaned)
    except IntegrityError as exc:  # the same code or name committed meanwhile
        raise LogisticsError(LogisticsCode.CARRIER_TAKEN, gettext("快递公司已存在"), {}, status=409) from exc


@transaction.atomic
def update_carrier(carrier_id: int, **data) -> Carrier:
    """Changes the fields given (None: unchanged). A shipment keeps its carrier whatever changes here."""
    carrier = carrier_or_404(carrier_id)
    carrier = Carrier.objects.select_for_update().get(pk=carrier.pk)
    cleaned = _clean({field: value for field, value in data.items() if field in CARRIER_FIELDS and value is not None})
    _taken(carrier.pk, cleaned)
    for field, value in cleaned.items():
        setattr(carrier, field, value)
    try:
        with transaction.atomic():
            carrier.save(update_fields=list(cleaned) or None)
    except IntegrityError as exc:
        raise LogisticsError(LogisticsCode.CARRIER_TAKEN, gettext("快递公司已存在"), {}, status=409) from exc
    return carrier


def deactivate_carrier(carrier_id: int) -> Carrier:
    """No longer offered when shipping; shipments already sent with it keep it and are still tracked."""
    return update_carrier(carrier_id, is_active=False)


# --- tracking ----------------------------------------------------------------------------------------


def _parcel(carrier: Carrier, number: str, shipped_at=None) -> Parcel:
    parcel, _created = Parcel.objects.get_or_create(carrier=carrier, number=number, defaults={"shipped_at": shipped_at})
    if shipped_at is not None and parcel.shipped_at is None:
        Parcel.objects.filter(pk=parcel.pk, shipped_at__isnull=True).update(shipped_at=shipped_at)
        parcel.shipped_at = shipped_at
    return parcel


def claim_parcels(pairs, *, now=None, poll_minutes: int | None = None) -> set[tuple[int, str]]:
    """Of the (carrier id, number) pairs, those not asked about within the poll interval, marked as
    asked now: two polls running side by side never ask about the same parcel twice."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=poll_interval_minutes() if poll_minutes is None else poll_minutes)
    pairs = list(dict.fromkeys(pairs))
    Parcel.objects.bulk_create(
        [Parcel(carrier_id=carrier_id, number=number) for carrier_id, number in pairs], ignore_conflicts=True
    )
    claimed = set()
    for carrier_id, number in pairs:
        due = Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=cutoff)
        if Parcel.objects.filter(due, carrier_id=carrier_id, number=number).update(last_polled_at=now):
            claimed.add((carrier_id, number))
    return claimed


def poll_interval_minutes() -> int:
    return max(int(getattr(settings, "FENXIAO_TRACKING_POLL_MINUTES", 60)), 1)


def refresh_tracking(carrier: Carrier, number: str, phone_tail: str = "", *, shipped_at=None, now=None) -> list[TrackingEvent]:
    """Asks the provider about the parcel, stores the steps it has not stored yet (each once, whoever
    asks at the same time) and returns the parcel's journey, newest first.

    Never called inside a transaction: the provider may take seconds. `tracking_unavailable` (424)
    when no provider is configured or it cannot answer; the parcel's last error is kept."""
    ensure_no_transaction()
    now = now or timezone.now()
    number = (number or "").strip()
    provider = get_provider()
    if provider is None:
        raise unavailable({"provider_code": "not_configured"})
    parcel = _parcel(carrier, number, shipped_at)
    phone_tail = "".join(ch for ch in str(phone_tail or "") if ch.isdigit())[-4:]
    try:
        found = provider.query(
            carrier.code, number, phone_tail, shipped_at=shipped_at or parcel.shipped_at or parcel.created_at, now=now
        )
    except LogisticsError as exc:
        reason = str(exc.detail.get("provider_code", "")) if isinstance(exc.detail, dict) else ""
        Parcel.objects.filter(pk=parcel.pk).update(last_polled_at=now, last_error=(reason or exc.code)[:200])
        raise
    rows = [
        TrackingEvent(
            carrier=carrier,
            tracking_number=number,
            occurred_at=event.occurred_at,
            state=event.state,
            description=event.description[:300],
            location=event.location[:80],
        )
        for event in found
        if event.description
    ]
    TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True)
    delivered = min((row.occurred_at for row in rows if row.state == TrackingEvent.State.DELIVERED), default=None)
    Parcel.objects.filter(pk=parcel.pk).update(last_polled_at=now, last_error="")
    if delivered is not None:
        Parcel.objects.filter(pk=parcel.pk, delivered_at__isnull=True).update(delivered_at=delivered)
    return events_for(carrier.pk, number)
