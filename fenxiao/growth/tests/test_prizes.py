"""Leaderboard prizes: ranges and ties, cash through the ledger, a period closed once (also when two
closes race), periods not ended refused, quarters and the invites board, and the prize checks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from fenxiao.commissions.selectors import earnings_summary
from fenxiao.distribution.models import Distributor
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import LeaderboardAward, LeaderboardClose, LeaderboardPrize, Notification
from fenxiao.growth.services import prizes
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction

from .conftest import EARLY, IN_FEB, MARCH, approve_pending, local, member, sale
from .prize_helpers import awarded, prize, sellers

pytestmark = pytest.mark.django_db

APRIL = local(2026, 4, 2, 9, 0)


# --- ranges and ties ---------------------------------------------------------------------------


def test_tied_ranks_share_a_prize_and_the_next_rank_takes_the_next_range(regular):
    a, b, c, d = sellers(regular, [9000, 5000, 5000, 3000])  # ranks 1, 2, 2, 4
    first = prize(1, 1, "cash", cash_fen=50000)
    second = prize(2, 3, "gift", gift_name="品牌定制礼盒")
    rest = prize(4, 10, "points", points=300)
    closing = prizes.close_period("sales", "month", now=MARCH)
    assert closing.created and closing.close.period == "2026-02"
    assert awarded(closing.close) == [
        (a.pk, 1, "cash", first.pk),
        (b.pk, 2, "gift", second.pk),
        (c.pk, 2, "gift", second.pk),
        (d.pk, 4, "points", rest.pk),
    ]
    award = LeaderboardAward.objects.get(distributor=b)
    assert (award.value, award.gift_name, award.cash_fen, award.points) == (5000, "品牌定制礼盒", 0, 0)
    assert closing.close.winners == 4


def test_a_tie_starting_inside_a_range_wins_even_past_its_end(regular):
    people = sellers(regular, [9000, 5000, 5000, 5000, 1000])  # ranks 1, 2, 2, 2, 5
    prize(1, 2, "cash", cash_fen=20000)
    prize(3, 4, "gift")  # ranks 3 and 4 are taken by the tie at 2: nobody wins this one
    closing = prizes.close_period("sales", "month", now=MARCH)
    assert [(w, r) for w, r, _reward, _p in awarded(closing.close)] == [
        (p.pk, r) for p, r in zip(people[:4], [1, 2, 2, 2], strict=True)
    ]
    assert closing.close.cash_fen == 80000


def test_a_tie_at_the_last_prized_rank_is_kept_whole(regular):
    a, b, _c = sellers(regular, [5000, 5000, 4000])  # 1, 1, 3
    prize(1, 1, "points", points=100)
    closing = prizes.close_period("sales", "month", now=MARCH)
    assert {x for x, *_rest in awarded(closing.close)} == {a.pk, b.pk}


def test_only_approved_distributors_with_sales_in_the_period_win(regular):
    top = member(regular, status=Distributor.Status.SUSPENDED)
    sale(top, 99000, completed_at=IN_FEB)
    march_seller = member(regular)
    sale(march_seller, 99000, completed_at=local(2026, 3, 1, 0, 30))
    january = member(regular)
    sale(january, 99000, completed_at=local(2026, 1, 31, 23, 30))
    winner = member(regular)
    sale(winner, 100, completed_at=IN_FEB)
    prize(1, 3, "gift")
    closing = prizes.close_period("sales", "month", now=MARCH)
    assert [w for w, *_rest in awarded(closing.close)] == [winner.pk]


# --- money, notices, once ----------------------------------------------------------------------


def test_cash_goes_through_the_ledger_and_winners_are_told(regular):
    a, b, c = sellers(regular, [9000, 5000, 3000])
    prize(1, 1, "cash", cash_fen=50000)
    prize(2, 2, "cash", cash_fen=20000)
    prize(3, 3, "gift")
    closing = prizes.close_period("sales", "month", now=MARCH)
    close = closing.close
    assert (close.winners, close.cash_fen) == (3, 70000)
    # The close proposes the cash; nothing is paid until finance approves it.
    assert not Transaction.objects.filter(kind="leaderboard_prize").exists()
    assert earnings_summary(a).available_fen == 0
    assert approve_pending("leaderboard_cash") == 1
    close.refresh_from_db()
    txn = Transaction.objects.get(kind="leaderboard_prize")
    assert close.ledger_transaction_id == txn.pk
    assert txn.idempotency_key == "leaderboard_prize:sales:month:2026-02"
    assert earnings_summary(a).available_fen == 50000
    assert earnings_summary(b).available_fen == 20000
    assert earnings_summary(c).available_fen == 0
    assert list(ledger_selectors.violations()) == []
    notices = {n.user_id: n for n in Notification.objects.filter(kind="leaderboard_prize")}
    assert set(notices) == {a.user_id, b.user_id, c.user_id}
    assert notices[a.user_id].url.startswith("/dc/leaderboard/?board=sales&period=last_month")
    assert "第 1 名" in notices[a.user_id].title and "¥500.00" in notices[a.user_id].body
    assert "定制保温杯" in notices[c.user_id].body


def test_closing_again_awards_nothing(regular):
    sellers(regular, [9000, 5000])
    prize(1, 2, "cash", cash_fen=1000)
    first = prizes.close_period("sales", "month", now=MARCH)
    approve_pending()
    prize(3, 5, "gift")  # prizes added later do not reopen a closed period
    again = prizes.close_period("sales", "month", "2026-02", now=MARCH + timedelta(days=3))
    assert (again.created, again.close.pk) == (False, first.close.pk)
    assert LeaderboardAward.objects.count() == 2
    assert Transaction.objects.filter(kind="leaderboard_prize").count() == 1
    assert Notification.objects.filter(kind="leaderboard_prize").count() == 2
    assert prizes.run_leaderboard_close(now=MARCH)[0].created is False


def test_a_period_without_prizes_or_winners_is_closed_empty(regular):
    assert prizes.run_leaderboard_close(now=MARCH) == []  # no prize anywhere: nothing to close
    prize(1, 3, "cash")
    empty = prizes.close_period("sales", "month", now=MARCH)  # nobody sold in February
    assert (empty.created, empty.close.winners, empty.close.cash_fen, empty.close.ledger_transaction_id) == (True, 0, 0, None)
    no_prize = prizes.close_period("invites", "quarter", "2025-Q4", now=MARCH)
    assert (no_prize.created, no_prize.close.winners) == (True, 0)
    assert not Transaction.objects.filter(kind="leaderboard_prize").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_closes_award_once(regular):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    a, b = sellers(regular, [9000, 5000])
    prize(1, 2, "cash", cash_fen=3000)
    barrier, errors, results = threading.Barrier(4), [], []

    def close():
        try:
            barrier.wait()
            results.append(prizes.close_period("sales", "month", now=MARCH))
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert len({r.close.pk for r in results}) == 1
    assert approve_pending() == 1
    assert LeaderboardClose.objects.count() == 1 and LeaderboardAward.objects.count() == 2
    assert Transaction.objects.filter(kind="leaderboard_prize").count() == 1
    assert earnings_summary(a).available_fen == 3000 and earnings_summary(b).available_fen == 3000
    assert list(ledger_selectors.violations()) == []


# --- periods and boards ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, period, code",
    [
        ("month", "2026-03", "period_not_closed"),  # the current month
        ("month", "2026-07", "period_not_closed"),
        ("quarter", "2026-Q1", "period_not_closed"),
        ("month", "2026-13", "invalid_period"),
        ("month", "2026-Q1", "invalid_period"),
        ("quarter", "2026-02", "invalid_period"),
        ("month", "2020-01", "invalid_period"),  # older than the boards go back
        ("year", None, "invalid_period_kind"),
    ],
)
def test_periods_not_ended_or_malformed_are_refused(regular, kind, period, code):
    with pytest.raises(GrowthError) as exc:
        prizes.close_period("sales", kind, period, now=MARCH)
    assert exc.value.code == code
    assert not LeaderboardClose.objects.exists()


def test_unknown_board_is_refused(db):
    with pytest.raises(GrowthError) as exc:
        prizes.close_period("likes", "month", now=MARCH)
    assert exc.value.code == "invalid_board"


def test_quarter_period(regular):
    a, b = sellers(regular, [4000, 3000])
    sale(b, 2000, completed_at=local(2026, 3, 31, 23, 0))  # still the first quarter: b has 5000
    sale(a, 9000, completed_at=local(2026, 4, 1, 0, 30))  # the second quarter
    prize(1, 1, "cash", kind="quarter", cash_fen=100000)
    assert prizes.last_closed_period("quarter", now=APRIL) == "2026-Q1"
    closing = prizes.close_period("sales", "quarter", now=APRIL)
    assert (closing.close.period, closing.close.period_kind) == ("2026-Q1", "quarter")
    assert [(w, r) for w, r, *_rest in awarded(closing.close)] == [(b.pk, 1)]
    approve_pending()
    assert earnings_summary(b).available_fen == 100000
    assert prizes.close_period("sales", "quarter", "2026-Q1", now=APRIL).created is False
    with pytest.raises(GrowthError) as exc:
        prizes.close_period("sales", "quarter", "2026-Q2", now=APRIL)
    assert exc.value.code == "period_not_closed"


def test_invites_board(regular):
    shop = member(regular)
    leader, runner = member(regular), member(regular, approved_at=EARLY + timedelta(days=1))
    for inviter, count in ((leader, 2), (runner, 1)):
        for _ in range(count):
            invitee = member(regular, inviter=inviter)
            sale(shop, 5000, buyer=invitee.user, completed_at=IN_FEB)  # a first completed purchase in February
    prize(1, 1, "points", board="invites", points=800)
    prize(1, 1, "cash", board="sales", cash_fen=100)  # another board's prize is not this board's
    closing = prizes.close_period("invites", "month", now=MARCH)
    assert [(a.distributor_id, a.rank, a.value, a.points) for a in closing.close.awards.all()] == [(leader.pk, 1, 2, 800)]
    assert closing.close.ledger_transaction_id is None


def test_run_leaderboard_close_closes_each_board_with_prizes_once(regular):
    sellers(regular, [9000])
    prize(1, 1, "cash", cash_fen=500)
    prize(1, 1, "gift", kind="quarter")
    prize(1, 1, "points", board="invites", is_enabled=False)  # a disabled prize closes nothing
    done = prizes.run_leaderboard_close(now=APRIL)
    assert sorted((c.close.board, c.close.period_kind, c.close.period, c.created) for c in done) == [
        ("sales", "month", "2026-03", True),
        ("sales", "quarter", "2026-Q1", True),
    ]
    assert LeaderboardClose.objects.get(period="2026-Q1").winners == 1
    assert all(not c.created for c in prizes.run_leaderboard_close(now=APRIL))
    assert LeaderboardClose.objects.count() == 2


def test_close_query_count_does_not_grow_with_winners(regular):
    prize(1, 1, "cash", cash_fen=5000)
    prize(2, 10, "cash", cash_fen=1000)
    prize(11, 50, "gift")
    sellers(regular, [9000, 8000, 7000])
    with CaptureQueriesContext(connection) as few:
        assert prizes.close_period("sales", "month", now=MARCH).close.winners == 3
    sellers(regular, [9000 - i * 100 for i in range(40)], completed_at=local(2026, 1, 10, 12, 0))
    with CaptureQueriesContext(connection) as many:
        assert prizes.close_period("sales", "month", "2026-01", now=MARCH).close.winners == 40
    assert len(many) <= len(few) + 2, [q["sql"][:120] for q in many.captured_queries]
    assert list(ledger_selectors.violations()) == []


# --- prize checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, code",
    [
        ({"rank_from": 0, "rank_to": 3}, "invalid_prize"),
        ({"rank_from": 3, "rank_to": 2}, "invalid_prize"),
        ({"rank_from": 1, "rank_to": 51}, "invalid_prize"),
        ({"reward": "cash", "cash_fen": 0}, "invalid_prize"),
        ({"reward": "cash", "cash_fen": -100}, "invalid_prize"),
        ({"reward": "gift", "gift_name": "  "}, "invalid_prize"),
        ({"reward": "points", "points": 0}, "invalid_prize"),
        ({"reward": "coupon"}, "invalid_prize"),
        ({"board": "likes"}, "invalid_board"),
        ({"period_kind": "week"}, "invalid_period_kind"),
    ],
)
def test_prizes_are_checked(db, values, code):
    base = {"board": "sales", "period_kind": "month", "rank_from": 1, "rank_to": 3, "reward": "cash", "cash_fen": 100}
    with pytest.raises(GrowthError) as exc:
        prizes.save_prize(**{**base, **values})
    assert exc.value.code == code
    assert not LeaderboardPrize.objects.exists()


def test_enabled_ranges_of_a_board_and_kind_do_not_overlap(db):
    first = prize(1, 3)
    with pytest.raises(GrowthError) as exc:
        prize(3, 5)
    assert (exc.value.code, exc.value.status, exc.value.detail["prize_id"]) == ("prize_overlap", 409, first.pk)
    prize(3, 5, kind="quarter")  # another period kind
    prize(3, 5, board="invites")  # another board
    later = prize(3, 5, is_enabled=False)  # a disabled prize may overlap …
    with pytest.raises(GrowthError):
        prizes.save_prize(
            board="sales", period_kind="month", rank_from=3, rank_to=5, reward="cash", cash_fen=1, prize_id=later.pk
        )
    prizes.disable_prize(prize_id=first.pk)  # … until the other one is switched off
    prizes.save_prize(board="sales", period_kind="month", rank_from=3, rank_to=5, reward="cash", cash_fen=1, prize_id=later.pk)
    # a prize does not clash with itself when changed
    edited = prizes.save_prize(
        board="sales", period_kind="month", rank_from=2, rank_to=6, reward="points", points=9, prize_id=later.pk
    )
    assert (edited.rank_from, edited.cash_fen, edited.points, edited.is_enabled) == (2, 0, 9, True)
    with pytest.raises(GrowthError) as missing:
        prizes.disable_prize(prize_id=99999)
    assert missing.value.code == "prize_not_found"
