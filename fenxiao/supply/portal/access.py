"""Who may use the portal: the signed-in account of a supplier that is approved, or suspended (a
suspended supplier's products stop selling, but what was already routed to it still has to be shipped,
returned and read)."""

from __future__ import annotations

from django.utils.translation import gettext

from fenxiao.suppliers.models import Supplier

from ..errors import SupplyCode, SupplyError

PORTAL_STATUSES = (Supplier.Status.APPROVED, Supplier.Status.SUSPENDED)


def supplier_of(user) -> Supplier | None:
    """The supplier whose login `user` is, whatever its status; None for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Supplier.objects.filter(user_id=user.pk).first()


def may_use_portal(supplier: Supplier | None) -> bool:
    return supplier is not None and supplier.is_active and supplier.status in PORTAL_STATUSES


def current_supplier(user) -> Supplier:
    """The approved (or suspended) supplier `user` acts for; 403 `not_supplier` for anyone else."""
    supplier = supplier_of(user)
    if not may_use_portal(supplier):
        raise SupplyError(
            SupplyCode.NOT_SUPPLIER,
            gettext("仅限合作中的供应商账号使用"),
            {"status": supplier.status if supplier is not None else None},
            status=403,
        )
    assert supplier is not None  # may_use_portal refuses None
    return supplier
