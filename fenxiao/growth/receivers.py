"""Events that can qualify a distributor for a higher level → instant evaluation; a completed order
invites a consumer to apply, and its application and approval are stamped on that invitation.
Connected in `GrowthConfig.ready`; each receiver runs inside the sender's transaction."""

from __future__ import annotations

from django.utils import timezone

from fenxiao.distribution.models import Distributor

from . import services, services_conversion, services_notifications


def on_order_completed(sender, order, **kwargs) -> None:
    # The seller's personal sales, its inviter's and their inviter's team sales, and the buyer's own
    # first purchase (when the buyer is a distributor) may all have moved.
    ids: set[int] = set()
    if order.distributor_id:
        row = Distributor.objects.filter(pk=order.distributor_id).values_list("pk", "inviter_id", "inviter__inviter_id").first()
        ids.update(pk for pk in row or () if pk)
    ids.update(Distributor.objects.filter(user_id=order.user_id).values_list("pk", flat=True))
    services.evaluate_instant_many(ids, now=order.completed_at or timezone.now())


def on_distributor_approved(sender, distributor, **kwargs) -> None:
    # The inviter's direct invites and team size, the inviter's inviter's team size, and the new
    # distributor itself (a first purchase may already qualify it).
    row = Distributor.objects.filter(pk=distributor.pk).values_list("pk", "inviter_id", "inviter__inviter_id").first()
    services.evaluate_instant_many([pk for pk in row or () if pk])


def on_order_completed_invite(sender, order, **kwargs) -> None:
    services_conversion.invite_after_order(order)


def on_distributor_applied(sender, distributor, **kwargs) -> None:
    services_conversion.mark_applied(distributor.user_id, at=distributor.applied_at)


def on_distributor_approved_conversion(sender, distributor, **kwargs) -> None:
    services_conversion.mark_approved(distributor.user_id, at=distributor.approved_at)


def on_shop_moderated(sender, shop, fields, reason, **kwargs) -> None:
    services_notifications.notify_shop_moderated(shop.distributor.user_id, fields=fields, reason=reason)


def connect() -> None:
    from fenxiao.distribution import signals as distribution_signals
    from fenxiao.orders import signals as order_signals

    order_signals.order_completed.connect(on_order_completed, dispatch_uid="growth.order_completed")
    distribution_signals.distributor_approved.connect(on_distributor_approved, dispatch_uid="growth.distributor_approved")
    order_signals.order_completed.connect(on_order_completed_invite, dispatch_uid="growth.order_completed_invite")
    distribution_signals.distributor_applied.connect(on_distributor_applied, dispatch_uid="growth.distributor_applied")
    distribution_signals.distributor_approved.connect(
        on_distributor_approved_conversion, dispatch_uid="growth.distributor_approved_conversion"
    )
    distribution_signals.shop_moderated.connect(on_shop_moderated, dispatch_uid="growth.shop_moderated")
