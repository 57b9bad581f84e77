"""Coupons people get: claiming in the centre (and each refusal), operator issue to a list and to a
segment, the newcomer pack, revoking, the wallet's tabs and the words a coupon is shown in."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.accounts import services as accounts
from fenxiao.accounts.models import User
from fenxiao.console.coupons import segments as coupon_segments
from fenxiao.promotions import selectors
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import Coupon, UserCoupon, UserCouponEvent
from fenxiao.promotions.services import coupons, usage
from fenxiao.wechat.tests.conftest import fake_wechat, new_person  # noqa: F401  (fake_wechat: a fixture)
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, StaffFactory, UserFactory, clock

from .coupon_factories import CouponFactory

pytestmark = pytest.mark.django_db


def refusal(call) -> PromotionError:
    with pytest.raises(PromotionError) as caught:
        call()
    return caught.value


# --- claim ----------------------------------------------------------------------------------------


def test_claim_gives_one_available_coupon_with_the_coupon_dates():
    starts = timezone.now() - timedelta(days=1)
    coupon = CouponFactory(valid_from=starts, total_quantity=10)
    user = UserFactory()

    held = coupons.claim(user=user, coupon_id=coupon.pk)

    assert (held.status, held.seq, held.source) == ("available", 1, "claim")
    assert (held.valid_from, held.valid_until) == (starts, coupon.valid_until)
    coupon.refresh_from_db()
    assert coupon.issued_count == 1
    event = UserCouponEvent.objects.get(user_coupon=held)
    assert (event.from_status, event.to_status, event.actor_id) == ("", "available", user.pk)
    assert event.note == "领券中心"


def test_claim_of_a_days_coupon_runs_from_now():
    coupon = CouponFactory(validity="days", valid_until=None, valid_days=7)
    moment = timezone.now().replace(microsecond=0)

    with clock(moment):
        held = coupons.claim(user=UserFactory(), coupon_id=coupon.pk)

    assert held.valid_from == moment
    assert held.valid_until == moment + timedelta(days=7)


def test_a_second_claim_within_the_limit_gets_the_next_number():
    coupon = CouponFactory(per_person_limit=2)
    user = UserFactory()

    first = coupons.claim(user=user, coupon_id=coupon.pk)
    second = coupons.claim(user=user, coupon_id=coupon.pk)
    third = refusal(lambda: coupons.claim(user=user, coupon_id=coupon.pk))

    assert (first.seq, second.seq) == (1, 2)
    assert (third.code, third.status) == ("per_person_limit", 409)
    coupon.refresh_from_db()
    assert coupon.issued_count == 2  # the refused claim took nothing from the total


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"claimable": False}, "coupon_unavailable"),
        ({"status": "paused"}, "coupon_unavailable"),
        ({"status": "ended"}, "coupon_unavailable"),
        ({"claim_starts_at": timezone.now() + timedelta(hours=2)}, "coupon_not_started"),
        ({"claim_ends_at": timezone.now() - timedelta(minutes=1)}, "coupon_expired"),
        ({"valid_until": timezone.now() - timedelta(minutes=1)}, "coupon_expired"),
    ],
)
def test_claim_refusals_say_why(changes, code):
    coupon = CouponFactory(**changes)

    error = refusal(lambda: coupons.claim(user=UserFactory(), coupon_id=coupon.pk))

    assert error.code == code
    assert error.message
    assert not UserCoupon.objects.filter(coupon=coupon).exists()


def test_claim_messages_are_specific():
    paused = refusal(lambda: coupons.claim(user=UserFactory(), coupon_id=CouponFactory(status="paused").pk))
    later = refusal(
        lambda: coupons.claim(user=UserFactory(), coupon_id=CouponFactory(claim_starts_at=timezone.now() + timedelta(days=1)).pk)
    )
    assert "暂停" in paused.message
    assert "开始领取" in later.message


def test_claim_of_a_missing_coupon_is_404():
    error = refusal(lambda: coupons.claim(user=UserFactory(), coupon_id=987654))
    assert (error.code, error.status) == ("coupon_not_found", 404)


def test_claim_when_sold_out():
    coupon = CouponFactory(total_quantity=1)
    coupons.claim(user=UserFactory(), coupon_id=coupon.pk)

    error = refusal(lambda: coupons.claim(user=UserFactory(), coupon_id=coupon.pk))

    assert (error.code, error.status) == ("coupon_sold_out", 409)
    assert UserCoupon.objects.filter(coupon=coupon).count() == 1


def test_a_clash_on_the_number_counts_again(monkeypatch):
    """A parallel claim that took the same number first: the insert fails on the unique constraint,
    the count is read again and the next number is used."""
    coupon = CouponFactory(per_person_limit=3)
    user = UserFactory()
    rival = UserCoupon.objects.create(
        coupon=coupon, user=user, seq=1, source="claim", valid_from=timezone.now(), valid_until=coupon.valid_until
    )
    real_filter = UserCoupon.objects.filter
    calls = {"n": 0}

    def stale_count(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if kwargs.get("user") == user and calls["n"] == 0:
            calls["n"] += 1
            return queryset.exclude(pk=rival.pk)  # as if the rival's row was not committed yet
        return queryset

    monkeypatch.setattr(UserCoupon.objects, "filter", stale_count)
    held = coupons.claim(user=user, coupon_id=coupon.pk)

    assert held.seq == 2
    assert calls["n"] == 1


# --- issue ----------------------------------------------------------------------------------------


def test_issue_to_a_list_skips_those_at_their_limit_and_stops_at_the_total():
    coupon = CouponFactory(total_quantity=4, per_person_limit=1, claimable=False)
    operator = StaffFactory()
    holder = UserFactory()
    coupons.issue(coupon_id=coupon.pk, user_ids=[holder.pk], actor=operator)
    people = [UserFactory() for _ in range(5)]

    result = coupons.issue(
        coupon_id=coupon.pk,
        user_ids=[holder.pk, *(p.pk for p in people), people[0].pk, 999999],
        actor=operator,
        source_reference="batch-1",
    )

    assert result.issued == [p.pk for p in people[:3]]
    assert result.at_limit == [holder.pk]
    assert result.not_issued == [p.pk for p in people[3:]]
    assert result.unknown == [999999]
    assert result.sold_out
    coupon.refresh_from_db()
    assert coupon.issued_count == 4
    rows = UserCoupon.objects.filter(coupon=coupon, source="issue", source_reference="batch-1")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted(result.issued)
    events = UserCouponEvent.objects.filter(user_coupon__in=rows)
    assert events.count() == 3
    assert set(events.values_list("actor_id", "from_status", "to_status", "reference")) == {
        (operator.pk, "", "available", "batch-1")
    }


def test_issue_a_second_time_numbers_after_what_people_hold():
    coupon = CouponFactory(per_person_limit=2)
    user = UserFactory()
    coupons.claim(user=user, coupon_id=coupon.pk)

    result = coupons.issue(coupon_id=coupon.pk, user_ids=[user.pk], actor=StaffFactory())

    assert result.issued == [user.pk]
    assert list(UserCoupon.objects.filter(user=user).values_list("seq", flat=True).order_by("seq")) == [1, 2]


def test_issue_ignores_the_claim_window_and_pause_but_not_the_end():
    operator = StaffFactory()
    closed = CouponFactory(claim_ends_at=timezone.now() - timedelta(days=1), claimable=False, status="paused")
    user = UserFactory()

    assert coupons.issue(coupon_id=closed.pk, user_ids=[user.pk], actor=operator).issued == [user.pk]
    ended = CouponFactory(status="ended")
    error = refusal(lambda: coupons.issue(coupon_id=ended.pk, user_ids=[user.pk], actor=operator))
    assert error.code == "coupon_unavailable"


def test_issue_statements_do_not_grow_with_the_people():
    operator = StaffFactory()

    def statements(count: int) -> int:
        coupon = CouponFactory(total_quantity=10_000)
        users = User.objects.bulk_create(User(username=f"bulk{count}-{i}") for i in range(count))
        with CaptureQueriesContext(connection) as captured:
            result = coupons.issue(coupon_id=coupon.pk, user_ids=[u.pk for u in users], actor=operator)
        assert result.issued_count == count
        return len(captured)

    few, many = statements(5), statements(80)
    assert few == many  # on SQLite a bulk insert of 80 rows may still be one statement each for both tables


def test_issue_to_5000_people_takes_seconds():
    coupon = CouponFactory(total_quantity=5_000)
    users = User.objects.bulk_create(User(username=f"crowd{i}") for i in range(5_000))
    started = timezone.now()

    result = coupons.issue(coupon_id=coupon.pk, user_ids=[u.pk for u in users], actor=StaffFactory())

    assert result.issued_count == 5_000
    assert (timezone.now() - started).total_seconds() < 15
    assert UserCoupon.objects.filter(coupon=coupon).count() == 5_000
    assert UserCouponEvent.objects.filter(user_coupon__coupon=coupon).count() == 5_000


# --- segments (worked out in the console, which may read orders) ------------------------------------


def test_issue_to_a_distributor_level():
    gold, silver = LevelFactory(rank=2, name="金牌"), LevelFactory(rank=1, name="银牌")
    golden = [DistributorFactory(level=gold) for _ in range(2)]
    DistributorFactory(level=silver)
    DistributorFactory(level=gold, status="pending")
    coupon = CouponFactory()
    operator = StaffFactory()

    result = coupon_segments.issue_to_segment(coupon_id=coupon.pk, segment={"distributor_level": gold.pk}, actor=operator)

    assert sorted(result.issued) == sorted(d.user_id for d in golden)


def test_issue_to_recent_buyers():
    from tests.factories import OrderFactory, SkuFactory

    sku = SkuFactory(stock=10)
    recent = OrderFactory(items=[(sku, 1)], paid=True, paid_at=timezone.now() - timedelta(days=3))
    OrderFactory(items=[(sku, 1)], paid=True, paid_at=timezone.now() - timedelta(days=40))
    OrderFactory(items=[(sku, 1)])  # placed, never paid
    coupon = CouponFactory()

    result = coupon_segments.issue_to_segment(coupon_id=coupon.pk, segment={"bought_within_days": 30}, actor=StaffFactory())

    assert result.issued == [recent.user_id]


def test_segment_refusals():
    coupon = CouponFactory()
    operator = StaffFactory()
    for segment in ({}, {"member_tier": 1}, {"bought_within_days": 0}, {"distributor_level": 999999}):
        error = refusal(lambda s=segment: coupon_segments.issue_to_segment(coupon_id=coupon.pk, segment=s, actor=operator))
        assert error.code == "invalid_promotion"
    plain = StaffFactory(is_superuser=False)
    with pytest.raises(PermissionDenied):
        coupon_segments.issue_to_segment(coupon_id=coupon.pk, segment={"bought_within_days": 7}, actor=plain)
    plain.user_permissions.add(Permission.objects.get(codename="issue_coupon"))
    plain = User.objects.get(pk=plain.pk)
    assert coupon_segments.issue_to_segment(coupon_id=coupon.pk, segment={"bought_within_days": 7}, actor=plain).issued == []


# --- newcomer pack --------------------------------------------------------------------------------


def test_a_new_member_gets_the_newcomer_pack_once():
    welcome = CouponFactory(for_newcomers=True, claimable=False, validity="days", valid_until=None, valid_days=15)
    CouponFactory(for_newcomers=True, status="paused")
    CouponFactory(for_newcomers=False)

    user = accounts.register_member(phone="13912345670", password="Strong-pass-2024")

    held = UserCoupon.objects.get(user=user)
    assert (held.coupon_id, held.source) == (welcome.pk, "newcomer")
    assert UserCouponEvent.objects.get(user_coupon=held).note == "新人礼包"


def test_a_sold_out_newcomer_coupon_does_not_stop_sign_up():
    CouponFactory(for_newcomers=True, total_quantity=1)
    first = accounts.register_member(phone="13912345671", password="Strong-pass-2024")
    second = accounts.register_member(phone="13912345672", password="Strong-pass-2024")

    assert UserCoupon.objects.filter(user=first).count() == 1
    assert UserCoupon.objects.filter(user=second).count() == 0


def test_staff_made_by_createsuperuser_get_nothing():
    CouponFactory(for_newcomers=True)
    admin = User.objects.create_superuser(username="boss", password="Strong-pass-2024")
    assert not UserCoupon.objects.filter(user=admin).exists()
    assert coupons.issue_newcomer_pack(admin).issued == []


def test_a_first_wechat_sign_in_gets_the_newcomer_pack(request):
    from fenxiao.wechat import services as wechat

    wechat_api = request.getfixturevalue("fake_wechat")

    CouponFactory(for_newcomers=True)
    person = new_person()
    result, _grant = wechat.sign_in_with_oa_code(code=wechat_api.issue_code(person, scope="snsapi_base"))
    again, _grant = wechat.sign_in_with_oa_code(code=wechat_api.issue_code(person, scope="snsapi_base"))

    assert result.created and not again.created
    assert UserCoupon.objects.filter(user=result.user, source="newcomer").count() == 1


# --- revoke ---------------------------------------------------------------------------------------


def test_revoke_an_available_coupon():
    held = coupons.claim(user=UserFactory(), coupon_id=CouponFactory().pk)
    operator = StaffFactory()

    revoked = coupons.revoke(user_coupon_id=held.pk, actor=operator, reason="误发")

    assert revoked.status == "revoked"
    last = UserCouponEvent.objects.filter(user_coupon=held).latest("id")
    assert (last.from_status, last.to_status, last.actor_id, last.note) == ("available", "revoked", operator.pk, "误发")
    assert coupons.revoke(user_coupon_id=held.pk, actor=operator, reason="again").status == "revoked"
    assert UserCouponEvent.objects.filter(user_coupon=held).count() == 2


def test_revoke_refuses_used_and_reserved_coupons_and_needs_a_reason():
    user = UserFactory()
    coupon = CouponFactory(per_person_limit=2)
    used = coupons.claim(user=user, coupon_id=coupon.pk)
    usage.reserve(user_coupon_id=used.pk, user=user, reference="FX1")
    usage.consume(reference="FX1")
    reserved = coupons.claim(user=user, coupon_id=coupon.pk)
    usage.reserve(user_coupon_id=reserved.pk, user=user, reference="FX2")
    operator = StaffFactory()

    assert refusal(lambda: coupons.revoke(user_coupon_id=used.pk, actor=operator, reason="x")).code == "coupon_already_used"
    assert refusal(lambda: coupons.revoke(user_coupon_id=reserved.pk, actor=operator, reason="x")).code == "coupon_reserved"
    assert refusal(lambda: coupons.revoke(user_coupon_id=reserved.pk, actor=operator, reason=" ")).code == "reason_required"
    assert refusal(lambda: coupons.revoke(user_coupon_id=999999, actor=operator, reason="x")).status == 404
    assert set(UserCoupon.objects.filter(user=user).values_list("status", flat=True)) == {"used", "reserved"}


# --- wallet ---------------------------------------------------------------------------------------


def test_wallet_tabs_and_counts():
    user = UserFactory()
    now = timezone.now()
    coupon = CouponFactory(per_person_limit=10)

    def hold(seq, **fields):
        values = {"status": "available", "valid_from": now - timedelta(days=1), "valid_until": now + timedelta(days=5)}
        values.update(fields)
        return UserCoupon.objects.create(coupon=coupon, user=user, seq=seq, source="issue", **values)

    soon = hold(1, valid_until=now + timedelta(days=1))
    later = hold(2, valid_from=now + timedelta(days=2))
    used = hold(3, status="used", order_reference="FX9")
    reserved = hold(4, status="reserved", order_reference="FX10")
    lapsed = hold(5, valid_until=now - timedelta(hours=1))
    revoked = hold(6, status="revoked")
    hold_other = UserCoupon.objects.create(
        coupon=coupon, user=UserFactory(), seq=1, source="issue", valid_from=now, valid_until=now + timedelta(days=1)
    )

    usable = selectors.wallet(user, "usable")
    assert usable.counts == {"usable": 2, "used": 2, "expired": 2}
    assert [e.held.pk for e in usable.entries] == [soon.pk, later.pk]
    assert [e.not_yet for e in usable.entries] == [False, True]
    assert {e.held.pk for e in selectors.wallet(user, "used").entries} == {used.pk, reserved.pk}
    assert {e.held.pk for e in selectors.wallet(user, "expired").entries} == {lapsed.pk, revoked.pk}
    assert selectors.wallet(user, "nonsense").tab == "usable"
    assert hold_other.pk not in {e.held.pk for e in usable.entries}


def test_wallet_query_count_is_constant(django_assert_max_num_queries):
    user = UserFactory()
    category = CategoryFactory(name="美妆")
    for _ in range(6):
        coupon = CouponFactory(scope="categories")
        coupon.categories.add(category)
        coupons.issue(coupon_id=coupon.pk, user_ids=[user.pk], actor=None)
    with django_assert_max_num_queries(3):
        page = selectors.wallet(user, "usable")
        texts = [e.scope for e in page.entries]
    assert texts == ["指定类目：美妆"] * 6


# --- the coupon centre ----------------------------------------------------------------------------


def test_centre_lists_what_can_be_claimed_now():
    user = UserFactory()
    open_ = CouponFactory(per_person_limit=1, total_quantity=5)
    twice = CouponFactory(per_person_limit=2)
    CouponFactory(claimable=False)
    CouponFactory(status="paused")
    CouponFactory(claim_starts_at=timezone.now() + timedelta(days=1))
    CouponFactory(claim_ends_at=timezone.now() - timedelta(days=1))
    gone = CouponFactory(total_quantity=1)
    coupons.claim(user=UserFactory(), coupon_id=gone.pk)
    coupons.claim(user=user, coupon_id=open_.pk)
    coupons.claim(user=user, coupon_id=twice.pk)

    entries = {e.coupon.pk: e for e in selectors.coupon_centre(user)}

    assert set(entries) == {open_.pk, twice.pk}
    assert (entries[open_.pk].held, entries[open_.pk].can_claim, entries[open_.pk].remaining) == (1, False, 4)
    assert (entries[twice.pk].held, entries[twice.pk].can_claim) == (1, True)
    anonymous = {e.coupon.pk: e for e in selectors.coupon_centre(None)}
    assert anonymous[open_.pk].can_claim


def test_centre_query_count_does_not_grow_with_coupons():
    user = UserFactory()
    category = CategoryFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            entries = selectors.coupon_centre(user)
            [e.scope for e in entries]
        return len(captured)

    coupon = CouponFactory(scope="categories")
    coupon.categories.add(category)
    one = queries()
    for _ in range(8):
        more = CouponFactory(scope="categories")
        more.categories.add(category)
        coupons.claim(user=user, coupon_id=more.pk)
    assert queries() == one == 2


# --- words ----------------------------------------------------------------------------------------


def test_describe():
    category_a, category_b = CategoryFactory(name="服饰"), CategoryFactory(name="鞋包")
    amount = CouponFactory(amount_fen=2000, threshold_fen=10000)
    percent = CouponFactory(kind="percent", amount_fen=0, percent_off_bp=1000, cap_fen=3000, threshold_fen=10000)
    plain = CouponFactory(amount_fen=500, threshold_fen=0)
    odd = CouponFactory(kind="percent", amount_fen=0, percent_off_bp=1500, cap_fen=None, threshold_fen=9950)
    scoped = CouponFactory(scope="categories")
    scoped.categories.add(category_a, category_b)

    assert selectors.describe(amount) == "满 ¥100 减 ¥20 · 全部商品"
    assert selectors.value_text(percent) == "满 ¥100 打 9 折，最多减 ¥30"
    assert selectors.value_text(plain) == "无门槛减 ¥5"
    assert selectors.value_text(odd) == "满 ¥99.50 打 8.5 折"
    assert selectors.scope_text(scoped) == "指定类目：服饰、鞋包"
    assert selectors.scope_text(CouponFactory(scope="products")) == "指定商品"
    assert selectors.discount_text(1250) == "8.75"


def test_validity_window_of_each_kind():
    now = timezone.now()
    dated = Coupon(validity="dates", valid_from=None, valid_until=now + timedelta(days=3))
    assert coupons.validity_window(dated, now) == (now, dated.valid_until)
    days = Coupon(validity="days", valid_days=2)
    assert coupons.validity_window(days, now) == (now, now + timedelta(days=2))


# --- parallel claims: each thread its own connection and transaction ---------------------------------


def claim_concurrently(pairs) -> Counter:
    """Start one thread per (user, coupon id) together; each claims in its own transaction and
    closes its connection. Returns how many ended "ok" and each refusal code (or exception)."""
    start = threading.Barrier(len(pairs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(user, coupon_id) -> None:
        start.wait()
        try:
            with transaction.atomic():
                coupons.claim(user=user, coupon_id=coupon_id)
            outcome = "ok"
        except PromotionError as exc:
            outcome = exc.code
        except Exception as exc:  # a deadlock or a lock timeout lands here and fails the test
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a claim never finished"
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
def test_twelve_people_at_once_for_five_coupons():
    coupon = CouponFactory(total_quantity=5)
    people = [UserFactory() for _ in range(12)]

    outcomes = claim_concurrently([(person, coupon.pk) for person in people])

    assert outcomes == Counter({"ok": 5, "coupon_sold_out": 7})
    coupon.refresh_from_db()
    assert coupon.issued_count == 5
    assert UserCoupon.objects.filter(coupon=coupon).count() == 5
    assert UserCouponEvent.objects.filter(user_coupon__coupon=coupon).count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_person_claiming_eight_times_at_once_gets_two():
    coupon = CouponFactory(total_quantity=100, per_person_limit=2)
    person = UserFactory()

    outcomes = claim_concurrently([(person, coupon.pk)] * 8)

    assert outcomes == Counter({"ok": 2, "per_person_limit": 6})
    coupon.refresh_from_db()
    assert coupon.issued_count == 2
    assert sorted(UserCoupon.objects.filter(coupon=coupon, user=person).values_list("seq", flat=True)) == [1, 2]
