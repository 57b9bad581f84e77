"""Consumer referral (老带新): each customer has a code; a friend who signs up through it is recorded as
their referral; when that friend's first order completes, both receive the reward once — coupons
issued with source "referral" and/or points granted as an invitation reward. No commission, no ledger.

Once per new customer on SQLite and PostgreSQL alike: the referee is unique on `Referral`, and the
reward is given by whoever moves the row pending → rewarded with one conditional UPDATE, so of two
orders completing at once exactly one rewards.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.members import services as members
from fenxiao.members.models import PointsSource

from ..models import Coupon, Referral, ReferralCode, ReferralSettings
from . import coupons

logger = logging.getLogger(__name__)

# Where the pages keep a code from a referral link until the visitor has signed up.
SESSION_KEY = "referral_code"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I
CODE_LENGTH = 8
# An account made longer ago than this is no newcomer and cannot be referred.
NEW_ACCOUNT_WINDOW = timedelta(hours=1)
SEED_COUPON_FEN = 2000
SEED_COUPON_DAYS = 30
SEED_COUPON_TOTAL = 1_000_000
SEED_REFERRER_LIMIT = 1_000

R = Referral.Status


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw) -> str:
    text = str(raw or "").strip().upper()
    return text if 0 < len(text) <= 16 and text.isalnum() and text.isascii() else ""


def code_for(user) -> ReferralCode:
    """The user's referral code, made the first time it is asked for (unguessable, unique)."""
    existing = ReferralCode.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user=user, code=_new_code())
        except IntegrityError:
            existing = ReferralCode.objects.filter(user=user).first()
            if existing is not None:  # made meanwhile by a parallel request
                return existing
    raise RuntimeError("could not find a free referral code")


def _seed_coupon(name: str, per_person_limit: int) -> Coupon:
    return Coupon.objects.create(
        name=name,
        kind="amount",
        amount_fen=SEED_COUPON_FEN,
        threshold_fen=0,
        validity=Coupon.Validity.DAYS,
        valid_days=SEED_COUPON_DAYS,
        total_quantity=SEED_COUPON_TOTAL,
        per_person_limit=per_person_limit,
        claimable=False,
        description=gettext("邀请好友奖励，好友首单完成后发放"),
    )


def referral_settings() -> ReferralSettings:
    """The settings row, made on first need with a ¥20 coupon for each side (the operator changes
    them in the console)."""
    found = ReferralSettings.objects.select_related("referrer_coupon", "referee_coupon").filter(pk=1).first()
    if found is not None:
        return found
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ReferralSettings.objects.create(pk=1)
        except IntegrityError:
            return ReferralSettings.objects.select_related("referrer_coupon", "referee_coupon").get(pk=1)
        row.referrer_coupon = _seed_coupon(gettext("邀请好友奖励券"), SEED_REFERRER_LIMIT)
        row.referee_coupon = _seed_coupon(gettext("好友邀请新人券"), 1)
        row.save(update_fields=["referrer_coupon", "referee_coupon", "updated_at"])
    return row


def record(*, referee, code: str) -> Referral | None:
    """Record that `referee`, an account just made, came through the referral `code`. Nothing is
    recorded (None) for an unknown code, one's own code, a staff account, an account that is not new,
    or somebody already referred. Records nothing else: the reward waits for the first completed order."""
    code = normalize_code(code)
    if not code or referee is None or not referee.pk or referee.is_staff or referee.is_superuser:
        return None
    owner = ReferralCode.objects.select_related("user").filter(code=code).first()
    if owner is None or owner.user_id == referee.pk or not owner.user.is_active:
        return None
    joined = referee.date_joined
    if joined is None or joined < owner.created_at or timezone.now() - joined > NEW_ACCOUNT_WINDOW:
        return None
    try:
        with transaction.atomic():
            return Referral.objects.create(referrer_id=owner.user_id, referee=referee)
    except IntegrityError:
        return None


def _give_coupon(coupon_id: int | None, user_id: int, referral: Referral) -> str:
    if not coupon_id:
        return ""
    try:
        with transaction.atomic():
            result = coupons.issue(
                coupon_id=coupon_id,
                user_ids=[user_id],
                actor=None,
                source=coupons.Source.REFERRAL,
                source_reference=f"referral:{referral.pk}",
            )
    except DomainError as exc:
        logger.warning("referral %s: coupon %s not issued to %s: %s", referral.pk, coupon_id, user_id, exc.code)
        return gettext("券未发放")
    return gettext("券") if result.issued else gettext("券未发放")


def _give_points(points: int, user_id: int, referral: Referral, side: str) -> str:
    if not points:
        return ""
    try:
        with transaction.atomic():
            members.grant(
                user_id,
                points,
                PointsSource.INVITATION,
                f"referral:{referral.pk}:{side}",
                None,
                note=gettext("邀请好友奖励"),
            )
    except DomainError as exc:
        logger.warning("referral %s: points not granted to %s: %s", referral.pk, user_id, exc.code)
        return gettext("积分未发放")
    return gettext("%(points)s 积分") % {"points": points}


def on_order_completed(*, user_id: int, reference: str) -> Referral | None:
    """Called inside the transaction that completes an order of `user_id` (`reference`: its number).
    If that user was referred and not yet rewarded, both sides get the reward now, once. A reward
    that cannot be given (coupon ended or sold out) is noted on the referral and does not hold up
    the order's completion. Returns the referral rewarded, else None."""
    pending = Referral.objects.filter(referee_id=user_id, status=R.PENDING).values_list("pk", "referrer_id").first()
    if pending is None:
        return None
    conf = referral_settings()
    if not conf.enabled:
        return None
    referral_id, referrer_id = pending
    now = timezone.now()
    moved = Referral.objects.filter(pk=referral_id, status=R.PENDING).update(
        status=R.REWARDED, reference=(reference or "")[:40], rewarded_at=now
    )
    if not moved:
        return None  # rewarded meanwhile by another completion
    referral = Referral.objects.get(pk=referral_id)
    given = {
        "referrer": [
            _give_coupon(conf.referrer_coupon_id, referrer_id, referral),
            _give_points(conf.referrer_points, referrer_id, referral, "referrer"),
        ],
        "referee": [
            _give_coupon(conf.referee_coupon_id, user_id, referral),
            _give_points(conf.referee_points, user_id, referral, "referee"),
        ],
    }
    note = gettext("邀请人：%(referrer)s；新用户：%(referee)s") % {
        "referrer": "、".join(part for part in given["referrer"] if part) or "-",
        "referee": "、".join(part for part in given["referee"] if part) or "-",
    }
    referral.note = note[:200]
    referral.save(update_fields=["note"])
    return referral
