"""Builders shared by the leaderboard prize tests."""

from __future__ import annotations

from datetime import timedelta

from fenxiao.growth.services import prizes

from .conftest import EARLY, IN_FEB, member, sale


def prize(rank_from, rank_to, reward="cash", *, board="sales", kind="month", **values):
    values.setdefault("cash_fen", 10000 if reward == "cash" else 0)
    if reward == "gift":
        values.setdefault("gift_name", "定制保温杯")
    if reward == "points":
        values.setdefault("points", 500)
    return prizes.save_prize(board=board, period_kind=kind, rank_from=rank_from, rank_to=rank_to, reward=reward, **values)


def sellers(level, amounts, *, completed_at=IN_FEB):
    """One approved distributor per amount, approved in list order (so ties keep that order)."""
    people = []
    for index, amount in enumerate(amounts):
        d = member(level, approved_at=EARLY + timedelta(minutes=index))
        if amount:
            sale(d, amount, completed_at=completed_at)
        people.append(d)
    return people


def awarded(close):
    return [(a.distributor_id, a.rank, a.reward, a.prize_id) for a in close.awards.order_by("rank", "pk")]
