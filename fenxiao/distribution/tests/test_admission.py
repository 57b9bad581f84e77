"""Becoming a distributor: open, review and threshold admission, the status machine, the audit trail."""

import pytest

from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import Binding, Distributor, DistributorEvent
from fenxiao.distribution.services import (
    apply_for_distributor,
    approve_distributor,
    bind_customer,
    record_qualifying_purchase,
    reinstate_distributor,
    reject_distributor,
    suspend_distributor,
)
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Distributor.Status


def events_of(distributor):
    return list(
        DistributorEvent.objects.filter(distributor=distributor)
        .order_by("id")
        .values_list("from_status", "to_status", "actor_id", "reason")
    )


def test_open_admission_approves_immediately(admission, level):
    admission("open")
    user = UserFactory()
    d = apply_for_distributor(user=user, real_name=" 张三 ", note="想分享好物")
    d.refresh_from_db()
    assert d.status == S.APPROVED
    assert d.approved_at is not None
    assert d.level == level
    assert d.real_name == "张三"
    assert d.inviter is None
    assert (d.depth, d.path) == (0, f"/{d.pk}/")
    assert len(d.code) == 6
    assert events_of(d) == [("", S.APPROVED, user.pk, "自由加入")]


def test_review_admission_waits_for_an_operator(admission, operator):
    admission("review")
    user = UserFactory()
    d = apply_for_distributor(user=user)
    assert d.status == S.PENDING
    assert d.approved_at is None
    approve_distributor(distributor_id=d.pk, actor=operator, reason="资料齐全")
    d.refresh_from_db()
    assert d.status == S.APPROVED
    assert d.approved_at is not None
    assert events_of(d) == [
        ("", S.PENDING, user.pk, "提交申请，待审核"),
        (S.PENDING, S.APPROVED, operator.pk, "资料齐全"),
    ]


def test_reject_needs_a_reason(admission, operator):
    admission("review")
    d = apply_for_distributor(user=UserFactory())
    for reason in ("", "   "):
        with pytest.raises(DistributionError) as exc:
            reject_distributor(distributor_id=d.pk, actor=operator, reason=reason)
        assert exc.value.code == "reason_required"
    d.refresh_from_db()
    assert d.status == S.PENDING
    assert DistributorEvent.objects.filter(distributor=d).count() == 1


def test_reject_records_reason_and_actor(admission, operator):
    admission("review")
    d = apply_for_distributor(user=UserFactory())
    reject_distributor(distributor_id=d.pk, actor=operator, reason=" 资料不全 ")
    d.refresh_from_db()
    assert d.status == S.REJECTED
    assert d.reject_reason == "资料不全"
    assert d.approved_at is None
    assert events_of(d)[-1] == (S.PENDING, S.REJECTED, operator.pk, "资料不全")


def test_reapply_after_rejection(admission, operator):
    admission("review")
    user = UserFactory()
    d = apply_for_distributor(user=user)
    code = d.code
    reject_distributor(distributor_id=d.pk, actor=operator, reason="资料不全")
    again = apply_for_distributor(user=user, real_name="张三", note="补充了资料")
    assert again.pk == d.pk
    again.refresh_from_db()
    assert again.status == S.PENDING
    assert again.reject_reason == ""
    assert again.code == code
    assert (again.real_name, again.apply_note) == ("张三", "补充了资料")
    assert [e[:3] for e in events_of(d)] == [
        ("", S.PENDING, user.pk),
        (S.PENDING, S.REJECTED, operator.pk),
        (S.REJECTED, S.PENDING, user.pk),
    ]
    approve_distributor(distributor_id=d.pk, actor=operator)
    assert Distributor.objects.get(pk=d.pk).status == S.APPROVED


def test_reapply_after_rejection_under_open_admission_approves(admission, operator):
    admission("review")
    user = UserFactory()
    d = apply_for_distributor(user=user)
    reject_distributor(distributor_id=d.pk, actor=operator, reason="重复申请")
    admission("open")
    assert apply_for_distributor(user=user).status == S.APPROVED


def test_apply_twice_while_pending(admission):
    admission("review")
    user = UserFactory()
    apply_for_distributor(user=user)
    with pytest.raises(DistributionError) as exc:
        apply_for_distributor(user=user)
    assert exc.value.code == "application_pending"
    assert exc.value.status == 409
    assert Distributor.objects.filter(user=user).count() == 1


def test_apply_when_already_a_distributor(admission):
    admission("open")
    user = UserFactory()
    apply_for_distributor(user=user)
    with pytest.raises(DistributionError) as exc:
        apply_for_distributor(user=user)
    assert exc.value.code == "already_distributor"
    assert exc.value.status == 409


def test_apply_while_suspended_is_already_distributor(admission, operator):
    admission("open")
    user = UserFactory()
    d = apply_for_distributor(user=user)
    suspend_distributor(distributor_id=d.pk, actor=operator, reason="违规降价")
    with pytest.raises(DistributionError) as exc:
        apply_for_distributor(user=user)
    assert exc.value.code == "already_distributor"


def test_apply_without_any_level_configured():
    with pytest.raises(DistributionError) as exc:
        apply_for_distributor(user=UserFactory())
    assert exc.value.code == "invalid_level"


def test_apply_text_limits(admission):
    admission("open")
    with pytest.raises(DistributionError) as exc:
        apply_for_distributor(user=UserFactory(), note="x" * 201)
    assert exc.value.code == "invalid_application"


# --- threshold admission ------------------------------------------------------------------------


def test_threshold_admission_waits_for_a_first_purchase(admission):
    admission("threshold", threshold_fen=9900)
    user = UserFactory()
    d = apply_for_distributor(user=user)
    assert d.status == S.AWAITING_PURCHASE

    assert record_qualifying_purchase(user=user, amount_fen=9899) is None
    d.refresh_from_db()
    assert d.status == S.AWAITING_PURCHASE

    approved = record_qualifying_purchase(user=user, amount_fen=9900)
    assert approved is not None and approved.pk == d.pk
    d.refresh_from_db()
    assert d.status == S.APPROVED
    assert d.approved_at is not None
    last = DistributorEvent.objects.filter(distributor=d).order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor_id) == (S.AWAITING_PURCHASE, S.APPROVED, None)
    assert "9900" in last.reason


def test_threshold_above_approves_and_later_purchases_change_nothing(admission):
    admission("threshold", threshold_fen=9900)
    user = UserFactory()
    apply_for_distributor(user=user)
    assert record_qualifying_purchase(user=user, amount_fen=25000).status == S.APPROVED
    assert record_qualifying_purchase(user=user, amount_fen=25000) is None
    assert DistributorEvent.objects.filter(distributor__user=user).count() == 2


def test_purchase_of_a_non_applicant_changes_nothing(admission):
    admission("threshold", threshold_fen=9900)
    user = UserFactory()
    assert record_qualifying_purchase(user=user, amount_fen=100000) is None
    assert not Distributor.objects.filter(user=user).exists()


@pytest.mark.parametrize("amount", [-1, 99.0, "9900", True])
def test_qualifying_purchase_amount_is_integer_fen(admission, amount):
    admission("threshold", threshold_fen=9900)
    user = UserFactory()
    apply_for_distributor(user=user)
    with pytest.raises(DistributionError) as exc:
        record_qualifying_purchase(user=user, amount_fen=amount)
    assert exc.value.code == "invalid_amount"
    assert Distributor.objects.get(user=user).status == S.AWAITING_PURCHASE


def test_operator_may_approve_or_reject_an_awaiting_application(admission, operator):
    admission("threshold", threshold_fen=9900)
    first = apply_for_distributor(user=UserFactory())
    second = apply_for_distributor(user=UserFactory())
    approve_distributor(distributor_id=first.pk, actor=operator, reason="线下已付款")
    reject_distributor(distributor_id=second.pk, actor=operator, reason="放弃")
    assert Distributor.objects.get(pk=first.pk).status == S.APPROVED
    assert Distributor.objects.get(pk=second.pk).status == S.REJECTED


# --- status machine -----------------------------------------------------------------------------


def test_approving_an_approved_distributor_is_invalid_transition(operator, level):
    d = DistributorFactory(level=level)
    with pytest.raises(DistributionError) as exc:
        approve_distributor(distributor_id=d.pk, actor=operator)
    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409
    assert exc.value.detail == {"from": S.APPROVED, "to": S.APPROVED}
    assert not DistributorEvent.objects.filter(distributor=d).exists()


def test_rejecting_an_approved_distributor_is_invalid_transition(operator, level):
    d = DistributorFactory(level=level)
    with pytest.raises(DistributionError) as exc:
        reject_distributor(distributor_id=d.pk, actor=operator, reason="晚了")
    assert exc.value.code == "invalid_transition"
    d.refresh_from_db()
    assert d.status == S.APPROVED


def test_rejected_cannot_be_rejected_again(admission, operator):
    admission("review")
    d = apply_for_distributor(user=UserFactory())
    reject_distributor(distributor_id=d.pk, actor=operator, reason="资料不全")
    with pytest.raises(DistributionError) as exc:
        reject_distributor(distributor_id=d.pk, actor=operator, reason="再次拒绝")
    assert exc.value.code == "invalid_transition"


def test_suspend_and_reinstate(operator, level):
    d = DistributorFactory(level=level)
    approved_at = d.approved_at
    with pytest.raises(DistributionError) as exc:
        suspend_distributor(distributor_id=d.pk, actor=operator, reason="")
    assert exc.value.code == "reason_required"
    suspend_distributor(distributor_id=d.pk, actor=operator, reason="违规降价")
    assert Distributor.objects.get(pk=d.pk).status == S.SUSPENDED
    reinstate_distributor(distributor_id=d.pk, actor=operator)
    d.refresh_from_db()
    assert d.status == S.APPROVED
    assert d.approved_at == approved_at  # first approval time is kept
    assert [e[:3] for e in events_of(d)] == [
        (S.APPROVED, S.SUSPENDED, operator.pk),
        (S.SUSPENDED, S.APPROVED, operator.pk),
    ]


def test_unknown_distributor_is_404(operator):
    with pytest.raises(DistributionError) as exc:
        approve_distributor(distributor_id=424242, actor=operator)
    assert exc.value.code == "distributor_not_found"
    assert exc.value.status == 404


# --- inviter and tree position -------------------------------------------------------------------


def test_inviter_taken_from_binding_at_application(admission, level):
    admission("open")
    root = DistributorFactory(level=level)
    inviter = DistributorFactory(level=level, inviter=root)
    user = UserFactory()
    bind_customer(customer=user, distributor=inviter)
    d = apply_for_distributor(user=user)
    d.refresh_from_db()
    assert d.inviter_id == inviter.pk
    assert d.depth == 2
    assert d.path == f"/{root.pk}/{inviter.pk}/{d.pk}/"
    assert d.ancestor_ids() == [root.pk, inviter.pk]


def test_inviter_stays_fixed_after_admission(admission, level):
    admission("open")
    inviter = DistributorFactory(level=level)
    other = DistributorFactory(level=level)
    user = UserFactory()
    bind_customer(customer=user, distributor=inviter)
    d = apply_for_distributor(user=user)
    assert bind_customer(customer=user, distributor=other) == "inviter_fixed"
    d.refresh_from_db()
    assert (d.inviter_id, d.path) == (inviter.pk, f"/{inviter.pk}/{d.pk}/")
    assert Binding.objects.get(customer=user).distributor_id == inviter.pk


def test_no_inviter_when_bound_distributor_is_no_longer_approved(admission, level, operator):
    admission("open")
    inviter = DistributorFactory(level=level)
    user = UserFactory()
    bind_customer(customer=user, distributor=inviter)
    suspend_distributor(distributor_id=inviter.pk, actor=operator, reason="违规")
    d = apply_for_distributor(user=user)
    assert d.inviter is None
    assert (d.depth, d.path) == (0, f"/{d.pk}/")


def test_inviter_of_a_pending_application_is_kept_until_approval(admission, level, operator):
    admission("review")
    inviter = DistributorFactory(level=level)
    user = UserFactory()
    bind_customer(customer=user, distributor=inviter)
    d = apply_for_distributor(user=user)
    approve_distributor(distributor_id=d.pk, actor=operator)
    d.refresh_from_db()
    assert d.inviter_id == inviter.pk
    assert d.depth == 1
