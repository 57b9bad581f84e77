"""Consumers becoming distributors: a completed order invites a consumer once (never a distributor, never
twice), its application and approval are stamped on the invitation under every admission mode, and
the operator's conversion figures are exact on a small fixture, through the selector, the API (运营
permission only) and the admin page."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.services import ensure_staff_groups, issue_token
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.growth import selectors, services
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import ApplyInvitation, Notification
from fenxiao.orders.models import Order
from tests.api_helpers import assert_error
from tests.factories import OrderFactory, SkuFactory, StaffFactory, UserFactory

from .conftest import local, member, sale

pytestmark = pytest.mark.django_db

A = DistributionSettings.Admission


def admission(mode: str, threshold_fen: int = 0) -> None:
    DistributionSettings.objects.filter(pk=1).update(admission_mode=mode, threshold_fen=threshold_fen)


@pytest.fixture
def seller(regular):
    return member(regular, approved_at=timezone.now())


@pytest.fixture
def buyer(seller):
    user = UserFactory()
    distribution.bind_customer(customer=user, distributor=seller)
    return user


# --- the invitation ------------------------------------------------------------------------------


def test_completed_order_invites_the_consumer_once(seller, buyer):
    sku = SkuFactory()
    first = OrderFactory(completed=True, user=buyer, items=[(sku, 1)])
    invitation = ApplyInvitation.objects.get(user=buyer)
    assert (invitation.order_id, invitation.invited_by_id) == (first.pk, seller.pk)
    assert invitation.applied_at is None and invitation.approved_at is None
    notice = Notification.objects.get(user=buyer, kind="apply_invitation")
    assert (notice.title, notice.url) == ("成为分销商，分享赚佣金", "/apply/")

    OrderFactory(completed=True, user=buyer, items=[(sku, 1)])  # a second completed order invites nobody again
    assert ApplyInvitation.objects.filter(user=buyer).count() == 1
    assert Notification.objects.filter(user=buyer, kind="apply_invitation").count() == 1
    assert ApplyInvitation.objects.get(user=buyer).order_id == first.pk


@pytest.mark.parametrize("status", [Distributor.Status.APPROVED, Distributor.Status.PENDING, Distributor.Status.REJECTED])
def test_distributors_and_applicants_are_not_invited(regular, seller, status):
    """Anyone with a distributor profile, whatever its state, is not a consumer to invite."""
    own = member(regular, status=status)
    OrderFactory(completed=True, user=own.user, items=[(SkuFactory(), 1)])
    assert not ApplyInvitation.objects.filter(user=own.user).exists()
    assert not Notification.objects.filter(user=own.user, kind="apply_invitation").exists()


def test_an_order_without_a_distributor_invites_with_nobody_as_inviter(levels):
    user = UserFactory()
    order = OrderFactory(completed=True, user=user, items=[(SkuFactory(), 1)])
    assert order.distributor_id is None
    assert ApplyInvitation.objects.get(user=user).invited_by_id is None


def test_invite_is_get_or_create(seller):
    order = sale(seller, 10000, buyer=UserFactory())
    assert services.invite_after_order(order) is not None
    assert services.invite_after_order(order) is None
    assert ApplyInvitation.objects.count() == 1 and Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_make_one_invitation(levels):
    """Two orders of one buyer completing at the same moment in two transactions: the unique user
    lets one invitation (and one notice) through, the other call makes nothing and fails nothing."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    seller = member(levels[0], approved_at=timezone.now())
    buyer = UserFactory()
    one, two = sale(seller, 10000, buyer=buyer), sale(seller, 20000, buyer=buyer)
    barrier, results, errors = threading.Barrier(2), [], []

    def run(order):
        from django.db import transaction

        try:
            with transaction.atomic():
                barrier.wait(timeout=5)
                results.append(services.invite_after_order(order))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(o,)) for o in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(r is not None for r in results) == 1
    assert ApplyInvitation.objects.filter(user=buyer).count() == 1
    assert Notification.objects.filter(user=buyer, kind="apply_invitation").count() == 1


# --- applied and approved ------------------------------------------------------------------------


def test_review_admission_stamps_applied_then_approved(seller, buyer):
    admission(A.REVIEW)
    OrderFactory(completed=True, user=buyer, items=[(SkuFactory(), 1)])
    own = distribution.apply_for_distributor(user=buyer, real_name="小王")
    invitation = ApplyInvitation.objects.get(user=buyer)
    assert invitation.applied_at == own.applied_at and invitation.approved_at is None
    distribution.approve_distributor(distributor_id=own.pk, actor=StaffFactory())
    invitation.refresh_from_db()
    own.refresh_from_db()
    assert invitation.approved_at == own.approved_at
    assert invitation.applied_at <= invitation.approved_at


def test_open_admission_stamps_both_at_once(seller, buyer):
    admission(A.OPEN)
    OrderFactory(completed=True, user=buyer, items=[(SkuFactory(), 1)])
    own = distribution.apply_for_distributor(user=buyer)
    invitation = ApplyInvitation.objects.get(user=buyer)
    assert invitation.applied_at == own.applied_at and invitation.approved_at == own.approved_at


def test_threshold_admission_approves_on_payment(seller, buyer):
    admission(A.THRESHOLD, threshold_fen=100)
    sku = SkuFactory()
    OrderFactory(completed=True, user=buyer, items=[(sku, 1)])
    own = distribution.apply_for_distributor(user=buyer)
    assert own.status == Distributor.Status.AWAITING_PURCHASE
    invitation = ApplyInvitation.objects.get(user=buyer)
    assert invitation.applied_at is not None and invitation.approved_at is None
    OrderFactory(paid=True, user=buyer, items=[(sku, 1)])
    own.refresh_from_db()
    invitation.refresh_from_db()
    assert own.status == Distributor.Status.APPROVED
    assert invitation.approved_at == own.approved_at


def test_rejected_then_reapplied_keeps_the_first_application(seller, buyer):
    admission(A.REVIEW)
    OrderFactory(completed=True, user=buyer, items=[(SkuFactory(), 1)])
    own = distribution.apply_for_distributor(user=buyer)
    first = ApplyInvitation.objects.get(user=buyer).applied_at
    distribution.reject_distributor(distributor_id=own.pk, actor=StaffFactory(), reason="资料不全")
    distribution.apply_for_distributor(user=buyer)
    invitation = ApplyInvitation.objects.get(user=buyer)
    assert invitation.applied_at == first and invitation.approved_at is None


def test_applications_of_uninvited_users_touch_nothing(regular):
    admission(A.OPEN)
    distribution.apply_for_distributor(user=UserFactory())
    assert not ApplyInvitation.objects.exists()


def test_reinstatement_keeps_the_first_approval(seller, buyer):
    admission(A.OPEN)
    OrderFactory(completed=True, user=buyer, items=[(SkuFactory(), 1)])
    own = distribution.apply_for_distributor(user=buyer)
    approved = ApplyInvitation.objects.get(user=buyer).approved_at
    staff = StaffFactory()
    distribution.suspend_distributor(distributor_id=own.pk, actor=staff, reason="违规")
    distribution.reinstate_distributor(distributor_id=own.pk, actor=staff)
    assert ApplyInvitation.objects.get(user=buyer).approved_at == approved


# --- the figures ---------------------------------------------------------------------------------


def invitation(created_at, *, applied_after=None, approved_after=None, user=None) -> ApplyInvitation:
    return ApplyInvitation.objects.create(
        user=user or UserFactory(),
        created_at=created_at,
        applied_at=created_at + applied_after if applied_after is not None else None,
        approved_at=created_at + approved_after if approved_after is not None else None,
    )


@pytest.fixture
def funnel(regular):
    """February: 4 invited, 3 applied, 2 approved (after 1 and 3 days). March 1st: 2 invited, 1
    applied and approved (after 6 days). One invitation before and one after the range."""
    day = timedelta(days=1)
    invitation(local(2026, 2, 1, 0, 0), applied_after=day / 2, approved_after=day)
    invitation(local(2026, 2, 10, 9, 0), applied_after=day, approved_after=3 * day)
    invitation(local(2026, 2, 28, 23, 59), applied_after=day)
    invitation(local(2026, 2, 20, 9, 0))
    invitation(local(2026, 3, 1, 0, 0), applied_after=day, approved_after=6 * day)
    invitation(local(2026, 3, 1, 8, 0))
    invitation(local(2026, 1, 31, 23, 59), applied_after=day, approved_after=day)  # the day before
    invitation(local(2026, 3, 2, 0, 0), applied_after=day, approved_after=day)  # the day after


def test_conversion_figures_are_exact(funnel):
    report = selectors.conversion(date(2026, 2, 1), date(2026, 3, 1))
    assert [(m.label, m.invited, m.applied, m.became) for m in report.months] == [("2026-02", 4, 3, 2), ("2026-03", 2, 1, 1)]
    total = report.total
    assert (total.invited, total.applied, total.became) == (6, 4, 3)
    assert (total.rate_bp, total.rate_text) == (5000, "50%")
    assert (total.applied_rate_bp, total.applied_rate_text) == (6666, "66.66%")
    assert report.months[0].rate_bp == 5000 and report.months[1].rate_bp == 5000
    assert report.median_wait_seconds == 3 * 86400 and report.median_wait_days_text == "3.0"


def test_median_of_an_even_count_is_the_middle_mean(funnel):
    report = selectors.conversion(date(2026, 2, 1), date(2026, 2, 28))
    assert report.total.became == 2
    assert report.median_wait_seconds == 2 * 86400  # (1 day + 3 days) / 2


def test_empty_range_and_default_range(levels):
    report = selectors.conversion(today=date(2026, 3, 30))
    assert (report.start, report.end) == (date(2026, 3, 1), date(2026, 3, 30))
    assert [m.label for m in report.months] == ["2026-03"]
    assert (report.total.invited, report.total.rate_bp, report.total.rate_text) == (0, 0, "0%")
    assert report.median_wait_seconds is None and report.median_wait_days_text == ""


@pytest.mark.parametrize("start, end", [(date(2026, 3, 2), date(2026, 3, 1)), (date(2024, 1, 1), date(2026, 3, 1))])
def test_bad_ranges_are_refused(levels, start, end):
    with pytest.raises(GrowthError) as caught:
        selectors.conversion(start, end)
    assert caught.value.code == "invalid_range"


def test_buyers_now_distributors_from_orders(regular):
    """Consumers = buyers of a completed order who were not distributors when it completed."""
    shop = member(regular)  # a distributor that only sells: not a buyer
    consumer = UserFactory()
    sale(shop, 10000, buyer=consumer, completed_at=local(2026, 2, 1, 10, 0))
    converted = member(regular, approved_at=local(2026, 2, 20, 10, 0))
    sale(shop, 10000, buyer=converted.user, completed_at=local(2026, 2, 1, 10, 0))
    suspended = member(regular, approved_at=local(2026, 2, 20, 10, 0), status=Distributor.Status.SUSPENDED)
    sale(shop, 10000, buyer=suspended.user, completed_at=local(2026, 2, 1, 10, 0))
    already = member(regular, approved_at=local(2026, 1, 1, 10, 0))  # was a distributor before buying
    sale(shop, 10000, buyer=already.user, completed_at=local(2026, 2, 1, 10, 0))
    sale(shop, 10000, buyer=UserFactory(), status=Order.Status.PAID)  # not completed
    report = selectors.conversion(date(2026, 2, 1), date(2026, 2, 28))
    assert (report.buyers, report.buyers_now_distributors) == (3, 1)
    assert (report.buyers_rate_bp, report.buyers_rate_text) == (3333, "33.33%")


def test_conversion_query_count_does_not_grow(regular):
    day = timedelta(days=1)
    invitation(local(2026, 2, 2, 9, 0), applied_after=day, approved_after=day)
    with CaptureQueriesContext(connection) as few:
        selectors.conversion(date(2026, 1, 1), date(2026, 3, 31))
    for n in range(20):
        invitation(local(2026, 1 + n % 3, 3 + n, 9, 0), applied_after=day, approved_after=day * (n + 1))
    with CaptureQueriesContext(connection) as many:
        report = selectors.conversion(date(2026, 1, 1), date(2026, 3, 31))
    assert report.total.invited == 21
    assert len(many.captured_queries) == len(few.captured_queries) <= 5


# --- API and admin -------------------------------------------------------------------------------

URL = "/api/v1/operator/growth/conversion"


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def operations_staff():
    ensure_staff_groups()
    user = StaffFactory(is_superuser=False)
    user.groups.add(Group.objects.get(name="运营"))
    return user


def test_api_conversion_for_operations(client, funnel):
    response = client.get(URL, {"from": "2026-02-01", "to": "2026-03-01"}, headers=bearer(operations_staff()))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-02-01", "2026-03-01")
    assert {k: body["total"][k] for k in ("invited", "applied", "became", "rate_bp", "rate")} == {
        "invited": 6,
        "applied": 4,
        "became": 3,
        "rate_bp": 5000,
        "rate": "50%",
    }
    assert [(m["label"], m["invited"], m["became"]) for m in body["months"]] == [("2026-02", 4, 2), ("2026-03", 2, 1)]
    assert body["median_days_to_approval"] == "3.0"
    assert set(body["buyers"]) == {"consumers", "now_distributors", "rate_bp", "rate"}


def test_api_conversion_refusals(client, levels):
    assert_error(client.get(URL), 401, "not_authenticated")
    assert_error(client.get(URL, headers=bearer(UserFactory())), 403, "forbidden")
    finance = StaffFactory(is_superuser=False)  # staff without the growth permission
    assert_error(client.get(URL, headers=bearer(finance)), 403, "forbidden")
    staff = bearer(operations_staff())
    assert_error(client.get(URL, {"from": "2026-03-02", "to": "2026-03-01"}, headers=staff), 400, "invalid_range")
    assert_error(client.get(URL, {"from": "yesterday"}, headers=staff), 422, "invalid_input")


def test_admin_conversion_page_and_invitation_list(client, funnel):
    client.force_login(operations_staff())
    page = client.get(reverse("admin:growth_conversion"), {"from": "2026-02-01", "to": "2026-03-01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="conversion-rate">50%<' in html and "3.0" in html
    bad = client.get(reverse("admin:growth_conversion"), {"from": "2026-03-02", "to": "2026-03-01"}).content.decode()
    assert "开始日期不能晚于结束日期" in bad
    listing = client.get(reverse("admin:growth_applyinvitation_changelist"), {"stage": "became"})
    assert listing.status_code == 200 and reverse("admin:growth_conversion") in listing.content.decode()
    assert client.get(reverse("admin:app_list", args=["growth"])).content.decode().count(reverse("admin:growth_conversion")) >= 1
    obj = ApplyInvitation.objects.first()
    assert client.get(reverse("admin:growth_applyinvitation_change", args=[obj.pk])).status_code == 200
    assert client.post(reverse("admin:growth_applyinvitation_delete", args=[obj.pk])).status_code == 403


def test_admin_conversion_page_needs_the_permission(client, levels):
    client.force_login(StaffFactory(is_superuser=False))
    assert client.get(reverse("admin:growth_conversion")).status_code == 403
