"""Writes of membership: spending recorded when orders complete (and taken back by later refunds), the
tier moving up at once and down only on the nightly evaluation, and the operator's tiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from .. import selectors
from ..errors import MemberCode, MemberError
from ..models import MAX_MULTIPLIER_BP, Membership, MemberSpend, MemberTier

TIER_FIELDS = ("name", "min_spend_fen", "points_multiplier_bp", "member_day_discount_bp", "sort", "is_active")


def _check_amount(amount_fen: object) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise MemberError(MemberCode.INVALID_TIER, gettext("金额须为不小于 0 的整数（分）"), {"amount_fen": amount_fen})
    return amount_fen


def _refresh(user_id: int, now: datetime, *, allow_down: bool) -> Membership:
    """Recompute the window's spending from the spend rows and move the tier: up always, down only
    when `allow_down` (the nightly evaluation)."""
    settings = selectors.member_settings()
    tiers = selectors.active_tiers()
    spend = selectors.window_spend(user_id, now, settings)
    Membership.objects.bulk_create([Membership(user_id=user_id, updated_at=now)], ignore_conflicts=True)
    membership = Membership.objects.select_for_update(of=("self",)).select_related("tier").get(user_id=user_id)
    reached = selectors.tier_for_spend(tiers, spend)
    current = membership.tier if membership.tier is not None and membership.tier.is_active else None
    moves_up = selectors.tier_rank(tiers, reached) > selectors.tier_rank(tiers, current)
    fields = ["spend_fen", "updated_at"]
    membership.spend_fen, membership.updated_at = spend, now
    if (reached is not None and moves_up) or (allow_down and reached != membership.tier):
        membership.tier = reached
        membership.tier_changed_at = now
        fields += ["tier", "tier_changed_at"]
    membership.save(update_fields=fields)
    return membership


def record_completed_spend(user_id: int, reference: str, amount_fen: int, at: datetime | None = None) -> Membership:
    """When a qualifying order completes: its spending (the goods paid, net of refunds so far) counts
    from `at`, and the tier moves up if the window's spending now reaches a higher one. Once per
    order reference; recording it again only recomputes."""
    _check_amount(amount_fen)
    at = at or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                MemberSpend.objects.create(
                    user_id=user_id, kind=MemberSpend.Kind.COMPLETED, reference=reference, amount_fen=amount_fen, at=at
                )
        except IntegrityError:
            pass  # recorded already
        return _refresh(user_id, max(at, timezone.now()), allow_down=False)


def record_refunded_spend(reference: str, refund_reference: str, amount_fen: int) -> Membership | None:
    """A refund of an order that had completed: its spending shrinks by `amount_fen` (never below zero
    for the order), dated with the completion so it leaves the window with it. Once per
    `refund_reference`. The cached spending drops now; the tier falls only on the nightly evaluation.
    Returns None when the order's completion was never recorded (a refund before completion is
    already left out of the amount recorded at completion)."""
    _check_amount(amount_fen)
    completed = MemberSpend.objects.filter(kind=MemberSpend.Kind.COMPLETED, reference=reference).first()
    if completed is None:
        return None
    with transaction.atomic():
        net = MemberSpend.objects.filter(reference=reference).aggregate(s=Sum("amount_fen", default=0))["s"]
        take = min(amount_fen, max(int(net), 0))
        if take > 0:
            try:
                with transaction.atomic():
                    MemberSpend.objects.create(
                        user_id=completed.user_id,
                        kind=MemberSpend.Kind.REFUNDED,
                        reference=reference,
                        refund_reference=refund_reference,
                        amount_fen=-take,
                        at=completed.at,
                    )
            except IntegrityError:
                pass  # this refund was recorded already
        return _refresh(completed.user_id, timezone.now(), allow_down=False)


@dataclass
class Evaluation:
    evaluated: int = 0
    upgraded: int = 0
    downgraded: int = 0


def evaluate_tiers(now: datetime | None = None) -> Evaluation:
    """The nightly evaluation: every member's spending in the window is recomputed from the spend
    rows (one grouped query) and the tier follows it, up or down (spending that left the window no
    longer counts). Idempotent."""
    now = now or timezone.now()
    settings = selectors.member_settings()
    tiers = selectors.active_tiers()
    start = selectors.window_start(now, settings)
    spent = dict(
        MemberSpend.objects.filter(at__gt=start, at__lte=now)
        .values("user_id")
        .annotate(total=Sum("amount_fen"))
        .order_by()
        .values_list("user_id", "total")
    )
    users = set(spent) | set(Membership.objects.filter(~Q(spend_fen=0) | Q(tier__isnull=False)).values_list("user_id", flat=True))
    Membership.objects.bulk_create([Membership(user_id=u, updated_at=now) for u in users], ignore_conflicts=True)
    result = Evaluation()
    changed: list[Membership] = []
    for membership in Membership.objects.filter(user_id__in=users).select_related("tier").order_by("user_id"):
        result.evaluated += 1
        spend = max(int(spent.get(membership.user_id, 0)), 0)
        reached = selectors.tier_for_spend(tiers, spend)
        current = membership.tier if membership.tier is not None and membership.tier.is_active else None
        before, after = selectors.tier_rank(tiers, current), selectors.tier_rank(tiers, reached)
        if reached != membership.tier:
            membership.tier, membership.tier_changed_at = reached, now
            if after > before:
                result.upgraded += 1
            else:
                result.downgraded += 1
        elif membership.spend_fen == spend:
            continue
        membership.spend_fen, membership.updated_at = spend, now
        changed.append(membership)
    Membership.objects.bulk_update(changed, ["tier", "tier_changed_at", "spend_fen", "updated_at"], batch_size=500)
    return result


# --- the operator's tiers -------------------------------------------------------------------------


def validate_tier(data: dict) -> None:
    """The rules a tier's fields follow (the API and the console form both apply them)."""
    name = (data.get("name") or "").strip()
    if not name or len(name) > 20:
        raise MemberError(MemberCode.INVALID_TIER, gettext("等级名称须为 1–20 个字"), {"field": "name"})
    checks = (
        ("min_spend_fen", 0, 10**13),
        ("points_multiplier_bp", 1, MAX_MULTIPLIER_BP),
        ("member_day_discount_bp", 0, 9999),
        ("sort", 0, 32767),
    )
    for field, low, high in checks:
        value = data.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise MemberError(
                MemberCode.INVALID_TIER,
                gettext("%(field)s 须在 %(low)d 与 %(high)d 之间") % {"field": field, "low": low, "high": high},
                {"field": field},
            )


def save_tier(*, tier_id: int | None = None, **data) -> MemberTier:
    """Create a tier, or change one. Names are unique."""
    data = {field: data[field] for field in TIER_FIELDS if field in data}
    data.setdefault("points_multiplier_bp", 10000)
    data.setdefault("member_day_discount_bp", 0)
    data.setdefault("sort", 0)
    data.setdefault("is_active", True)
    validate_tier(data)
    data["name"] = data["name"].strip()
    with transaction.atomic():
        found = MemberTier() if tier_id is None else MemberTier.objects.select_for_update().filter(pk=tier_id).first()
        if found is None:
            raise MemberError(MemberCode.TIER_NOT_FOUND, gettext("会员等级不存在"), {"tier_id": tier_id}, status=404)
        tier = found
        if MemberTier.objects.filter(name=data["name"]).exclude(pk=tier.pk).exists():
            raise MemberError(MemberCode.INVALID_TIER, gettext("已有同名的会员等级"), {"field": "name"}, status=409)
        for field, value in data.items():
            setattr(tier, field, value)
        tier.save()
        return tier


def delete_tier(*, tier_id: int) -> None:
    """Remove a tier nobody holds (a tier members hold is switched off instead)."""
    with transaction.atomic():
        tier = MemberTier.objects.select_for_update().filter(pk=tier_id).first()
        if tier is None:
            raise MemberError(MemberCode.TIER_NOT_FOUND, gettext("会员等级不存在"), {"tier_id": tier_id}, status=404)
        held = Membership.objects.filter(tier=tier).count()
        if held:
            raise MemberError(
                MemberCode.TIER_IN_USE,
                gettext("有 %(n)d 位会员处于该等级，不能删除；可改为停用") % {"n": held},
                {"members": held},
                status=409,
            )
        tier.delete()
