"""Events that can qualify a distributor for a higher level → instant evaluation; a completed order
invites a consumer to apply, and its application and approval are stamped on that invitation.
Registered in `GrowthConfig.ready`; each hook runs inside the sender's transaction."""

from __future__ import annotations

from django.utils import timezone

from fenxiao.distribution.models import Distributor

from . import services


def on_order_completed(order) -> None:
    """Order hook (fenxiao.orders.hooks): the level evaluation and the invitation to apply."""
    _evaluate_after_order(order)
    services.invite_after_order(order)


def _evaluate_after_order(order) -> None:
    # The seller's personal sales, its inviter's and their inviter's team sales, and the buyer's own
    # first purchase (when the buyer is a distributor) may all have moved.
    ids: set[int] = set()
    if order.distributor_id:
        row = Distributor.objects.filter(pk=order.distributor_id).values_list("pk", "inviter_id", "inviter__inviter_id").first()
        ids.update(pk for pk in row or () if pk)
    ids.update(Distributor.objects.filter(user_id=order.user_id).values_list("pk", flat=True))
    services.evaluate_instant_many(ids, now=order.completed_at or timezone.now())


def on_distributor_approved(distributor) -> None:
    # The inviter's direct invites and team size, the inviter's inviter's team size, and the new
    # distributor itself (a first purchase may already qualify it).
    row = Distributor.objects.filter(pk=distributor.pk).values_list("pk", "inviter_id", "inviter__inviter_id").first()
    services.evaluate_instant_many([pk for pk in row or () if pk])


def on_distributor_applied(distributor) -> None:
    services.mark_applied(distributor.user_id, at=distributor.applied_at)


def on_distributor_approved_conversion(distributor) -> None:
    services.mark_approved(distributor.user_id, at=distributor.approved_at)


def on_distributor_approved_all(distributor) -> None:
    """The instant evaluation, then the conversion stamp (in that order, as they were connected)."""
    on_distributor_approved(distributor)
    on_distributor_approved_conversion(distributor)


def on_shop_moderated(shop, *, fields, reason) -> None:
    services.notify_shop_moderated(shop.distributor.user_id, fields=fields, reason=reason)


def connect() -> None:
    from fenxiao.distribution import hooks as distributor_hooks
    from fenxiao.orders import hooks as order_hooks

    order_hooks.register("growth", on_completed=on_order_completed)
    distributor_hooks.register(
        "growth", on_applied=on_distributor_applied, on_approved=on_distributor_approved_all, on_shop_moderated=on_shop_moderated
    )
