"""Leaderboard prizes from the operator's side: the API and its permissions, the admin, the command and
the worker's step, and the demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.analytics.selectors import period_for
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.console.jobs import services as jobs
from fenxiao.console.models import BackgroundJob
from fenxiao.growth.models import LeaderboardAward, LeaderboardClose, LeaderboardPrize
from tests.api_helpers import assert_error
from tests.factories import StaffFactory, UserFactory

from .conftest import approve_pending, member, sale
from .prize_helpers import prize

pytestmark = pytest.mark.django_db

OP = "/api/v1/operator/growth"


# --- API ---------------------------------------------------------------------------------------


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


def staff_in(group):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return bearer(user)


PAYLOAD = {"board": "sales", "period_kind": "month", "rank_from": 1, "rank_to": 1, "reward": "cash", "cash_fen": 50000}


def test_operator_manages_prizes_through_the_api(client, db):
    ops = staff_in("运营")
    created = client.post(f"{OP}/leaderboard-prizes", PAYLOAD, content_type="application/json", headers=ops)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert_error(
        client.post(f"{OP}/leaderboard-prizes", {**PAYLOAD, "rank_to": 3}, content_type="application/json", headers=ops),
        409,
        "prize_overlap",
    )
    assert_error(
        client.post(
            f"{OP}/leaderboard-prizes",
            {**PAYLOAD, "rank_from": 2, "rank_to": 3, "reward": "gift"},
            content_type="application/json",
            headers=ops,
        ),
        400,
        "invalid_prize",
    )
    assert_error(
        client.post(f"{OP}/leaderboard-prizes", {**PAYLOAD, "rank_from": "first"}, content_type="application/json", headers=ops),
        422,
        "invalid_input",
    )
    changed = client.put(
        f"{OP}/leaderboard-prizes/{pk}",
        {**PAYLOAD, "rank_to": 2, "cash_fen": 30000},
        content_type="application/json",
        headers=ops,
    )
    assert (changed.status_code, changed.json()["rank_to"], changed.json()["cash_fen"]) == (200, 2, 30000)
    assert_error(
        client.put(f"{OP}/leaderboard-prizes/99999", PAYLOAD, content_type="application/json", headers=ops),
        404,
        "prize_not_found",
    )
    listed = client.get(f"{OP}/leaderboard-prizes", {"board": "sales"}, headers=ops).json()
    assert [(p["id"], p["is_enabled"]) for p in listed] == [(pk, True)]
    disabled = client.delete(f"{OP}/leaderboard-prizes/{pk}", headers=ops)
    assert (disabled.status_code, disabled.json()["is_enabled"]) == (200, False)
    assert LeaderboardPrize.objects.filter(pk=pk, is_enabled=False).exists()


def test_operator_closes_a_period_through_the_api(client, regular):
    now_month = period_for("month", -1)  # the real clock: the API closes relative to now
    winner = member(regular)
    sale(winner, 9000, completed_at=now_month.start + timedelta(days=3))
    prize(1, 1, "cash", cash_fen=50000)
    ops = staff_in("运营")
    body = {"board": "sales", "period_kind": "month"}
    first = client.post(f"{OP}/leaderboard-closes", body, content_type="application/json", headers=ops)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["created"], data["period"], data["winners"], data["cash_fen"]) == (True, now_month.label, 1, 50000)
    assert [(a["distributor_id"], a["distributor_code"], a["rank"], a["value"]) for a in data["awards"]] == [
        (winner.pk, winner.code, 1, 9000)
    ]
    again = client.post(
        f"{OP}/leaderboard-closes", {**body, "period": now_month.label}, content_type="application/json", headers=ops
    )
    assert (again.status_code, again.json()["created"], again.json()["id"]) == (200, False, data["id"])
    current = period_for("month", 0).label
    assert_error(
        client.post(f"{OP}/leaderboard-closes", {**body, "period": current}, content_type="application/json", headers=ops),
        409,
        "period_not_closed",
    )
    assert_error(
        client.post(f"{OP}/leaderboard-closes", {**body, "board": "x"}, content_type="application/json", headers=ops),
        400,
        "invalid_board",
    )
    finance = staff_in("财务")
    page = client.get(f"{OP}/leaderboard-closes", {"board": "sales"}, headers=finance).json()
    assert page["count"] == 1 and page["items"][0]["awards"][0]["distributor_id"] == winner.pk
    assert_error(client.get(f"{OP}/leaderboard-closes", {"limit": 0}, headers=finance), 400, "invalid_filter")

    mine = client.get("/api/v1/growth/leaderboard-awards", headers=bearer(winner.user))
    assert mine.status_code == 200
    assert [(a["period"], a["board"], a["rank"], a["reward"], a["cash_fen"]) for a in mine.json()] == [
        (now_month.label, "sales", 1, "cash", 50000)
    ]


def test_prize_and_close_endpoints_need_the_right_staff(client, regular):
    prize(1, 1, "gift")
    calls = [
        ("get", f"{OP}/leaderboard-prizes", None),
        ("post", f"{OP}/leaderboard-prizes", PAYLOAD),
        ("put", f"{OP}/leaderboard-prizes/1", PAYLOAD),
        ("delete", f"{OP}/leaderboard-prizes/1", None),
        ("post", f"{OP}/leaderboard-closes", {"board": "sales", "period_kind": "month"}),
        ("get", f"{OP}/leaderboard-closes", None),
    ]
    member_headers = bearer(member(regular).user)
    for method, url, payload in calls:
        kwargs = {"content_type": "application/json", "data": payload} if payload else {}
        assert_error(getattr(client, method)(url, headers=member_headers, **kwargs), 403, "forbidden")
        assert_error(getattr(client, method)(url, **kwargs), 401, "not_authenticated")
    finance = staff_in("财务")  # finance reads prizes and awards, changes nothing
    assert client.get(f"{OP}/leaderboard-prizes", headers=finance).status_code == 200
    assert_error(
        client.post(f"{OP}/leaderboard-prizes", PAYLOAD, content_type="application/json", headers=finance), 403, "forbidden"
    )
    assert_error(
        client.post(
            f"{OP}/leaderboard-closes",
            {"board": "sales", "period_kind": "month"},
            content_type="application/json",
            headers=finance,
        ),
        403,
        "forbidden",
    )
    assert not LeaderboardClose.objects.exists()
    assert_error(client.get("/api/v1/growth/leaderboard-awards", headers=bearer(UserFactory())), 403, "not_distributor")


# --- admin, command, worker --------------------------------------------------------------------


def test_admin_prizes_are_checked_and_the_button_closes_the_last_period(client, regular):
    client.force_login(StaffFactory())
    add = reverse("admin:growth_leaderboardprize_add")
    form = {
        "board": "sales",
        "period_kind": "month",
        "rank_from": "1",
        "rank_to": "3",
        "reward": "cash",
        "cash_fen": "200",  # yuan
        "gift_name": "",
        "points": "0",
        "is_enabled": "on",
    }
    assert client.post(add, form).status_code == 302
    saved = LeaderboardPrize.objects.get()
    assert saved.updated_by is not None
    refused = client.post(add, {**form, "rank_from": "2", "rank_to": "5"})  # overlaps 1–3
    assert refused.status_code == 200 and "重叠" in refused.content.decode()
    assert client.post(add, {**form, "rank_from": "4", "rank_to": "6", "reward": "gift"}).status_code == 200  # no gift name
    assert LeaderboardPrize.objects.count() == 1

    last = period_for("month", -1)
    winner = member(regular)
    sale(winner, 5000, completed_at=last.start + timedelta(hours=5))
    changelist = reverse("admin:growth_leaderboardclose_changelist")
    assert "结榜并发放奖品" in client.get(changelist).content.decode()
    start = reverse("console:start_job", args=["growth.leaderboard_close"])
    job = run_started(client.post(start, {"board": "sales", "period_kind": "month"}))
    close = LeaderboardClose.objects.get()
    assert job.status == BackgroundJob.Status.SUCCEEDED and job.summary["周期"] == close.period
    assert (close.period, close.winners, close.cash_fen) == (last.label, 1, 20000)
    detail = client.get(reverse("admin:growth_leaderboardclose_change", args=[close.pk])).content.decode()
    assert winner.code in detail or str(winner) in detail
    run_started(client.post(start, {"board": "sales", "period_kind": "month"}))
    assert LeaderboardClose.objects.count() == 1 and LeaderboardAward.objects.count() == 1
    refused = run_started(client.post(start, {"board": "sales", "period_kind": "month", "period": period_for("month", 0).label}))
    assert refused.status == BackgroundJob.Status.FAILED and "尚未结束" in refused.error
    assert client.get(reverse("admin:growth_leaderboardaward_changelist")).status_code == 200

    client.post(
        reverse("admin:growth_leaderboardprize_changelist"), {"action": "disable_selected", "_selected_action": [str(saved.pk)]}
    )
    assert not LeaderboardPrize.objects.get(pk=saved.pk).is_enabled


def run_started(response) -> BackgroundJob:
    """The button went to the job's page; run the job there as the worker would."""
    job = BackgroundJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
    jobs.run(job.pk)
    job.refresh_from_db()
    return job


def test_finance_views_closes_in_the_admin_but_cannot_close(client, db):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="财务"))
    client.force_login(user)
    page = client.get(reverse("admin:growth_leaderboardclose_changelist"))
    assert page.status_code == 200 and "结榜并发放奖品" not in page.content.decode()
    assert client.get(reverse("admin:growth_leaderboardaward_changelist")).status_code == 200
    start = reverse("console:start_job", args=["growth.leaderboard_close"])
    assert client.post(start, {"board": "sales", "period_kind": "month"}).status_code == 403
    assert client.get(reverse("admin:growth_levelrule_changelist")).status_code == 403  # only the prizes' models
    assert not LeaderboardClose.objects.exists()


def test_command_and_worker_close_once(capsys, regular):
    last = period_for("month", -1)
    winner = member(regular)
    sale(winner, 5000, completed_at=last.start + timedelta(hours=5))
    prize(1, 1, "cash", cash_fen=1500)
    call_command("run_jobs")
    out = capsys.readouterr().out
    assert "leaderboards_closed=1" in out and "leaderboard_winners=1" in out
    call_command("run_jobs")
    assert "leaderboards_closed=0" in capsys.readouterr().out
    assert earnings_summary(winner).available_fen == 0  # waits for finance
    assert approve_pending() == 1
    assert earnings_summary(winner).available_fen == 1500
    call_command("close_leaderboards", "--board", "sales", "--kind", "month", "--period", last.label)
    assert "此前已结榜" in capsys.readouterr().out
    call_command("close_leaderboards", "--board", "invites", "--kind", "month")
    assert "结榜，获奖 0 人" in capsys.readouterr().out
    assert LeaderboardClose.objects.count() == 2
    with pytest.raises(Exception, match="period_not_closed"):
        call_command("close_leaderboards", "--board", "sales", "--kind", "month", "--period", period_for("month", 0).label)
    assert timezone.now() >= last.end


def test_demo_prizes_and_last_month_closed_once(regular):
    from fenxiao.demo.seed import make_demo_prizes

    winner = member(regular)
    sale(winner, 8000, completed_at=period_for("month", -1).start + timedelta(hours=5))
    assert make_demo_prizes() == 4 + 2 + 1  # four prizes, two boards closed, one winner
    assert list(LeaderboardPrize.objects.filter(board="sales").values_list("rank_from", "rank_to", "reward", "cash_fen")) == [
        (1, 1, "cash", 50000),
        (2, 3, "cash", 20000),
        (4, 10, "gift", 0),
    ]
    assert earnings_summary(winner).available_fen == 0  # the demo leaves the cash for finance to approve
    assert approve_pending("leaderboard_cash") == 1
    assert earnings_summary(winner).available_fen == 50000
    assert make_demo_prizes() == 0
    assert LeaderboardClose.objects.count() == 2
