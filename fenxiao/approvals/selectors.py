"""Reads of approval requests."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApprovalRequest


def requests(*, status: str | None = None, kind: str | None = None) -> QuerySet[ApprovalRequest]:
    qs = ApprovalRequest.objects.select_related("proposed_by", "decided_by").order_by("-proposed_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def latest_for(kind: str, reference: str) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(kind=kind, reference=reference).order_by("-proposed_at", "-id").first()


def is_approved(kind: str, reference: str) -> bool:
    return ApprovalRequest.objects.filter(kind=kind, reference=reference, status=ApprovalRequest.Status.APPROVED).exists()
