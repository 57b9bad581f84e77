"""The only code that writes suppliers: admission (apply, approve, reject, re-apply), periodic
evaluation, suspension and reinstatement, and the supplier's own profile (contact, return address,
bank account).

Status changes go through `SUPPLIER_MACHINE` (the transition table, the time stamp, the event row with
the actor). Reviews are 供应链 staff's duty (`suppliers.review_supplier`, checked by the API and the
console); staff never review a supplier account of their own (`refuse_own`).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

from fenxiao.common.duties import refuse_own
from fenxiao.common.phone import is_mainland_mobile, normalize_phone
from fenxiao.common.transitions import StateMachine

from .errors import SupplierCode, SupplierError
from .models import Supplier, SupplierEvent

S = Supplier.Status

# from-status → the statuses it may move to. "" is "no supplier yet" (an application, or an account the
# operator creates directly, which starts approved).
TRANSITIONS: dict[str, set[str]] = {
    "": {S.APPLIED, S.APPROVED},
    S.APPLIED: {S.APPROVED, S.REJECTED},
    S.REJECTED: {S.APPLIED},
    S.APPROVED: {S.SUSPENDED},
    S.SUSPENDED: {S.APPROVED},
}

SUPPLIER_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=SupplierError,
    event_model=SupplierEvent,
    event_fk="supplier",
    stamps={S.APPLIED: "applied_at", S.SUSPENDED: "suspended_at"},
    code=SupplierCode.INVALID_TRANSITION,
    detail_key="pk",
    what=_("供应商"),
)

# The fields of an application, with their length limits (the model's) and whether they must be filled.
APPLICATION_FIELDS: dict[str, tuple[int, bool]] = {
    "name": (80, True),
    "company_name": (120, True),
    "credit_code": (40, True),  # as typed (spaces, dashes); 18 once cleaned
    "licence_number": (40, True),
    "category": (60, True),
    "production_scale": (200, False),
    "quality_system": (200, False),
    "contact_name": (32, True),
    "contact_phone": (20, True),
    "return_receiver": (32, True),
    "return_phone": (20, True),
    "return_province": (20, True),
    "return_city": (20, True),
    "return_district": (20, False),
    "return_detail": (120, True),
    "bank_account_name": (120, True),
    "bank_account_number": (40, True),
    "bank_name": (80, True),
}
# What a supplier may change of its own profile after admission.
PROFILE_FIELDS = (
    "contact_name",
    "contact_phone",
    "return_receiver",
    "return_phone",
    "return_province",
    "return_city",
    "return_district",
    "return_detail",
    "bank_account_name",
    "bank_account_number",
    "bank_name",
)
BANK_FIELDS = ("bank_account_name", "bank_account_number", "bank_name")
PHONE_FIELDS = ("contact_phone", "return_phone")
_BANK_ACCOUNT = re.compile(r"^[0-9]{8,34}$")
_LABELS = {
    "name": _("供应商名称"),
    "company_name": _("公司全称"),
    "credit_code": _("统一社会信用代码"),
    "licence_number": _("许可证号"),
    "category": _("主营类目"),
    "production_scale": _("生产规模"),
    "quality_system": _("质量管理体系"),
    "contact_name": _("联系人"),
    "contact_phone": _("联系电话"),
    "return_receiver": _("退货收件人"),
    "return_phone": _("退货电话"),
    "return_province": _("退货省"),
    "return_city": _("退货市"),
    "return_district": _("退货区/县"),
    "return_detail": _("退货详细地址"),
    "bank_account_name": _("收款户名"),
    "bank_account_number": _("收款账号"),
    "bank_name": _("开户银行"),
}


# --- input ---------------------------------------------------------------------------------------


def clean_credit_code(raw: str) -> str:
    """统一社会信用代码: 18 characters with the GB 32100 check character; spaces and dashes are dropped
    and letters upper-cased."""
    try:
        return uscc.validate(str(raw or ""))
    except StdnumValidationError as exc:
        raise SupplierError(
            SupplierCode.INVALID_CREDIT_CODE,
            gettext("统一社会信用代码不正确（18 位，末位为校验码）"),
            {"field": "credit_code"},
        ) from exc


def _clean_phone(raw: str, field: str) -> str:
    phone = normalize_phone(raw)
    if not is_mainland_mobile(phone):
        raise SupplierError(
            SupplierCode.INVALID_PHONE,
            gettext("%(label)s格式不正确，应为 11 位中国大陆手机号") % {"label": _LABELS[field]},
            {"field": field},
        )
    return phone


def _clean_bank_account(raw: str) -> str:
    number = re.sub(r"[\s\-]", "", str(raw or ""))
    if not _BANK_ACCOUNT.match(number):
        raise SupplierError(
            SupplierCode.INVALID_BANK_ACCOUNT, gettext("收款账号须为 8–34 位数字"), {"field": "bank_account_number"}
        )
    return number


def _clean_text(fields: dict[str, Any], *, required: bool) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        limit, must = APPLICATION_FIELDS[name]
        text = str(value if value is not None else "").strip()
        if must and required and not text:
            raise SupplierError(
                SupplierCode.INVALID_APPLICATION,
                gettext("请填写%(label)s") % {"label": _LABELS[name]},
                {"field": name},
            )
        if len(text) > limit:
            raise SupplierError(
                SupplierCode.INVALID_APPLICATION,
                gettext("%(label)s最多 %(n)s 个字符") % {"label": _LABELS[name], "n": limit},
                {"field": name, "max_length": limit},
            )
        cleaned[name] = text
    for name in PHONE_FIELDS:
        if cleaned.get(name):
            cleaned[name] = _clean_phone(cleaned[name], name)
    if cleaned.get("bank_account_number"):
        cleaned["bank_account_number"] = _clean_bank_account(cleaned["bank_account_number"])
    return cleaned


def clean_application(fields: dict[str, Any]) -> dict[str, str]:
    """Every application field filled where it must be, within its length, phones and the bank account
    well-formed, the credit code checked; the settlement cycle one of the cycles."""
    unknown = set(fields) - set(APPLICATION_FIELDS) - {"settlement_cycle"}
    if unknown:
        raise TypeError(f"unknown application fields: {sorted(unknown)}")
    cycle = fields.get("settlement_cycle") or Supplier.Cycle.MONTHLY
    if cycle not in Supplier.Cycle.values:
        raise SupplierError(
            SupplierCode.INVALID_APPLICATION,
            gettext("结算周期只能是按周或按月"),
            {"field": "settlement_cycle", "choices": list(Supplier.Cycle.values)},
        )
    cleaned = _clean_text({name: fields.get(name, "") for name in APPLICATION_FIELDS}, required=True)
    cleaned["credit_code"] = clean_credit_code(cleaned["credit_code"])
    cleaned["settlement_cycle"] = cycle
    return cleaned


def _check_unique(cleaned: dict[str, str], *, exclude_pk: int | None) -> None:
    others = Supplier.objects.exclude(pk=exclude_pk) if exclude_pk else Supplier.objects.all()
    if others.filter(credit_code=cleaned["credit_code"]).exists():
        raise SupplierError(
            SupplierCode.CREDIT_CODE_TAKEN,
            gettext("该统一社会信用代码已有供应商入驻或申请"),
            {"credit_code": cleaned["credit_code"]},
            status=409,
        )
    if others.filter(name=cleaned["name"]).exists():
        raise SupplierError(SupplierCode.SUPPLIER_EXISTS, gettext("供应商名称已存在"), {"name": cleaned["name"]}, status=409)


def refuse_staff(user) -> None:
    """Staff accounts do not apply as suppliers: they would review their own goods and payables."""
    if user is not None and getattr(user, "is_staff", False):
        raise SupplierError(
            SupplierCode.STAFF_NOT_ALLOWED, gettext("员工账号不能申请成为供应商"), {"user_id": user.pk}, status=403
        )


# --- admission -----------------------------------------------------------------------------------


@transaction.atomic
def create_supplier(*, name: str, user, contact_name: str = "", contact_phone: str = "") -> Supplier:
    """An approved supplier account the operator sets up directly (no application)."""
    phone = normalize_phone(contact_phone) if contact_phone else ""
    if phone and not is_mainland_mobile(phone):
        raise SupplierError(SupplierCode.INVALID_PHONE, gettext("联系电话格式不正确"), {"contact_phone": contact_phone})
    if Supplier.objects.filter(name=name).exists():
        raise SupplierError(SupplierCode.SUPPLIER_EXISTS, gettext("供应商名称已存在"), {"name": name}, status=409)
    now = timezone.now()
    supplier = Supplier.objects.create(
        name=name, user=user, contact_name=contact_name, contact_phone=phone, status=S.APPROVED, reviewed_at=now
    )
    SUPPLIER_MACHINE.record(supplier, "", S.APPROVED, note=gettext("平台直接创建"))
    return supplier


@transaction.atomic
def apply(user, **fields) -> Supplier:
    """A signed-in user (not staff) applies to supply: company details and qualifications, contact,
    return address, bank account and settlement cycle. A rejected applicant applies again with the
    same account (the application is updated and goes back to review)."""
    refuse_staff(user)
    cleaned = clean_application(fields)
    existing = Supplier.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        if existing.status == S.APPLIED:
            raise SupplierError(
                SupplierCode.APPLICATION_PENDING, gettext("你的入驻申请正在审核中"), {"status": existing.status}, status=409
            )
        if existing.status in (S.APPROVED, S.SUSPENDED):
            raise SupplierError(
                SupplierCode.ALREADY_SUPPLIER, gettext("你已经是供应商了"), {"status": existing.status}, status=409
            )
    _check_unique(cleaned, exclude_pk=existing.pk if existing else None)
    try:
        with transaction.atomic():
            if existing is not None:
                for name, value in cleaned.items():
                    setattr(existing, name, value)
                existing.status_reason = ""
                existing.save(update_fields=[*cleaned, "status_reason"])
                SUPPLIER_MACHINE.move(existing, S.APPLIED, actor=user, note=gettext("重新提交入驻申请"))
                return existing
            supplier = Supplier.objects.create(user=user, status=S.APPLIED, applied_at=timezone.now(), **cleaned)
    except IntegrityError as exc:  # a concurrent application with the same name, credit code or account
        raise SupplierError(
            SupplierCode.CREDIT_CODE_TAKEN, gettext("该供应商资料已被提交，请勿重复申请"), {}, status=409
        ) from exc
    SUPPLIER_MACHINE.record(supplier, "", S.APPLIED, actor=user, note=gettext("提交入驻申请"))
    return supplier


def _locked(supplier_id: int) -> Supplier:
    supplier = Supplier.objects.select_for_update().filter(pk=supplier_id).first()
    if supplier is None:
        raise SupplierError(SupplierCode.SUPPLIER_NOT_FOUND, gettext("供应商不存在"), {"supplier_id": supplier_id}, status=404)
    return supplier


def _wrong_status(supplier: Supplier, message: str) -> SupplierError:
    return SupplierError(
        SupplierCode.INVALID_TRANSITION, message, {"supplier_id": supplier.pk, "status": supplier.status}, status=409
    )


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SupplierError(SupplierCode.REASON_REQUIRED, message, {"field": "reason"})
    return reason


@transaction.atomic
def approve(supplier_id: int, actor, note: str = "") -> Supplier:
    supplier = _locked(supplier_id)
    refuse_own(actor, supplier.user_id, what=f"supplier:{supplier.pk}")
    if supplier.status != S.APPLIED:  # a suspended supplier comes back through `reinstate`
        raise _wrong_status(supplier, gettext("只有待审核的申请可以审核通过"))
    supplier.reviewed_at, supplier.status_reason = timezone.now(), ""
    SUPPLIER_MACHINE.move(
        supplier,
        S.APPROVED,
        actor=actor,
        note=(note or "").strip() or gettext("审核通过"),
        extra_fields=["reviewed_at", "status_reason"],
    )
    return supplier


@transaction.atomic
def reject(supplier_id: int, actor, reason: str) -> Supplier:
    reason = _reason(reason, gettext("拒绝时必须填写原因"))
    supplier = _locked(supplier_id)
    refuse_own(actor, supplier.user_id, what=f"supplier:{supplier.pk}")
    SUPPLIER_MACHINE.check(supplier.status, S.REJECTED, obj=supplier)
    supplier.reviewed_at, supplier.status_reason = timezone.now(), reason[:200]
    SUPPLIER_MACHINE.move(supplier, S.REJECTED, actor=actor, note=reason, extra_fields=["reviewed_at", "status_reason"])
    return supplier


@transaction.atomic
def suspend(supplier_id: int, actor, reason: str) -> Supplier:
    """Its products stop selling at once (see catalog's `supplier_ready_q`); orders already placed stay."""
    reason = _reason(reason, gettext("暂停时必须填写原因"))
    supplier = _locked(supplier_id)
    refuse_own(actor, supplier.user_id, what=f"supplier:{supplier.pk}")
    SUPPLIER_MACHINE.check(supplier.status, S.SUSPENDED, obj=supplier)
    supplier.status_reason = reason[:200]
    SUPPLIER_MACHINE.move(supplier, S.SUSPENDED, actor=actor, note=reason, extra_fields=["status_reason"])
    return supplier


@transaction.atomic
def reinstate(supplier_id: int, actor, note: str = "") -> Supplier:
    supplier = _locked(supplier_id)
    refuse_own(actor, supplier.user_id, what=f"supplier:{supplier.pk}")
    if supplier.status != S.SUSPENDED:  # approving an application is `approve`
        raise _wrong_status(supplier, gettext("只有已暂停的供应商可以恢复合作"))
    supplier.status_reason = ""
    SUPPLIER_MACHINE.move(
        supplier, S.APPROVED, actor=actor, note=(note or "").strip() or gettext("恢复合作"), extra_fields=["status_reason"]
    )
    return supplier


@transaction.atomic
def evaluate(supplier_id: int, actor, score: int, conclusion: str, suspend: bool = False) -> Supplier:
    """The periodic evaluation (供应商考核): a score of 0–100 and a conclusion, recorded on the supplier's
    timeline; with `suspend` an approved supplier is suspended for it in the same step (one already
    suspended stays so, with the note). Only approved or suspended suppliers are evaluated (else 409)."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise SupplierError(SupplierCode.INVALID_EVALUATION, gettext("评分须为 0–100 的整数"), {"field": "score"})
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise SupplierError(SupplierCode.INVALID_EVALUATION, gettext("请填写评估结论"), {"field": "conclusion"})
    supplier = _locked(supplier_id)
    refuse_own(actor, supplier.user_id, what=f"supplier:{supplier.pk}")
    if supplier.status not in (S.APPROVED, S.SUSPENDED):
        raise _wrong_status(supplier, gettext("只能评估合作中或已暂停的供应商"))
    note = gettext("评估 %(score)s 分：%(conclusion)s") % {"score": score, "conclusion": conclusion}
    if suspend and supplier.status == S.APPROVED:  # a supplier already suspended only gets the note
        supplier.status_reason = note[:200]
        SUPPLIER_MACHINE.move(supplier, S.SUSPENDED, actor=actor, note=note, extra_fields=["status_reason"])
    else:
        SUPPLIER_MACHINE.record(supplier, supplier.status, supplier.status, actor=actor, note=note)
    return supplier


# --- the supplier's own profile ------------------------------------------------------------------


@transaction.atomic
def update_profile(supplier_id: int, actor, **fields) -> Supplier:
    """The supplier (or staff for it) changes its contact, return address or bank account. Every change
    is recorded on the timeline; a bank account change says so, with the account's last four digits."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    supplier = _locked(supplier_id)
    cleaned = _clean_text(fields, required=True)
    changed = [name for name, value in cleaned.items() if getattr(supplier, name) != value]
    if not changed:
        return supplier
    for name in changed:
        setattr(supplier, name, cleaned[name])
    supplier.save(update_fields=changed)
    labels = "、".join(str(_LABELS[name]) for name in changed)
    if any(name in BANK_FIELDS for name in changed):
        note = gettext("收款账户变更为 %(bank)s 尾号 %(tail)s；修改：%(fields)s") % {
            "bank": supplier.bank_name,
            "tail": supplier.bank_account_number[-4:],
            "fields": labels,
        }
    else:
        note = gettext("资料修改：%(fields)s") % {"fields": labels}
    SUPPLIER_MACHINE.record(supplier, supplier.status, supplier.status, actor=actor, note=note)
    return supplier
