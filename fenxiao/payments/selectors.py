"""Reads of payments for the apps that own the purposes (they know their own references)."""

from __future__ import annotations

from django.db.models import QuerySet

from . import wechatpay
from .models import Payment, Refund


def current_payment(purpose: str, reference: str) -> Payment | None:
    """The open (pending) or succeeded payment of (purpose, reference); at most one exists."""
    return (
        Payment.objects.filter(
            purpose=purpose, reference=str(reference), status__in=(Payment.Status.PENDING, Payment.Status.SUCCEEDED)
        )
        .order_by("-id")
        .first()
    )


def payments_for(purpose: str, reference: str) -> QuerySet[Payment]:
    """Every payment ever opened for (purpose, reference), newest first."""
    return Payment.objects.filter(purpose=purpose, reference=str(reference)).order_by("-created_at", "-id")


def refunds_of(payment_id: int) -> QuerySet[Refund]:
    return Refund.objects.filter(payment_id=payment_id).order_by("created_at", "id")


def wechatpay_available() -> bool:
    """Whether WeChat Pay is configured completely (keys readable), so that payers can be offered it."""
    return wechatpay.is_configured()
