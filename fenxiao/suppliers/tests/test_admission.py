"""Admission, review, evaluation and suspension of suppliers, through the services."""

import pytest

from fenxiao.common.duties import DutyError
from fenxiao.suppliers import services
from fenxiao.suppliers.errors import SupplierError
from fenxiao.suppliers.models import Supplier, SupplierEvent
from tests.factories import StaffFactory, UserFactory

from .conftest import application, credit_code

pytestmark = pytest.mark.django_db
S = Supplier.Status


def codes(exc_info) -> tuple[int, str]:
    return exc_info.value.status, exc_info.value.code


def test_an_application_is_recorded_with_its_qualifications_and_waits_for_review(applicant):
    data = application(credit_code=credit_code(77).lower()[:6] + " " + credit_code(77)[6:], contact_phone="+86 138-0000-1111")
    supplier = services.apply(applicant, **data)
    supplier.refresh_from_db()
    assert supplier.status == S.APPLIED and supplier.applied_at is not None
    assert supplier.credit_code == credit_code(77)  # spaces dropped, upper-cased
    assert supplier.contact_phone == "13800001111"
    assert supplier.licence_number == "SC10633010600123" and supplier.quality_system == "ISO 9001、HACCP"
    assert supplier.return_address == "浙江省杭州市余杭区仓前街道 88 号 2 号仓"
    assert supplier.user == applicant
    event = SupplierEvent.objects.get(supplier=supplier)
    assert (event.from_status, event.to_status, event.actor) == ("", S.APPLIED, applicant)


def test_approval_by_supply_chain_staff(applied, supply_staff):
    supplier = services.approve(applied.pk, supply_staff, "资质齐全")
    assert supplier.status == S.APPROVED and supplier.reviewed_at is not None
    last = supplier.events.last()
    assert (last.from_status, last.to_status, last.actor, last.note) == (S.APPLIED, S.APPROVED, supply_staff, "资质齐全")


def test_rejection_needs_a_reason_and_the_applicant_applies_again(applied, applicant, supply_staff):
    with pytest.raises(SupplierError) as exc:
        services.reject(applied.pk, supply_staff, "  ")
    assert codes(exc) == (400, "reason_required")
    supplier = services.reject(applied.pk, supply_staff, "许可证已过期")
    assert (supplier.status, supplier.status_reason) == (S.REJECTED, "许可证已过期")
    again = services.apply(applicant, **application(credit_code=applied.credit_code, licence_number="SC10633010600999"))
    assert again.pk == applied.pk
    assert (again.status, again.status_reason, again.licence_number) == (S.APPLIED, "", "SC10633010600999")
    assert [e.to_status for e in again.events.all()] == [S.APPLIED, S.REJECTED, S.APPLIED]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("credit_code", "91330100000000001X", (400, "invalid_credit_code")),  # wrong check character
        ("credit_code", "1234", (400, "invalid_credit_code")),
        ("contact_phone", "12345678901", (400, "invalid_phone")),
        ("return_phone", "0571-8888888", (400, "invalid_phone")),
        ("bank_account_number", "12ab", (400, "invalid_bank_account")),
        ("company_name", "", (400, "invalid_application")),
        ("licence_number", "x" * 41, (400, "invalid_application")),
        ("settlement_cycle", "daily", (400, "invalid_application")),
    ],
)
def test_bad_applications_are_refused(applicant, field, value, expected):
    with pytest.raises(SupplierError) as exc:
        services.apply(applicant, **application(**{field: value}))
    assert codes(exc) == expected
    assert not Supplier.objects.filter(user=applicant).exists()


def test_a_credit_code_or_a_name_already_used_is_refused(applied):
    with pytest.raises(SupplierError) as exc:
        services.apply(UserFactory(), **application(credit_code=applied.credit_code))
    assert codes(exc) == (409, "credit_code_taken")
    with pytest.raises(SupplierError) as exc:
        services.apply(UserFactory(), **application(name=applied.name))
    assert codes(exc) == (409, "supplier_exists")


def test_staff_do_not_apply_and_nobody_applies_twice(applied, applicant, supply_staff):
    with pytest.raises(SupplierError) as exc:
        services.apply(StaffFactory(), **application())
    assert codes(exc) == (403, "staff_not_allowed")
    with pytest.raises(SupplierError) as exc:
        services.apply(applicant, **application())
    assert codes(exc) == (409, "application_pending")
    services.approve(applied.pk, supply_staff)
    with pytest.raises(SupplierError) as exc:
        services.apply(applicant, **application())
    assert codes(exc) == (409, "already_supplier")


def test_staff_never_review_their_own_supplier_account(supply_staff):
    own = Supplier.objects.create(name="自家供应商", user=supply_staff, status=S.APPLIED, credit_code=credit_code())
    for act in (
        lambda: services.approve(own.pk, supply_staff),
        lambda: services.reject(own.pk, supply_staff, "x"),
    ):
        with pytest.raises(DutyError) as exc:
            act()
        assert codes(exc) == (403, "own_object")
    assert Supplier.objects.get(pk=own.pk).status == S.APPLIED


def test_moves_the_table_does_not_allow_are_409(applied, supply_staff):
    for act in (
        lambda: services.suspend(applied.pk, supply_staff, "x"),
        lambda: services.reinstate(applied.pk, supply_staff),
        lambda: services.evaluate(applied.pk, supply_staff, 80, "良好"),
    ):
        with pytest.raises(SupplierError) as exc:
            act()
        assert codes(exc) == (409, "invalid_transition")
    services.approve(applied.pk, supply_staff)
    for act in (
        lambda: services.approve(applied.pk, supply_staff),
        lambda: services.reject(applied.pk, supply_staff, "x"),
        lambda: services.reinstate(applied.pk, supply_staff),
    ):
        with pytest.raises(SupplierError) as exc:
            act()
        assert codes(exc) == (409, "invalid_transition")
    with pytest.raises(SupplierError) as exc:
        services.approve(987654, supply_staff)
    assert codes(exc) == (404, "supplier_not_found")


def test_an_evaluation_is_recorded_and_may_suspend(approved, supply_staff):
    services.evaluate(approved.pk, supply_staff, 86, "发货及时，退货率低")
    supplier = Supplier.objects.get(pk=approved.pk)
    assert supplier.status == S.APPROVED
    assert supplier.events.last().note == "评估 86 分：发货及时，退货率低"
    for score in (-1, 101, True, "90"):
        with pytest.raises(SupplierError) as exc:
            services.evaluate(approved.pk, supply_staff, score, "x")
        assert codes(exc) == (400, "invalid_evaluation")
    supplier = services.evaluate(approved.pk, supply_staff, 42, "超时发货率 30%", suspend=True)
    assert supplier.status == S.SUSPENDED and supplier.suspended_at is not None
    assert supplier.status_reason == "评估 42 分：超时发货率 30%"
    last = supplier.events.last()
    assert (last.from_status, last.to_status) == (S.APPROVED, S.SUSPENDED)
    again = services.evaluate(approved.pk, None, 40, "仍未整改", suspend=True)  # the monthly job, already suspended
    assert again.status == S.SUSPENDED
    assert (again.events.last().to_status, again.events.last().note) == (S.SUSPENDED, "评估 40 分：仍未整改")


def test_suspension_needs_a_reason_and_reinstatement_clears_it(approved, supply_staff):
    with pytest.raises(SupplierError) as exc:
        services.suspend(approved.pk, supply_staff, "")
    assert codes(exc) == (400, "reason_required")
    supplier = services.suspend(approved.pk, supply_staff, "抽检不合格")
    assert (supplier.status, supplier.status_reason) == (S.SUSPENDED, "抽检不合格")
    supplier = services.reinstate(approved.pk, supply_staff, "整改完成")
    assert (supplier.status, supplier.status_reason) == (S.APPROVED, "")
    assert supplier.events.last().note == "整改完成"


def test_the_supplier_changes_its_profile_and_a_bank_change_is_recorded(approved):
    user = approved.user
    services.update_profile(approved.pk, user, return_detail="新仓库 1 号")
    supplier = services.update_profile(approved.pk, user, bank_account_number="6222 0212 0204 9999", bank_name="建设银行")
    assert supplier.bank_account_number == "6222021202049999"
    notes = [e.note for e in supplier.events.all() if e.actor == user and e.from_status == e.to_status]
    assert any("退货详细地址" in note for note in notes)
    assert any("收款账户变更为 建设银行 尾号 9999" in note for note in notes)
    with pytest.raises(SupplierError) as exc:
        services.update_profile(approved.pk, user, contact_phone="123")
    assert codes(exc) == (400, "invalid_phone")
    with pytest.raises(TypeError):
        services.update_profile(approved.pk, user, credit_code="x")


def test_create_supplier_still_makes_an_approved_supplier():
    supplier = services.create_supplier(name="直营供应商", user=UserFactory(), contact_phone="13900001234")
    assert supplier.status == S.APPROVED
    assert supplier.events.get().to_status == S.APPROVED
