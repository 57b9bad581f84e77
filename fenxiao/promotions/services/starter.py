"""The distributor starter pack (分销商新人礼包): the pack's coupons and points, given once to each
distributor when it is approved.

`on_distributor_approved` is the distribution `on_approved` hook: inside the approving transaction it
inserts the distributor's `StarterPackGrant` (unique per distributor, so an approval after a
suspension and reinstatement gives nothing more), and the coupons and points go out after the
commit, so the approval never waits on them nor fails because of them.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.members import services as members
from fenxiao.members.models import PointsSource

from ..models import StarterPack, StarterPackGrant
from . import coupons

logger = logging.getLogger(__name__)


def starter_pack() -> StarterPack:
    """The settings row, made empty (nothing to give) on first need."""
    pack = StarterPack.objects.filter(pk=1).first()
    if pack is not None:
        return pack
    try:
        with transaction.atomic():
            return StarterPack.objects.create(pk=1)
    except IntegrityError:
        return StarterPack.objects.get(pk=1)


def on_distributor_approved(distributor) -> StarterPackGrant | None:
    """Record the grant now (once per distributor); give the pack after the commit."""
    pack = StarterPack.objects.filter(pk=1).first()  # no row yet: nothing to give
    if pack is None or not pack.enabled:
        return None
    coupon_ids = list(pack.coupons.values_list("pk", flat=True))
    if not coupon_ids and not pack.points:
        return None
    try:
        with transaction.atomic():
            grant = StarterPackGrant.objects.create(distributor=distributor)
    except IntegrityError:
        return None  # given already, at an earlier approval
    user_id = distributor.user_id
    transaction.on_commit(lambda: give(grant_id=grant.pk, user_id=user_id, coupon_ids=coupon_ids, points=pack.points))
    return grant


def give(*, grant_id: int, user_id: int, coupon_ids: list[int], points: int) -> StarterPackGrant:
    """Issue the pack of one grant: each coupon (source "starter") and the points. Runs once, after
    the approval commits; what could not be given is logged and noted on the grant."""
    given: list[str] = []
    for coupon_id in coupon_ids:
        try:
            result = coupons.issue(
                coupon_id=coupon_id,
                user_ids=[user_id],
                actor=None,
                source=coupons.Source.STARTER,
                source_reference=f"starter:{grant_id}",
            )
        except DomainError as exc:
            logger.warning("starter pack %s: coupon %s not issued: %s", grant_id, coupon_id, exc.code)
            continue
        if result.issued:
            given.append(f"#{coupon_id}")
    note = gettext("优惠券 %(n)s 张") % {"n": len(given)}
    if points:
        try:
            members.grant(user_id, points, PointsSource.GRANT, f"starter:{grant_id}", None, note=gettext("分销商新人礼包"))
        except DomainError as exc:
            logger.warning("starter pack %s: points not granted: %s", grant_id, exc.code)
        else:
            note += gettext("，积分 %(points)s") % {"points": points}
    StarterPackGrant.objects.filter(pk=grant_id).update(issued_at=timezone.now(), note=note[:200])
    return StarterPackGrant.objects.get(pk=grant_id)
