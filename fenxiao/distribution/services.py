"""The only code that writes the distributor network.

Status changes go through `_transition`, which checks the transition table and writes an event
row with the actor; binding changes write a BindingEvent in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.duties import refuse_own
from fenxiao.common.money import MAX_RATE_BP
from fenxiao.common.validation import third_level_fields

from . import signals
from .errors import DistributionError
from .models import (
    MAX_COMMISSION_LEVELS,
    Binding,
    BindingEvent,
    DistributionSettings,
    Distributor,
    DistributorEvent,
    Level,
    Visit,
)

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

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud and typed


# --- settings and levels ---------------------------------------------------------------------


def get_settings() -> DistributionSettings:
    obj = DistributionSettings.objects.filter(pk=1).first()
    if obj is None:
        obj, _ = DistributionSettings.objects.get_or_create(pk=1)
    return obj


def validate_commission_levels(value: Any) -> int:
    """1 or 2; anything above is refused with the same error from the API, the admin and imports."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DistributionError("invalid_setting", gettext("佣金层级数必须是整数 1 或 2"), {"commission_levels": value})
    if value > MAX_COMMISSION_LEVELS:
        raise DistributionError(
            "commission_depth_exceeded",
            gettext("佣金最多两级（直推 + 间推），不能设置为 %(value)s 级：超过两级的分佣属于传销风险，法律不允许") % {"value": value},
            {"requested": value, "max": MAX_COMMISSION_LEVELS},
        )
    if value < 1:
        raise DistributionError("invalid_setting", gettext("佣金层级数至少为 1"), {"commission_levels": value})
    return value


SETTING_FIELDS = {
    "admission_mode",
    "threshold_fen",
    "binding_policy",
    "binding_days",
    "commission_levels",
    "self_purchase_commission",
    "staff_may_distribute",
}


def validate_settings_changes(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - SETTING_FIELDS
    if unknown:
        raise DistributionError("invalid_setting", gettext("未知的设置项"), {"fields": sorted(unknown)})
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "commission_levels":
            clean[key] = validate_commission_levels(value)
        elif key == "admission_mode":
            if value not in DistributionSettings.Admission.values:
                raise DistributionError("invalid_setting", gettext("加入方式只能是 open、review 或 threshold"), {key: value})
            clean[key] = value
        elif key == "binding_policy":
            if value not in DistributionSettings.BindingPolicy.values:
                raise DistributionError("invalid_setting", gettext("绑定规则只能是 permanent 或 expiring"), {key: value})
            clean[key] = value
        elif key == "binding_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
                raise DistributionError("invalid_setting", gettext("绑定有效天数须在 1 到 3650 之间"), {key: value})
            clean[key] = value
        elif key == "threshold_fen":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DistributionError("invalid_setting", gettext("首单门槛必须是不小于 0 的整数（分）"), {key: value})
            clean[key] = value
        elif key == "self_purchase_commission":
            if not isinstance(value, bool):
                raise DistributionError("invalid_setting", gettext("自购返佣只能是 true 或 false"), {key: value})
            clean[key] = value
        elif key == "staff_may_distribute":
            if not isinstance(value, bool):
                raise DistributionError("invalid_setting", gettext("允许员工成为分销商只能是 true 或 false"), {key: value})
            clean[key] = value
    return clean


@transaction.atomic
def update_settings(*, actor=None, **changes: Any) -> DistributionSettings:
    clean = validate_settings_changes(changes)
    obj = DistributionSettings.objects.select_for_update().filter(pk=1).first() or get_settings()
    for key, value in clean.items():
        setattr(obj, key, value)
    obj.updated_by = actor
    obj.save(update_fields=[*clean.keys(), "updated_by", "updated_at"])
    return obj


def validate_level_values(*, name: str, rank: int, direct_rate_bp: int, indirect_rate_bp: int, team_bonus_bp: int = 0) -> None:
    name = (name or "").strip()
    if not name or len(name) > 20:
        raise DistributionError("invalid_level", gettext("等级名称须为 1–20 个字符"), {"name": name})
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise DistributionError("invalid_level", gettext("等级序号必须是正整数"), {"rank": rank})
    for field, value in (
        ("direct_rate_bp", direct_rate_bp),
        ("indirect_rate_bp", indirect_rate_bp),
        ("team_bonus_bp", team_bonus_bp),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATE_BP:
            raise DistributionError("invalid_rate", gettext("比例必须是 0–10000 之间的整数基点（1% = 100）"), {field: value})
    if direct_rate_bp + indirect_rate_bp > MAX_RATE_BP:
        raise DistributionError("invalid_rate", gettext("直推与间推比例之和不能超过 100%"), {"sum_bp": direct_rate_bp + indirect_rate_bp})


@transaction.atomic
def save_level(
    *,
    name: str,
    rank: int,
    direct_rate_bp: int,
    indirect_rate_bp: int,
    team_bonus_bp: int = 0,
    description: str = "",
    level: Level | None = None,
    **extra: Any,
) -> Level:
    """Create a level, or change one when `level` is given. Any rate for a third commission level
    (`third_rate_bp`, `level3_rate_bp`, ...) is refused: commission stops at two levels."""
    if extra:
        third = third_level_fields(extra)
        if third:
            raise DistributionError(
                "commission_depth_exceeded",
                gettext("佣金最多两级（直推 + 间推），不能设置第三级佣金"),
                {"fields": sorted(third), "max": MAX_COMMISSION_LEVELS},
            )
        raise DistributionError("invalid_level", gettext("未知的等级字段"), {"fields": sorted(extra)})
    validate_level_values(
        name=name, rank=rank, direct_rate_bp=direct_rate_bp, indirect_rate_bp=indirect_rate_bp, team_bonus_bp=team_bonus_bp
    )
    clash = Level.objects.filter(rank=rank).exclude(pk=getattr(level, "pk", None)).exists()
    if clash:
        raise DistributionError("invalid_level", gettext("已有相同序号的等级"), {"rank": rank}, status=409)
    if Level.objects.filter(name=name.strip()).exclude(pk=getattr(level, "pk", None)).exists():
        raise DistributionError("invalid_level", gettext("已有同名等级"), {"name": name}, status=409)
    level = level or Level()
    level.name, level.rank = name.strip(), rank
    level.direct_rate_bp, level.indirect_rate_bp, level.team_bonus_bp = direct_rate_bp, indirect_rate_bp, team_bonus_bp
    level.description = description
    level.save()
    return level


def default_level() -> Level:
    level = Level.objects.order_by("rank").first()
    if level is None:
        raise DistributionError("invalid_level", gettext("尚未设置任何分销等级，请运营先在后台创建等级"), status=409)
    return level


@transaction.atomic
def assign_level(*, distributor: Distributor, level: Level, actor=None, reason: str = "") -> Distributor:
    if distributor.level_id != level.pk:
        old = distributor.level.name
        distributor.level = level
        distributor.save(update_fields=["level"])
        DistributorEvent.objects.create(
            distributor=distributor,
            from_status=distributor.status,
            to_status=distributor.status,
            actor=actor,
            reason=(reason or f"等级调整：{old} → {level.name}")[:200],
        )
    return distributor


# --- admission -------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _transition(distributor: Distributor, to_status: str, *, actor=None, reason: str = "") -> Distributor:
    from_status = distributor.status if distributor.pk else ""
    if to_status not in TRANSITIONS.get(from_status, set()):
        raise DistributionError(
            "invalid_transition",
            gettext("当前状态（%(current)s）不能变为 %(target)s")
            % {"current": S(from_status).label if from_status else gettext("无"), "target": S(to_status).label},
            {"from": from_status, "to": to_status},
            status=409,
        )
    now = timezone.now()
    distributor.status = to_status
    distributor.status_changed_at = now
    fields = ["status", "status_changed_at"]
    if to_status == S.APPROVED and distributor.approved_at is None:
        distributor.approved_at = now
        fields.append("approved_at")
    if to_status == S.REJECTED:
        distributor.reject_reason = reason[:200]
        fields.append("reject_reason")
    if distributor.pk:
        distributor.save(update_fields=fields)
    DistributorEvent.objects.create(
        distributor=distributor, from_status=from_status, to_status=to_status, actor=actor, reason=reason[:200]
    )
    if to_status == S.APPROVED:
        signals.distributor_approved.send(sender=Distributor, distributor=distributor)
    return distributor


def refuse_staff_distributor(user, conf: DistributionSettings | None = None) -> None:
    """Staff accounts are not distributors unless the operator allows it (a staff member who earns
    commission would review, settle or pay its own money)."""
    if user is None or not getattr(user, "is_staff", False):
        return
    if not (conf or get_settings()).staff_may_distribute:
        raise DistributionError(
            "staff_not_allowed", gettext("员工账号不能成为分销商（可在分销设置中开启）"), {"user_id": user.pk}, status=403
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
        raise DistributionError("invalid_application", gettext("姓名最多 32 个字符，申请说明最多 200 个字符"))
    if code is not None:
        code = code.strip().upper()
        if not (4 <= len(code) <= 12 and code.isascii() and code.isalnum()):
            raise DistributionError("invalid_code", gettext("邀请码须为 4–12 位字母或数字"), {"code": code})
        if Distributor.objects.filter(code=code).exists():
            raise DistributionError("code_taken", gettext("该邀请码已被使用"), {"code": code}, status=409)
    conf = get_settings()
    refuse_staff_distributor(user, conf)
    target = _status_for_new_application(conf)
    existing = Distributor.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        if existing.status in (S.APPROVED, S.SUSPENDED):
            raise DistributionError("already_distributor", gettext("你已经是分销商了"), {"status": existing.status}, status=409)
        if existing.status in (S.PENDING, S.AWAITING_PURCHASE):
            raise DistributionError(
                "application_pending", gettext("你的申请正在处理中"), {"status": existing.status}, status=409
            )
        existing.real_name, existing.apply_note, existing.applied_at = real_name, note, timezone.now()
        existing.reject_reason = ""
        existing.save(update_fields=["real_name", "apply_note", "applied_at", "reject_reason"])
        signals.distributor_applied.send(sender=Distributor, distributor=existing)
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
                raise DistributionError("application_pending", gettext("你的申请正在处理中"), status=409) from exc
    else:  # pragma: no cover - 32^6 codes make eight collisions in a row practically impossible
        raise DistributionError("code_exhausted", gettext("邀请码生成失败，请重试"), status=503)
    distributor.path = f"{inviter.path if inviter else '/'}{distributor.pk}/"
    distributor.save(update_fields=["path"])
    DistributorEvent.objects.create(
        distributor=distributor,
        from_status="",
        to_status=target,
        actor=user,
        reason={S.APPROVED: "自由加入", S.PENDING: "提交申请，待审核", S.AWAITING_PURCHASE: "提交申请，待完成首单"}[target],
    )
    signals.distributor_applied.send(sender=Distributor, distributor=distributor)
    if target == S.APPROVED:
        signals.distributor_approved.send(sender=Distributor, distributor=distributor)
    return distributor


def _locked(distributor_id: int) -> Distributor:
    distributor = Distributor.objects.select_for_update().select_related("user", "level").filter(pk=distributor_id).first()
    if distributor is None:
        raise DistributionError("distributor_not_found", gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404)
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
        raise DistributionError("reason_required", gettext("拒绝时必须填写原因"), status=400)
    distributor = _locked(distributor_id)
    refuse_own(actor, distributor.user_id, what=f"distributor:{distributor.code}")
    return _transition(distributor, S.REJECTED, actor=actor, reason=reason)


@transaction.atomic
def suspend_distributor(*, distributor_id: int, actor, reason: str) -> Distributor:
    reason = (reason or "").strip()
    if not reason:
        raise DistributionError("reason_required", gettext("暂停时必须填写原因"), status=400)
    return _transition(_locked(distributor_id), S.SUSPENDED, actor=actor, reason=reason)


@transaction.atomic
def reinstate_distributor(*, distributor_id: int, actor, reason: str = "") -> Distributor:
    distributor = _locked(distributor_id)
    refuse_own(actor, distributor.user_id, what=f"distributor:{distributor.code}")
    refuse_staff_distributor(distributor.user)
    return _transition(distributor, S.APPROVED, actor=actor, reason=reason or "恢复")


@transaction.atomic
def record_qualifying_purchase(*, user=None, user_id: int | None = None, amount_fen: int) -> Distributor | None:
    """Called when a user's order is paid: under threshold admission, an application waiting for a
    first purchase of at least the threshold is approved. Returns the distributor if it changed."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise DistributionError("invalid_amount", gettext("金额必须是不小于 0 的整数（分）"), {"amount_fen": amount_fen})
    user_id = user_id if user_id is not None else user.pk
    distributor = Distributor.objects.select_for_update().filter(user_id=user_id, status=S.AWAITING_PURCHASE).first()
    if distributor is None:
        return None
    threshold = get_settings().threshold_fen
    if amount_fen < threshold:
        return None
    return _transition(distributor, S.APPROVED, actor=None, reason=f"首单 {amount_fen} 分达到门槛 {threshold} 分")


# --- binding ---------------------------------------------------------------------------------


class BindOutcome:
    BOUND = "bound"
    REBOUND = "rebound"
    RENEWED = "renewed"
    KEPT = "kept"
    INVITER_FIXED = "inviter_fixed"


def _refuse(customer, distributor: Distributor, action: str, source: str, code: str, message: str):
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
        raise DistributionError("not_distributor", gettext("该分销商不可用"), {"distributor_code": distributor.code}, status=404)
    with transaction.atomic():
        if distributor.user_id == customer.pk:
            error = _refuse(customer, distributor, BindingEvent.Action.REFUSED_SELF, source, "binding_self", gettext("不能绑定到自己"))
        else:
            own = Distributor.objects.filter(user=customer).only("pk", "status").first()
            error = None
            if own is not None and own.pk in set(distributor.ancestor_ids()):
                error = _refuse(
                    customer, distributor, BindingEvent.Action.REFUSED_LOOP, source, "binding_loop",
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
                customer=customer, action=BindingEvent.Action.BOUND, new_distributor=distributor, source=source, expires_at=expires_at
            )
            return BindOutcome.BOUND
        if current.distributor_id == distributor.pk:
            if expires_at is not None and (current.expires_at is None or current.expires_at < expires_at):
                current.expires_at = expires_at
                current.save(update_fields=["expires_at"])
                BindingEvent.objects.create(
                    customer=customer, action=BindingEvent.Action.RENEWED, old_distributor=distributor,
                    new_distributor=distributor, source=source, expires_at=expires_at,
                )
                return BindOutcome.RENEWED
            return BindOutcome.KEPT
        expired = current.expires_at is not None and current.expires_at <= now
        if conf.binding_policy == conf.BindingPolicy.EXPIRING and expired:
            old = current.distributor
            current.distributor, current.bound_at, current.expires_at, current.source = distributor, now, expires_at, source
            current.save(update_fields=["distributor", "bound_at", "expires_at", "source"])
            BindingEvent.objects.create(
                customer=customer, action=BindingEvent.Action.REBOUND, old_distributor=old,
                new_distributor=distributor, source=source, expires_at=expires_at,
            )
            return BindOutcome.REBOUND
        return BindOutcome.KEPT


def record_visit(*, distributor: Distributor, visitor=None, product_id: int | None = None, session_key: str = "", channel: str = "") -> Visit:
    return Visit.objects.create(
        distributor=distributor,
        visitor=visitor if getattr(visitor, "is_authenticated", False) else None,
        product_id=product_id,
        session_key=(session_key or "")[:40],
        channel=(channel or "")[:32],
    )


def open_share_link(*, code: str, visitor=None, product_id: int | None = None, session_key: str = "", channel: str = "") -> tuple[Distributor, str | None]:
    """A share link was opened: record the visit, and bind the visitor if logged in.
    Returns the distributor and the binding outcome (None for anonymous visitors)."""
    distributor = Distributor.objects.select_related("user", "level").filter(code=code.upper(), status=S.APPROVED).first()
    if distributor is None:
        raise DistributionError("distributor_not_found", gettext("分享链接无效或分销商已停用"), {"code": code}, status=404)
    record_visit(distributor=distributor, visitor=visitor, product_id=product_id, session_key=session_key, channel=channel)
    outcome = None
    if visitor is not None and getattr(visitor, "is_authenticated", False):
        try:
            outcome = bind_customer(customer=visitor, distributor=distributor, source="product_link" if product_id else "shop_link")
        except DistributionError as exc:
            outcome = exc.code
    return distributor, outcome
