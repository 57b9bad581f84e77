"""Distributors' admission and status: applications, review, suspension and the level a distributor holds.

Status changes go through `DISTRIBUTOR_MACHINE` (the transition table, the event row with the actor).
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.duties import refuse_own
from fenxiao.common.transactions import joined
from fenxiao.common.transitions import StateMachine

from .. import hooks
from ..errors import DistributionCode, DistributionError
from ..models import Binding, DistributionSettings, Distributor, DistributorEvent, Level
from .plan import default_level, get_settings

S = Distributor.Status

# from-status → the statuses it may move to. "" is "no profile yet" (an application).
TRANSITIONS: dict[str, set[str]] = {
    "": {S.PENDING, S.AWAITING_PURCHASE, S.APPROVED},
    S.PENDING: {S.APPROVED, S.REJECTED},
    S.AWAITING_PURCHASE: {S.APPROVED, S.REJECTED},
    S.REJECTED: {S.PENDING, S.AWAITING_PURCHASE, S.APPROVED},
    S.APPROVED: {S.SUSPENDED},
    S.SUSPENDED: {S.APPROVED},
}

DISTRIBUTOR_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=DistributionError,
    event_model=DistributorEvent,
    event_fk="distributor",
    note_field="reason",
    code=DistributionCode.INVALID_TRANSITION,
)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud and typed


# --- admission -------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _transition(distributor: Distributor, to_status: str, *, actor=None, reason: str = "") -> Distributor:
    DISTRIBUTOR_MACHINE.check(distributor.status, to_status)
    now = timezone.now()
    distributor.status_changed_at = now
    fields = ["status_changed_at"]
    if to_status == S.APPROVED and distributor.approved_at is None:
        distributor.approved_at = now
        fields.append("approved_at")
    if to_status == S.REJECTED:
        distributor.reject_reason = reason[:200]
        fields.append("reject_reason")
    DISTRIBUTOR_MACHINE.move(distributor, to_status, actor=actor, note=reason, extra_fields=fields)
    if to_status == S.APPROVED:
        hooks.approved(distributor)
    return distributor


def refuse_staff_distributor(user, conf: DistributionSettings | None = None) -> None:
    """Staff accounts are not distributors unless the operator allows it (a staff member who earns
    commission would review, settle or pay its own money)."""
    if user is None or not getattr(user, "is_staff", False):
        return
    if not (conf or get_settings()).staff_may_distribute:
        raise DistributionError(
            DistributionCode.STAFF_NOT_ALLOWED,
            gettext("员工账号不能成为分销商（可在分销设置中开启）"),
            {"user_id": user.pk},
            status=403,
        )


def _status_for_new_application(conf: DistributionSettings) -> str:
    return {
        DistributionSettings.Admission.OPEN: S.APPROVED,
        DistributionSettings.Admission.REVIEW: S.PENDING,
        DistributionSettings.Admission.THRESHOLD: S.AWAITING_PURCHASE,
    }[conf.admission_mode]


@transaction.atomic
def apply_for_distributor(*, user, real_name: str = "", note: str = "", code: str | None = None) -> Distributor:
    """A user asks to become a distributor. The inviter is the distributor the user is bound to (if
    that one is approved); it is fixed from here on. Open admission approves at once, review waits
    for an operator, threshold waits for a first purchase of at least the threshold."""
    real_name = (real_name or "").strip()
    note = (note or "").strip()
    if len(real_name) > 32 or len(note) > 200:
        raise DistributionError(DistributionCode.INVALID_APPLICATION, gettext("姓名最多 32 个字符，申请说明最多 200 个字符"))
    if code is not None:
        code = code.strip().upper()
        if not (4 <= len(code) <= 12 and code.isascii() and code.isalnum()):
            raise DistributionError(DistributionCode.INVALID_CODE, gettext("邀请码须为 4–12 位字母或数字"), {"code": code})
        if Distributor.objects.filter(code=code).exists():
            raise DistributionError(DistributionCode.CODE_TAKEN, gettext("该邀请码已被使用"), {"code": code}, status=409)
    conf = get_settings()
    refuse_staff_distributor(user, conf)
    target = _status_for_new_application(conf)
    existing = Distributor.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        if existing.status in (S.APPROVED, S.SUSPENDED):
            raise DistributionError(
                DistributionCode.ALREADY_DISTRIBUTOR, gettext("你已经是分销商了"), {"status": existing.status}, status=409
            )
        if existing.status in (S.PENDING, S.AWAITING_PURCHASE):
            raise DistributionError(
                DistributionCode.APPLICATION_PENDING, gettext("你的申请正在处理中"), {"status": existing.status}, status=409
            )
        existing.real_name, existing.apply_note, existing.applied_at = real_name, note, timezone.now()
        existing.reject_reason = ""
        existing.save(update_fields=["real_name", "apply_note", "applied_at", "reject_reason"])
        hooks.applied(existing)
        return _transition(existing, target, actor=user, reason="重新申请")

    inviter = None
    binding = Binding.objects.select_related("distributor").filter(customer=user).first()
    if binding is not None and binding.distributor.is_approved and binding.distributor.user_id != user.pk:
        inviter = binding.distributor
    now = timezone.now()
    level = default_level()
    for _attempt in range(8):
        distributor = Distributor(
            user=user,
            code=code or _new_code(),
            inviter=inviter,
            depth=(inviter.depth + 1) if inviter else 0,
            level=level,
            status=target,
            real_name=real_name,
            apply_note=note,
            applied_at=now,
            status_changed_at=now,
            approved_at=now if target == S.APPROVED else None,
        )
        try:
            with transaction.atomic():
                distributor.save()
            break
        except IntegrityError as exc:
            if Distributor.objects.filter(user=user).exists():
                raise DistributionError(DistributionCode.APPLICATION_PENDING, gettext("你的申请正在处理中"), status=409) from exc
    else:  # pragma: no cover - 32^6 codes make eight collisions in a row practically impossible
        raise DistributionError(DistributionCode.CODE_EXHAUSTED, gettext("邀请码生成失败，请重试"), status=503)
    distributor.path = f"{inviter.path if inviter else '/'}{distributor.pk}/"
    distributor.save(update_fields=["path"])
    DISTRIBUTOR_MACHINE.record(
        distributor,
        "",
        target,
        actor=user,
        note={S.APPROVED: "自由加入", S.PENDING: "提交申请，待审核", S.AWAITING_PURCHASE: "提交申请，待完成首单"}[target],
    )
    hooks.applied(distributor)
    if target == S.APPROVED:
        hooks.approved(distributor)
    return distributor


def _locked(distributor_id: int) -> Distributor:
    distributor = Distributor.objects.select_for_update().select_related("user", "level").filter(pk=distributor_id).first()
    if distributor is None:
        raise DistributionError(
            DistributionCode.DISTRIBUTOR_NOT_FOUND, gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404
        )
    return distributor


@transaction.atomic
def approve_distributor(*, distributor_id: int, actor, reason: str = "") -> Distributor:
    distributor = _locked(distributor_id)
    refuse_own(actor, distributor.user_id, what=f"distributor:{distributor.code}")
    refuse_staff_distributor(distributor.user)
    return _transition(distributor, S.APPROVED, actor=actor, reason=reason or "审核通过")


@transaction.atomic
def reject_distributor(*, distributor_id: int, actor, reason: str) -> Distributor:
    reason = (reason or "").strip()
    if not reason:
        raise DistributionError(DistributionCode.REASON_REQUIRED, gettext("拒绝时必须填写原因"), status=400)
    distributor = _locked(distributor_id)
    refuse_own(actor, distributor.user_id, what=f"distributor:{distributor.code}")
    return _transition(distributor, S.REJECTED, actor=actor, reason=reason)


@transaction.atomic
def suspend_distributor(*, distributor_id: int, actor, reason: str) -> Distributor:
    reason = (reason or "").strip()
    if not reason:
        raise DistributionError(DistributionCode.REASON_REQUIRED, gettext("暂停时必须填写原因"), status=400)
    return _transition(_locked(distributor_id), S.SUSPENDED, actor=actor, reason=reason)


@transaction.atomic
def reinstate_distributor(*, distributor_id: int, actor, reason: str = "") -> Distributor:
    distributor = _locked(distributor_id)
    refuse_own(actor, distributor.user_id, what=f"distributor:{distributor.code}")
    refuse_staff_distributor(distributor.user)
    return _transition(distributor, S.APPROVED, actor=actor, reason=reason or "恢复")


def record_qualifying_purchase(*, user=None, user_id: int | None = None, amount_fen: int) -> Distributor | None:
    """Called when a user's order is paid: under threshold admission, an application waiting for a
    first purchase of at least the threshold is approved. Returns the distributor if it changed."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise DistributionError(
            DistributionCode.INVALID_AMOUNT, gettext("金额必须是不小于 0 的整数（分）"), {"amount_fen": amount_fen}
        )
    user_id = user_id if user_id is not None else user.pk
    with joined():  # on every payment, in its transaction: no savepoint of its own
        distributor = Distributor.objects.select_for_update().filter(user_id=user_id, status=S.AWAITING_PURCHASE).first()
        if distributor is None:
            return None
        threshold = get_settings().threshold_fen
        if amount_fen < threshold:
            return None
        return _transition(distributor, S.APPROVED, actor=None, reason=f"首单 {amount_fen} 分达到门槛 {threshold} 分")


@transaction.atomic
def assign_level(*, distributor: Distributor, level: Level, actor=None, reason: str = "") -> Distributor:
    if distributor.level_id != level.pk:
        old = distributor.level.name
        distributor.level = level
        distributor.save(update_fields=["level"])
        DISTRIBUTOR_MACHINE.record(
            distributor, distributor.status, distributor.status, actor=actor, note=reason or f"等级调整：{old} → {level.name}"
        )
    return distributor
