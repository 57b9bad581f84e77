"""Customers bound to distributors through share links, and the visits those links bring. Every binding
change writes a BindingEvent in the same transaction; a refused binding is recorded too."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..errors import DistributionCode, DistributionError
from ..models import Binding, BindingEvent, Distributor, Visit
from .plan import get_settings

S = Distributor.Status


# --- binding ---------------------------------------------------------------------------------


class BindOutcome:
    BOUND = "bound"
    REBOUND = "rebound"
    RENEWED = "renewed"
    KEPT = "kept"
    INVITER_FIXED = "inviter_fixed"


def _refuse(customer, distributor: Distributor, action: str, source: str, code: DistributionCode, message: str):
    BindingEvent.objects.create(customer=customer, action=action, new_distributor=distributor, source=source)
    return DistributionError(code, message, {"distributor_code": distributor.code}, status=409)


def bind_customer(*, customer, distributor: Distributor, source: str = "link", now=None) -> str:
    """Bind a customer to the distributor whose link they opened, under the operator's policy.

    Refused (and recorded) when the customer is that distributor, or when the customer is a
    distributor above it in the tree (binding would close a loop). A distributor's own relation to
    its inviter is fixed at admission, so links never rebind an approved distributor.
    Returns what happened: bound, rebound, renewed, kept or inviter_fixed.
    """
    now = now or timezone.now()
    if not distributor.is_approved:
        raise DistributionError(
            DistributionCode.DISTRIBUTOR_NOT_FOUND, gettext("该分销商不可用"), {"distributor_code": distributor.code}, status=404
        )
    with transaction.atomic():
        if distributor.user_id == customer.pk:
            error = _refuse(
                customer,
                distributor,
                BindingEvent.Action.REFUSED_SELF,
                source,
                DistributionCode.BINDING_SELF,
                gettext("不能绑定到自己"),
            )
        else:
            own = Distributor.objects.filter(user=customer).only("pk", "status").first()
            error = None
            if own is not None and own.pk in set(distributor.ancestor_ids()):
                error = _refuse(
                    customer,
                    distributor,
                    BindingEvent.Action.REFUSED_LOOP,
                    source,
                    DistributionCode.BINDING_LOOP,
                    gettext("对方是你的下级，不能绑定到下级（会形成循环）"),
                )
    if error is not None:
        raise error  # raised after the refusal row is committed, so the audit keeps it
    if own is not None and own.status in (S.APPROVED, S.SUSPENDED):
        return BindOutcome.INVITER_FIXED

    conf = get_settings()
    expires_at = now + timedelta(days=conf.binding_days) if conf.binding_policy == conf.BindingPolicy.EXPIRING else None
    with transaction.atomic():
        current = Binding.objects.select_for_update().filter(customer=customer).first()
        if current is None:
            try:
                with transaction.atomic():
                    Binding.objects.create(
                        customer=customer, distributor=distributor, bound_at=now, expires_at=expires_at, source=source
                    )
            except IntegrityError:
                return BindOutcome.KEPT  # a concurrent first touch won; first binding stands
            BindingEvent.objects.create(
                customer=customer,
                action=BindingEvent.Action.BOUND,
                new_distributor=distributor,
                source=source,
                expires_at=expires_at,
            )
            return BindOutcome.BOUND
        if current.distributor_id == distributor.pk:
            if expires_at is not None and (current.expires_at is None or current.expires_at < expires_at):
                current.expires_at = expires_at
                current.save(update_fields=["expires_at"])
                BindingEvent.objects.create(
                    customer=customer,
                    action=BindingEvent.Action.RENEWED,
                    old_distributor=distributor,
                    new_distributor=distributor,
                    source=source,
                    expires_at=expires_at,
                )
                return BindOutcome.RENEWED
            return BindOutcome.KEPT
        expired = current.expires_at is not None and current.expires_at <= now
        if conf.binding_policy == conf.BindingPolicy.EXPIRING and expired:
            old = current.distributor
            current.distributor, current.bound_at, current.expires_at, current.source = distributor, now, expires_at, source
            current.save(update_fields=["distributor", "bound_at", "expires_at", "source"])
            BindingEvent.objects.create(
                customer=customer,
                action=BindingEvent.Action.REBOUND,
                old_distributor=old,
                new_distributor=distributor,
                source=source,
                expires_at=expires_at,
            )
            return BindOutcome.REBOUND
        return BindOutcome.KEPT


def record_visit(
    *, distributor: Distributor, visitor=None, product_id: int | None = None, session_key: str = "", channel: str = ""
) -> Visit:
    return Visit.objects.create(
        distributor=distributor,
        visitor=visitor if getattr(visitor, "is_authenticated", False) else None,
        product_id=product_id,
        session_key=(session_key or "")[:40],
        channel=(channel or "")[:32],
    )


def open_share_link(
    *, code: str, visitor=None, product_id: int | None = None, session_key: str = "", channel: str = ""
) -> tuple[Distributor, str | None]:
    """A share link was opened: record the visit, and bind the visitor if logged in.
    Returns the distributor and the binding outcome (None for anonymous visitors)."""
    distributor = Distributor.objects.select_related("user", "level").filter(code=code.upper(), status=S.APPROVED).first()
    if distributor is None:
        raise DistributionError(
            DistributionCode.DISTRIBUTOR_NOT_FOUND, gettext("分享链接无效或分销商已停用"), {"code": code}, status=404
        )
    record_visit(distributor=distributor, visitor=visitor, product_id=product_id, session_key=session_key, channel=channel)
    outcome = None
    if visitor is not None and getattr(visitor, "is_authenticated", False):
        try:
            outcome = bind_customer(
                customer=visitor, distributor=distributor, source="product_link" if product_id else "shop_link"
            )
        except DistributionError as exc:
            outcome = exc.code
    return distributor, outcome
