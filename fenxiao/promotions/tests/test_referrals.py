"""Consumer referral (老带新): the link remembers the code, sign-up records a pending referral, the new
customer's first completed order rewards both sides once (a second order, or two completions at once,
give nothing more), while a registration alone, one's own code or an existing account give nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.members.models import PointsLot, PointsSource
from fenxiao.promotions.models import Referral, ReferralCode, ReferralSettings, UserCoupon
from fenxiao.promotions.services import referrals
from fenxiao.sms.tests.helpers import sent_code
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db
R = Referral.Status


def register_through(client, code: str, phone: str = "13812345678") -> User:
    response = client.get(reverse("web:referral_link", args=[code]))
    assert response.status_code == 302 and response["Location"] == reverse("web:register")
    data = {"phone": phone, "nickname": "新朋友", "password": "secret-77", "agree": "1"}
    response = client.post(reverse("web:register"), {**data, "code": sent_code(phone, "register")})
    assert response.status_code == 302
    return User.objects.get(phone=phone)


def referral_coupons(user) -> int:
    return UserCoupon.objects.filter(user=user, source=UserCoupon.Source.REFERRAL).count()


@pytest.fixture
def inviter():
    return UserFactory(nickname="老客")


def test_link_then_sign_up_records_a_pending_referral_and_gives_nothing_yet(client, inviter):
    code = referrals.code_for(inviter)
    assert len(code.code) == referrals.CODE_LENGTH
    assert referrals.code_for(inviter) == code  # made once

    newcomer = register_through(client, code.code.lower())

    referral = Referral.objects.get()
    assert (referral.referrer, referral.referee, referral.status) == (inviter, newcomer, R.PENDING)
    assert referrals.SESSION_KEY not in client.session
    assert referral_coupons(inviter) == 0 and referral_coupons(newcomer) == 0
    assert not PointsLot.objects.filter(source=PointsSource.INVITATION).exists()


def test_first_completed_order_rewards_both_once(client, inviter):
    conf = referrals.referral_settings()
    assert conf.referrer_coupon.amount_fen == 2000 and conf.referee_coupon.amount_fen == 2000  # the seeded ¥20 coupons
    ReferralSettings.objects.filter(pk=1).update(referrer_points=100, referee_points=50)
    newcomer = register_through(client, referrals.code_for(inviter).code)

    first = OrderFactory(user=newcomer, completed=True)

    referral = Referral.objects.get()
    assert referral.status == R.REWARDED
    assert referral.reference == first.number
    assert referral.rewarded_at is not None
    assert referral_coupons(inviter) == 1 and referral_coupons(newcomer) == 1
    held = UserCoupon.objects.get(user=newcomer, source="referral")
    assert held.coupon_id == conf.referee_coupon_id and held.source_reference == f"referral:{referral.pk}"
    rewards = PointsLot.objects.filter(source=PointsSource.INVITATION)
    assert sorted(rewards.values_list("user_id", "amount")) == sorted([(inviter.pk, 100), (newcomer.pk, 50)])

    OrderFactory(user=newcomer, completed=True)

    assert referral_coupons(inviter) == 1 and referral_coupons(newcomer) == 1
    assert rewards.count() == 2
    assert Referral.objects.get().reference == first.number


def test_orders_of_somebody_not_referred_change_nothing(inviter):
    OrderFactory(user=inviter, completed=True)
    assert not Referral.objects.exists()
    assert referral_coupons(inviter) == 0


def test_own_code_existing_accounts_and_staff_are_not_referred(client, inviter):
    code = referrals.code_for(inviter).code
    assert referrals.record(referee=inviter, code=code) is None
    old = UserFactory()
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=3))
    old.refresh_from_db()
    assert referrals.record(referee=old, code=code) is None
    assert referrals.record(referee=UserFactory(is_staff=True), code=code) is None
    assert referrals.record(referee=UserFactory(), code="NOSUCH01") is None
    # Signing up again with a phone that already has an account only signs in: no referral.
    existing = UserFactory(phone="13812345679")
    register_through(client, code, phone=existing.phone)
    assert not Referral.objects.exists()


def test_referred_once_only(inviter):
    mine, theirs = referrals.code_for(inviter).code, referrals.code_for(UserFactory()).code
    newcomer = UserFactory()  # joined after both codes were made
    assert referrals.record(referee=newcomer, code=mine) is not None
    assert referrals.record(referee=newcomer, code=theirs) is None
    assert Referral.objects.get().referrer == inviter


def test_disabled_referral_gives_nothing_and_waits(client, inviter):
    referrals.referral_settings()
    ReferralSettings.objects.filter(pk=1).update(enabled=False)
    newcomer = register_through(client, referrals.code_for(inviter).code)
    OrderFactory(user=newcomer, completed=True)
    assert Referral.objects.get().status == R.PENDING
    assert referral_coupons(inviter) == 0


def test_a_signed_in_visitor_is_not_sent_to_sign_up(client, inviter):
    client.force_login(UserFactory())
    response = client.get(reverse("web:referral_link", args=[referrals.code_for(inviter).code]))
    assert response["Location"] == reverse("web:home")
    assert referrals.SESSION_KEY not in client.session


def test_referral_page_shows_link_qr_and_rewards(client, inviter):
    client.force_login(inviter)
    response = client.get(reverse("web:referral"))
    assert response.status_code == 200
    html = response.content.decode()
    code = ReferralCode.objects.get(user=inviter).code
    assert reverse("web:referral_link", args=[code]) in html
    assert "邀请好友奖励券" in html
    qr = client.get(reverse("web:referral_qr"))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    assert client.get(reverse("web:me")).content.decode().count(reverse("web:referral")) == 1


# --- parallel completions: each thread its own connection and transaction ------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_reward_once():
    inviter = UserFactory()
    code = referrals.code_for(inviter).code
    newcomer = UserFactory()
    referral = referrals.record(referee=newcomer, code=code)
    assert referral is not None
    referrals.referral_settings()
    start = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def worker(reference: str) -> None:
        start.wait()
        try:
            with transaction.atomic():
                outcome: object = referrals.on_order_completed(user_id=newcomer.pk, reference=reference)
        except Exception as exc:  # a deadlock or lock timeout lands here and fails the test
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(f"ORDER{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    rewarded = [o for o in outcomes if isinstance(o, Referral)]
    assert len(rewarded) == 1, outcomes
    assert outcomes.count(None) == 1, outcomes
    assert Referral.objects.get(pk=referral.pk).status == R.REWARDED
    assert referral_coupons(inviter) == 1 and referral_coupons(newcomer) == 1
