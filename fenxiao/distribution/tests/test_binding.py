"""Binding customers to the distributor whose link they opened, and the audit trail of it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import Binding, BindingEvent, Visit
from fenxiao.distribution.services import bind_customer, open_share_link, suspend_distributor, update_settings
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db

A = BindingEvent.Action


def audit(customer):
    return list(
        BindingEvent.objects.filter(customer=customer)
        .order_by("id")
        .values_list("action", "old_distributor_id", "new_distributor_id")
    )


@pytest.fixture
def expiring(db):
    return update_settings(binding_policy="expiring", binding_days=30)


def test_first_touch_binds(level):
    d = DistributorFactory(level=level)
    customer = UserFactory()
    assert bind_customer(customer=customer, distributor=d, source="shop_link") == "bound"
    binding = Binding.objects.get(customer=customer)
    assert binding.distributor_id == d.pk
    assert binding.source == "shop_link"
    assert binding.expires_at is None  # permanent is the default policy
    assert audit(customer) == [(A.BOUND, None, d.pk)]


def test_permanent_policy_keeps_the_first_binding(level):
    first, second = DistributorFactory(level=level), DistributorFactory(level=level)
    customer = UserFactory()
    bind_customer(customer=customer, distributor=first)
    far_future = timezone.now() + timedelta(days=3650)
    assert bind_customer(customer=customer, distributor=second) == "kept"
    assert bind_customer(customer=customer, distributor=second, now=far_future) == "kept"
    assert Binding.objects.get(customer=customer).distributor_id == first.pk
    assert audit(customer) == [(A.BOUND, None, first.pk)]


def test_same_link_again_under_permanent_policy_is_kept(level):
    d = DistributorFactory(level=level)
    customer = UserFactory()
    bind_customer(customer=customer, distributor=d)
    assert bind_customer(customer=customer, distributor=d) == "kept"
    assert len(audit(customer)) == 1


def test_expiring_policy_keeps_binding_before_expiry(level, expiring):
    first, second = DistributorFactory(level=level), DistributorFactory(level=level)
    customer = UserFactory()
    t0 = timezone.now()
    assert bind_customer(customer=customer, distributor=first, now=t0) == "bound"
    assert Binding.objects.get(customer=customer).expires_at == t0 + timedelta(days=30)
    assert bind_customer(customer=customer, distributor=second, now=t0 + timedelta(days=29, hours=23)) == "kept"
    binding = Binding.objects.get(customer=customer)
    assert binding.distributor_id == first.pk
    assert binding.expires_at == t0 + timedelta(days=30)
    assert audit(customer) == [(A.BOUND, None, first.pk)]


def test_expiring_policy_same_distributor_renews(level, expiring):
    d = DistributorFactory(level=level)
    customer = UserFactory()
    t0 = timezone.now()
    bind_customer(customer=customer, distributor=d, now=t0)
    assert bind_customer(customer=customer, distributor=d, now=t0 + timedelta(days=10)) == "renewed"
    binding = Binding.objects.get(customer=customer)
    assert binding.expires_at == t0 + timedelta(days=40)
    assert binding.bound_at == t0
    assert audit(customer) == [(A.BOUND, None, d.pk), (A.RENEWED, d.pk, d.pk)]


def test_expiring_policy_rebinds_after_expiry(level, expiring):
    first, second = DistributorFactory(level=level), DistributorFactory(level=level)
    customer = UserFactory()
    t0 = timezone.now()
    bind_customer(customer=customer, distributor=first, now=t0)
    later = t0 + timedelta(days=31)
    assert bind_customer(customer=customer, distributor=second, now=later, source="product_link") == "rebound"
    binding = Binding.objects.get(customer=customer)
    assert binding.distributor_id == second.pk
    assert binding.bound_at == later
    assert binding.expires_at == later + timedelta(days=30)
    assert binding.source == "product_link"
    assert audit(customer) == [(A.BOUND, None, first.pk), (A.REBOUND, first.pk, second.pk)]
    event = BindingEvent.objects.get(customer=customer, action=A.REBOUND)
    assert event.expires_at == later + timedelta(days=30)


def test_expiry_moment_itself_allows_rebinding(level, expiring):
    first, second = DistributorFactory(level=level), DistributorFactory(level=level)
    customer = UserFactory()
    t0 = timezone.now()
    bind_customer(customer=customer, distributor=first, now=t0)
    assert bind_customer(customer=customer, distributor=second, now=t0 + timedelta(days=30)) == "rebound"


def test_self_binding_refused_and_audited(level):
    d = DistributorFactory(level=level)
    with pytest.raises(DistributionError) as exc:
        bind_customer(customer=d.user, distributor=d)
    assert exc.value.code == "binding_self"
    assert exc.value.status == 409
    assert not Binding.objects.filter(customer=d.user).exists()
    # the refusal is recorded even though an error was raised
    assert audit(d.user) == [(A.REFUSED_SELF, None, d.pk)]


def test_loop_refused_and_audited(level):
    a = DistributorFactory(level=level)
    b = DistributorFactory(level=level, inviter=a)
    c = DistributorFactory(level=level, inviter=b)
    with pytest.raises(DistributionError) as exc:
        bind_customer(customer=a.user, distributor=c)
    assert exc.value.code == "binding_loop"
    with pytest.raises(DistributionError) as exc:
        bind_customer(customer=b.user, distributor=c)
    assert exc.value.code == "binding_loop"
    assert not Binding.objects.filter(customer__in=[a.user, b.user]).exists()
    assert audit(a.user) == [(A.REFUSED_LOOP, None, c.pk)]
    assert audit(b.user) == [(A.REFUSED_LOOP, None, c.pk)]


def test_approved_distributor_relation_not_changed_by_links(level):
    a = DistributorFactory(level=level)
    b = DistributorFactory(level=level)
    c = DistributorFactory(level=level, inviter=b)
    # C (approved, below B) opens A's link: no loop, but its relation is fixed
    assert bind_customer(customer=c.user, distributor=a) == "inviter_fixed"
    # A, an approved root, opens B's link: also fixed
    assert bind_customer(customer=a.user, distributor=b) == "inviter_fixed"
    c.refresh_from_db()
    assert (c.inviter_id, c.path) == (b.pk, f"/{b.pk}/{c.pk}/")
    assert not Binding.objects.filter(customer__in=[a.user, c.user]).exists()
    assert audit(c.user) == []


def test_suspended_distributor_relation_also_fixed(level, operator):
    a = DistributorFactory(level=level)
    b = DistributorFactory(level=level)
    suspend_distributor(distributor_id=b.pk, actor=operator, reason="违规")
    assert bind_customer(customer=b.user, distributor=a) == "inviter_fixed"


def test_binding_to_a_distributor_that_is_not_approved(level, operator):
    d = DistributorFactory(level=level)
    suspend_distributor(distributor_id=d.pk, actor=operator, reason="违规")
    d.refresh_from_db()
    with pytest.raises(DistributionError) as exc:
        bind_customer(customer=UserFactory(), distributor=d)
    assert (exc.value.code, exc.value.status) == ("distributor_not_found", 404)
    assert not Binding.objects.exists()


# --- share links ---------------------------------------------------------------------------------


def test_open_share_link_records_visit_and_binds(level):
    d = DistributorFactory(level=level)
    visitor = UserFactory()
    found, outcome = open_share_link(code=d.code.lower(), visitor=visitor, product_id=42, channel="wechat_group")
    assert found.pk == d.pk
    assert outcome == "bound"
    visit = Visit.objects.get(distributor=d)
    assert (visit.visitor_id, visit.product_id, visit.channel) == (visitor.pk, 42, "wechat_group")
    assert Binding.objects.get(customer=visitor).source == "product_link"


def test_open_share_link_anonymous_records_visit_only(level):
    from django.contrib.auth.models import AnonymousUser

    d = DistributorFactory(level=level)
    found, outcome = open_share_link(code=d.code, visitor=AnonymousUser(), session_key="s" * 50)
    assert outcome is None
    visit = Visit.objects.get(distributor=found)
    assert visit.visitor is None
    assert visit.session_key == "s" * 40
    assert not Binding.objects.exists()


def test_open_own_share_link_reports_refusal_without_raising(level):
    d = DistributorFactory(level=level)
    _, outcome = open_share_link(code=d.code, visitor=d.user)
    assert outcome == "binding_self"
    assert Visit.objects.filter(distributor=d).count() == 1
    assert audit(d.user) == [(A.REFUSED_SELF, None, d.pk)]


def test_unknown_share_code_is_distributor_not_found(level):
    with pytest.raises(DistributionError) as exc:
        open_share_link(code="NOPE99", visitor=UserFactory())
    assert exc.value.code == "distributor_not_found"
    assert exc.value.status == 404
    assert not Visit.objects.exists()


def test_share_link_of_suspended_distributor_is_not_found(level, operator):
    d = DistributorFactory(level=level)
    suspend_distributor(distributor_id=d.pk, actor=operator, reason="违规")
    with pytest.raises(DistributionError) as exc:
        open_share_link(code=d.code)
    assert exc.value.code == "distributor_not_found"
