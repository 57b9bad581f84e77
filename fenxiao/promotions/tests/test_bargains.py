"""Bargains (砍价): the cut, starting, helping (locks, limits, who may help), the deadline job and the
API. Runs on SQLite and PostgreSQL; the parallel-help test needs PostgreSQL's row locks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from fenxiao.accounts.services import issue_token
from fenxiao.common.errors import DomainError
from fenxiao.promotions.errors import PromotionError
from fenxiao.promotions.models import ActivityVisit, Bargain, BargainActivity, BargainEvent, BargainHelp, RunStatus
from fenxiao.promotions.services import bargains
from fenxiao.promotions.services.bargains import next_cut
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

B = Bargain.Status


def make_activity(**fields) -> BargainActivity:
    now = timezone.now()
    values = {
        "name": "砍价：保温杯",
        "sku": fields.pop("sku", None) or SkuFactory(retail_fen=15000),
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=3),
        "start_price_fen": 15000,
        "floor_price_fen": 9900,
        "helps_needed": 3,
        "hours": 24,
        "daily_help_limit": 3,
        "help_requires_account": True,
        "share_text": "帮我砍一刀",
    }
    values.update(fields)
    return BargainActivity.objects.create(**values)


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user=user)}"}


def code_of(call) -> tuple[str, int]:
    with pytest.raises(PromotionError) as caught:
        call()
    return caught.value.code, caught.value.status


# --- the cut ---------------------------------------------------------------------------------------


def test_the_last_helper_takes_the_remainder_and_the_others_leave_a_fen_each():
    assert next_cut(500, 1, 2000) == 500
    # room = 100 - 2 = 98; 20 % of it
    assert next_cut(100, 3, 2000) == 19
    assert next_cut(100, 3, 5000) == 49
    # nothing to spare: one fen each
    assert next_cut(3, 3, 5000) == 1
    with pytest.raises(ValueError):
        next_cut(2, 3, 3000)


@settings(max_examples=300, deadline=None)
@given(
    floor=st.integers(min_value=1, max_value=10_000_000),
    room=st.integers(min_value=0, max_value=10_000_000),
    helps=st.integers(min_value=1, max_value=100),
    draws=st.lists(st.integers(min_value=2000, max_value=5000), min_size=100, max_size=100),
)
def test_the_floor_is_reached_in_exactly_n_helps(floor, room, helps, draws):
    start = floor + helps + room  # the activity's constraint: start ≥ floor + N
    current = start
    for i in range(helps):
        helpers_left = helps - i
        assert current - floor >= helpers_left  # every helper still to come has a fen to cut
        cut = next_cut(current - floor, helpers_left, draws[i])
        assert cut >= 1
        current -= cut
        assert current >= floor
        if helpers_left > 1:
            assert current > floor  # never at the floor before the N-th help
    assert current == floor


# --- starting --------------------------------------------------------------------------------------


def test_start_opens_one_bargain_per_user_and_activity():
    activity = make_activity(hours=2)
    user = UserFactory()
    bargain = bargains.start(user=user, activity_id=activity.pk)
    assert (bargain.status, bargain.current_price_fen, bargain.floor_price_fen, bargain.helps_needed) == (
        B.ACTIVE,
        15000,
        9900,
        3,
    )
    assert timedelta(hours=1, minutes=59) < bargain.expires_at - timezone.now() <= timedelta(hours=2)
    assert BargainEvent.objects.filter(bargain=bargain, to_status=B.ACTIVE).count() == 1
    with pytest.raises(PromotionError) as caught:
        bargains.start(user=user, activity_id=activity.pk)
    assert (caught.value.code, caught.value.status) == ("bargain_open", 409)
    assert caught.value.detail["bargain_id"] == bargain.pk
    # another user starts their own
    assert bargains.start(user=UserFactory(), activity_id=activity.pk).pk != bargain.pk


def test_a_bargain_never_outlives_its_activity():
    now = timezone.now()
    activity = make_activity(hours=24, ends_at=now + timedelta(hours=3))
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk, now=now)
    assert bargain.expires_at == activity.ends_at


def test_start_needs_a_running_activity():
    now = timezone.now()
    user = UserFactory()
    later = make_activity(starts_at=now + timedelta(hours=1))
    over = make_activity(starts_at=now - timedelta(days=2), ends_at=now - timedelta(hours=1))
    paused = make_activity(status=RunStatus.PAUSED)
    switched_off = make_activity(status=RunStatus.ENDED)
    assert code_of(lambda: bargains.start(user=user, activity_id=later.pk)) == ("activity_not_started", 409)
    assert code_of(lambda: bargains.start(user=user, activity_id=over.pk)) == ("activity_ended", 409)
    assert code_of(lambda: bargains.start(user=user, activity_id=paused.pk)) == ("activity_ended", 409)
    assert code_of(lambda: bargains.start(user=user, activity_id=switched_off.pk)) == ("activity_ended", 409)
    assert code_of(lambda: bargains.start(user=user, activity_id=999999)) == ("activity_not_found", 404)
    assert not Bargain.objects.exists()


# --- helping ---------------------------------------------------------------------------------------


def test_n_helpers_cut_the_price_exactly_to_the_floor():
    activity = make_activity(helps_needed=3)
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk)
    cuts = []
    for _ in range(3):
        result = bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
        cuts.append(result.cut_fen)
    bargain.refresh_from_db()
    assert all(cut >= 1 for cut in cuts) and sum(cuts) == 15000 - 9900
    assert (bargain.status, bargain.current_price_fen, bargain.helps_done) == (B.FLOOR, 9900, 3)
    assert bargain.floor_reached_at is not None
    assert BargainHelp.objects.filter(bargain=bargain).count() == 3
    assert BargainEvent.objects.filter(bargain=bargain, from_status=B.ACTIVE, to_status=B.FLOOR).count() == 1
    # one more friend: the bargain is done
    assert code_of(lambda: bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())) == ("bargain_ended", 409)


def test_each_cut_stays_within_twenty_to_fifty_percent_of_the_room():
    activity = make_activity(helps_needed=5, start_price_fen=100_000, floor_price_fen=1_000)
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk)
    result = bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory())
    room = 99_000 - 4
    assert room * 2000 // 10000 <= result.cut_fen <= room * 5000 // 10000


def test_one_help_per_helper_and_never_on_ones_own_bargain():
    activity = make_activity()
    starter, friend = UserFactory(), UserFactory()
    bargain = bargains.start(user=starter, activity_id=activity.pk)
    assert code_of(lambda: bargains.help_bargain(bargain_id=bargain.pk, user=starter)) == ("self_help", 409)
    bargains.help_bargain(bargain_id=bargain.pk, user=friend)
    assert code_of(lambda: bargains.help_bargain(bargain_id=bargain.pk, user=friend)) == ("already_helped", 409)
    assert code_of(lambda: bargains.help_bargain(bargain_id=424242, user=friend)) == ("bargain_not_found", 404)
    bargain.refresh_from_db()
    assert bargain.helps_done == 1


def test_the_daily_help_limit_counts_across_bargains_by_the_local_day():
    activity = make_activity(daily_help_limit=2, starts_at=timezone.now() - timedelta(days=3))
    helper = UserFactory()
    started = [bargains.start(user=UserFactory(), activity_id=activity.pk) for _ in range(4)]
    # 23:30 in Shanghai (15:30 UTC) — the next local day starts half an hour later
    base = timezone.now().astimezone(timezone.get_default_timezone()).replace(hour=23, minute=30, second=0, microsecond=0)
    if base > timezone.now():
        base -= timedelta(days=1)
    for bargain in started:
        Bargain.objects.filter(pk=bargain.pk).update(expires_at=timezone.now() + timedelta(days=2))
    bargains.help_bargain(bargain_id=started[0].pk, user=helper, now=base)
    bargains.help_bargain(bargain_id=started[1].pk, user=helper, now=base + timedelta(minutes=10))
    with pytest.raises(PromotionError) as caught:
        bargains.help_bargain(bargain_id=started[2].pk, user=helper, now=base + timedelta(minutes=20))
    assert (caught.value.code, caught.value.status, caught.value.detail["limit"]) == ("daily_help_limit", 409, 2)
    # after local midnight the helper may help again
    bargains.help_bargain(bargain_id=started[2].pk, user=helper, now=base + timedelta(minutes=40))


def test_an_account_is_needed_unless_the_activity_lets_visitors_help():
    strict = make_activity()
    open_to_all = make_activity(help_requires_account=False)
    strict_bargain = bargains.start(user=UserFactory(), activity_id=strict.pk)
    open_bargain = bargains.start(user=UserFactory(), activity_id=open_to_all.pk)
    assert code_of(lambda: bargains.help_bargain(bargain_id=strict_bargain.pk, visitor_id="sess-1")) == (
        "help_needs_account",
        401,
    )
    assert code_of(lambda: bargains.help_bargain(bargain_id=open_bargain.pk)) == ("help_needs_account", 401)
    result = bargains.help_bargain(bargain_id=open_bargain.pk, visitor_id="sess-1")
    assert result.help.helper_key == "v:sess-1" and result.help.helper_id is None
    assert code_of(lambda: bargains.help_bargain(bargain_id=open_bargain.pk, visitor_id="sess-1")) == (
        "already_helped",
        409,
    )


def test_an_expired_bargain_takes_no_help():
    activity = make_activity()
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk)
    later = bargain.expires_at + timedelta(seconds=1)
    assert code_of(lambda: bargains.help_bargain(bargain_id=bargain.pk, user=UserFactory(), now=later)) == (
        "bargain_ended",
        409,
    )


# --- the deadline job ------------------------------------------------------------------------------


def test_expire_bargains_ends_what_is_due_once():
    activity = make_activity(helps_needed=1)
    due = bargains.start(user=UserFactory(), activity_id=activity.pk)
    at_floor = bargains.start(user=UserFactory(), activity_id=activity.pk)
    bargains.help_bargain(bargain_id=at_floor.pk, user=UserFactory())
    not_due = bargains.start(user=UserFactory(), activity_id=make_activity(hours=48).pk)
    moment = due.expires_at + timedelta(minutes=1)
    assert bargains.expire_bargains(moment) == {"expired": 1}
    due.refresh_from_db()
    assert due.status == B.EXPIRED and due.ended_at == moment
    assert BargainEvent.objects.filter(bargain=due, to_status=B.EXPIRED).count() == 1
    # a rerun (after a crash, or a second worker) changes nothing
    assert bargains.expire_bargains(moment) == {"expired": 0}
    assert BargainEvent.objects.filter(bargain=due, to_status=B.EXPIRED).count() == 1
    # the bargain at the floor stays buyable while its activity runs; the other one is not due
    assert Bargain.objects.get(pk=at_floor.pk).status == B.FLOOR
    assert Bargain.objects.get(pk=not_due.pk).status == B.ACTIVE
    # once the activity is over, the floor bargain nobody bought ends too
    assert bargains.expire_bargains(activity.ends_at + timedelta(seconds=1))["expired"] == 2
    assert Bargain.objects.get(pk=at_floor.pk).status == B.EXPIRED
    # and the user may start a new one later (the old one is no longer open)
    assert bargains.start(user=due.user, activity_id=activity.pk).pk != due.pk


# --- visits ----------------------------------------------------------------------------------------


def test_a_visit_is_counted_once_per_visitor_and_day():
    activity = make_activity()
    for _ in range(3):
        bargains.record_visit(activity_id=activity.pk, visitor_key="v:abc")
    bargains.record_visit(activity_id=activity.pk, visitor_key="u:7")
    assert ActivityVisit.objects.filter(kind="bargain", activity_id=activity.pk).count() == 2


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_reads_starts_and_helps(client):
    activity = make_activity(helps_needed=2)
    starter, friend = UserFactory(nickname="小红"), UserFactory(nickname="张三丰")
    answer = client.get(f"/api/v1/bargains/activities/{activity.pk}")
    assert answer.status_code == 200
    assert answer.json()["phase"] == "running" and answer.json()["my_bargain_id"] is None
    assert client.post(f"/api/v1/bargains/activities/{activity.pk}/start").status_code == 401

    started = client.post(f"/api/v1/bargains/activities/{activity.pk}/start", **auth(starter))
    assert started.status_code == 201
    body = started.json()
    assert (body["status"], body["current_price_fen"], body["helps_needed"], body["is_starter"]) == ("active", 15000, 2, True)
    bargain_id = body["id"]
    again = client.post(f"/api/v1/bargains/activities/{activity.pk}/start", **auth(starter))
    assert again.status_code == 409 and again.json()["code"] == "bargain_open"
    assert client.get(f"/api/v1/bargains/activities/{activity.pk}", **auth(starter)).json()["my_bargain_id"] == bargain_id

    # a visitor without an account is asked to sign in (the activity needs an account)
    anonymous = client.post(f"/api/v1/bargains/{bargain_id}/help")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "help_needs_account"
    own = client.post(f"/api/v1/bargains/{bargain_id}/help", **auth(starter))
    assert own.status_code == 409 and own.json()["code"] == "self_help"

    helped = client.post(f"/api/v1/bargains/{bargain_id}/help", **auth(friend))
    assert helped.status_code == 200
    cut = helped.json()["cut_fen"]
    assert cut >= 1 and helped.json()["bargain"]["current_price_fen"] == 15000 - cut
    assert helped.json()["bargain"]["can_help"] is False

    public = client.get(f"/api/v1/bargains/{bargain_id}").json()
    assert public["helpers"] == [{"name": "张**", "cut_fen": cut, "at": public["helpers"][0]["at"]}]
    assert public["starter"] == "小*" and public["order_id"] is None and public["is_starter"] is False
    assert public["share_text"] == "帮我砍一刀" and public["seconds_left"] > 0
    assert client.get("/api/v1/bargains/987654").json()["code"] == "bargain_not_found"


def test_the_api_lets_a_visitor_help_where_the_activity_allows(client):
    activity = make_activity(help_requires_account=False, helps_needed=2)
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk)
    first = client.post(f"/api/v1/bargains/{bargain.pk}/help")
    assert first.status_code == 200
    assert BargainHelp.objects.get(bargain=bargain).helper_key == f"v:{client.session.session_key}"
    second = client.post(f"/api/v1/bargains/{bargain.pk}/help")
    assert second.status_code == 409 and second.json()["code"] == "already_helped"


def test_the_openapi_document_declares_the_bargain_errors(client):
    doc = client.get("/api/openapi.json").json()
    help_op = doc["paths"]["/api/v1/bargains/{bargain_id}/help"]["post"]["responses"]
    assert "already_helped" in help_op["409"]["description"]
    assert "daily_help_limit" in help_op["409"]["description"]
    assert "bargain_not_found" in help_op["404"]["description"]
    start_op = doc["paths"]["/api/v1/bargains/activities/{activity_id}/start"]["post"]["responses"]
    assert "bargain_open" in start_op["409"]["description"]
    assert {"BargainOut", "BargainActivityOut", "BargainHelpOut"} <= set(doc["components"]["schemas"])


# --- many helpers at once --------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_ten_helpers_at_once_on_a_bargain_needing_three():
    activity = make_activity(helps_needed=3, daily_help_limit=5)
    bargain = bargains.start(user=UserFactory(), activity_id=activity.pk)
    helpers = [UserFactory() for _ in range(10)]
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def help_once(user):
        try:
            barrier.wait(30)
            try:
                bargains.help_bargain(bargain_id=bargain.pk, user=user)
                result = "ok"
            except DomainError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=help_once, args=(user,)) for user in helpers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert len(outcomes) == 10
    assert outcomes.count("ok") == 3
    assert set(outcomes) == {"ok", "bargain_ended"}
    bargain.refresh_from_db()
    assert (bargain.status, bargain.helps_done, bargain.current_price_fen) == (B.FLOOR, 3, 9900)
    assert BargainHelp.objects.filter(bargain=bargain).count() == 3
    assert sum(BargainHelp.objects.filter(bargain=bargain).values_list("cut_fen", flat=True)) == 15000 - 9900
