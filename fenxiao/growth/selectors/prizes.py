"""Reads of the leaderboard prizes: the operator's prize list and closes with their awards, a
distributor's own awards, and what the leaderboard page shows next to a board. Nothing here writes;
each function runs a fixed number of queries, however many winners there are."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.common.phone import mask_name, mask_phone

from ..models import LeaderboardAward, LeaderboardClose, LeaderboardPrize


def describe_prize(prize) -> str:
    """What a prize (or an award, which has the same reward fields) gives, for lists and notices."""
    if prize.reward == "cash":
        return gettext("现金 ¥%(amount)s") % {"amount": yuan(prize.cash_fen)}
    if prize.reward == "points":
        return gettext("%(points)d 积分") % {"points": prize.points}
    return gettext("礼品：%(gift)s") % {"gift": prize.gift_name}


def prize_list(board: str | None = None, period_kind: str | None = None, *, enabled_only: bool = False) -> QuerySet:
    qs = LeaderboardPrize.objects.all()
    if board:
        qs = qs.filter(board=board)
    if period_kind:
        qs = qs.filter(period_kind=period_kind)
    if enabled_only:
        qs = qs.filter(is_enabled=True)
    return qs.order_by("board", "period_kind", "rank_from", "pk")


def _awards_prefetch() -> Prefetch:
    return Prefetch("awards", queryset=LeaderboardAward.objects.select_related("distributor__user").order_by("rank", "pk"))


def closes(board: str | None = None, period_kind: str | None = None) -> QuerySet:
    """The closes, newest first, with their awards (and the winners) prefetched."""
    qs = LeaderboardClose.objects.all()
    if board:
        qs = qs.filter(board=board)
    if period_kind:
        qs = qs.filter(period_kind=period_kind)
    return qs.prefetch_related(_awards_prefetch()).order_by("-closed_at", "-pk")


def my_awards(distributor_id: int, *, limit: int = 50) -> list[LeaderboardAward]:
    """A distributor's prizes, newest first."""
    return list(
        LeaderboardAward.objects.filter(distributor_id=distributor_id)
        .select_related("close")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class Winner:
    rank: int
    distributor_id: int
    name: str  # masked unless it is the viewer
    phone: str  # masked
    value: int
    prize: str
    is_me: bool


@dataclass(frozen=True)
class BoardPrizes:
    """The prizes of one board and period kind, and, when that period is closed, who won."""

    prizes: list[LeaderboardPrize]
    close: LeaderboardClose | None
    winners: list[Winner] = field(default_factory=list)

    @property
    def prize_lines(self) -> list[tuple[str, str]]:
        return [(rank_range(p.rank_from, p.rank_to), describe_prize(p)) for p in self.prizes]


def rank_range(rank_from: int, rank_to: int) -> str:
    return str(rank_from) if rank_from == rank_to else f"{rank_from}–{rank_to}"


def board_prizes(board: str, period_kind: str, period: str, *, viewer_id: int | None = None) -> BoardPrizes:
    """What the leaderboard page shows beside a board: its enabled prizes and, when `period` is
    closed, the winners (names masked except the viewer's own). Three queries."""
    listed = list(prize_list(board, period_kind, enabled_only=True))
    close = closes(board, period_kind).filter(period=period).first()
    winners = []
    for award in close.awards.all() if close else []:
        d = award.distributor
        shown = d.user.nickname or d.real_name or ""
        is_me = d.pk == viewer_id
        winners.append(
            Winner(
                rank=award.rank,
                distributor_id=d.pk,
                name=shown if is_me else mask_name(shown),
                phone=mask_phone(d.user.phone),
                value=award.value,
                prize=describe_prize(award),
                is_me=is_me,
            )
        )
    return BoardPrizes(prizes=listed, close=close, winners=winners)
