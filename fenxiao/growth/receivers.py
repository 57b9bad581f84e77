"""Events that can qualify a distributor for a higher level → instant evaluation. Connected in
`GrowthConfig.ready`; each receiver runs inside the sender's transaction."""

from __future__ import annotations

from django.utils import timezone

from fenxiao.distribution.models import Distributor

from . import services


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


def connect() -> None:
    from fenxiao.distribution import signals as distribution_signals
    from fenxiao.orders import signals as order_signals

    order_signals.order_completed.connect(on_order_completed, dispatch_uid="growth.order_completed")
    distribution_signals.distributor_approved.connect(on_distributor_approved, dispatch_uid="growth.distributor_approved")
