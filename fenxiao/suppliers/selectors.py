"""Reads of suppliers: a user's own application, the operator's list and one supplier with its timeline."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Supplier, SupplierEvent


def supplier_for_user(user) -> Supplier | None:
    """The supplier account (or application) of a user, whatever its status; None for anybody else."""
    if user is None or not getattr(user, "pk", None):
        return None
    return Supplier.objects.filter(user_id=user.pk).first()


def approved_supplier_ids() -> QuerySet:
    return Supplier.objects.filter(status=Supplier.Status.APPROVED).values_list("pk", flat=True)


def operator_suppliers(*, status: str | None = None, q: str | None = None) -> QuerySet[Supplier]:
    """Every supplier for the operator, applications waiting longest first, then by name."""
    qs = Supplier.objects.select_related("user")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(company_name__icontains=q)
    return qs.order_by("applied_at", "name", "id")


def supplier_detail(supplier_id: int) -> Supplier | None:
    """One supplier with its timeline (events with their actors) in two queries."""
    events = SupplierEvent.objects.select_related("actor").order_by("created_at", "id")
    return (
        Supplier.objects.select_related("user")
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=supplier_id)
        .first()
    )
