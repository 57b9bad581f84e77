"""Leaderboard prizes: the operator's prizes per board and period kind, and the close of a period
that awards them.

A prize covers a range of competition ranks (1, 2, 2, 4) of one board (sales or valid invites) and
one period kind (month or quarter). Enabled prizes of the same board and kind never overlap, so a
rank has at most one prize. When a period closes, everyone whose rank falls in a prize's range wins
it: two distributors tied at rank 2 both win the rank-2 prize, and a tie that starts inside a range
wins it even when it reaches past the range's end (three tied at rank 3 of a 1–3 prize all win).

Closing records one `LeaderboardClose` per (board, kind, period) — the unique constraint is what
makes a second close, or a concurrent one, award nothing — with one `LeaderboardAward` per winner,
one ledger posting for all the cash (prize expense debited, each winner's available balance
credited) and an in-app notice for each winner, all in one transaction. A period with no enabled
prize or nobody on the board is closed too, with no winners: it was looked at once and the
scheduled job does not come back to it. Prizes added later do not reopen a closed period.

The ranking is the network's (never a team's) as `analytics.selectors.ranked` computes it when the
period is closed: only approved distributors are on the board.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.analytics import selectors as analytics
from fenxiao.analytics.errors import AnalyticsError
from fenxiao.common.money import yuan
from fenxiao.distribution.models import Distributor
from fenxiao.members.models import PointsSource
from fenxiao.members.services import points as member_points

from ..errors import GrowthCode, GrowthError
from ..models import InvitationRung, LeaderboardAward, LeaderboardClose, LeaderboardPrize, Notification
from ..selectors.prizes import describe_prize

logger = logging.getLogger(__name__)
PRIZE_EXPENSE_ACCOUNT = "platform:leaderboard_prize_expense"
PRIZE_LEDGER_KIND = "leaderboard_prize"
NOTICE_KIND = "leaderboard_prize"
MAX_RANK = 50  # the boards show the top 50; the model's check constraint says the same
MAX_CASH_FEN = 10**9

Board = LeaderboardPrize.Board
Kind = LeaderboardPrize.PeriodKind
CASH, GIFT, POINTS = InvitationRung.Reward.CASH, InvitationRung.Reward.GIFT, InvitationRung.Reward.POINTS
REWARDS = InvitationRung.Reward.values

# The leaderboard page's period key for the period just ended, used in the notices' links.
_LAST_PERIOD_KEY = {Kind.MONTH: "last_month", Kind.QUARTER: "last_quarter"}


def ledger_key(board: str, period_kind: str, period: str) -> str:
    return f"leaderboard_prize:{board}:{period_kind}:{period}"


# --- prizes ----------------------------------------------------------------------------------


def _whole(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _check_board(board, period_kind) -> None:
    if board not in Board.values:
        raise GrowthError(GrowthCode.INVALID_BOARD, gettext("榜单只能是销售额或有效邀请"), {"board": board})
    if period_kind not in Kind.values:
        raise GrowthError(GrowthCode.INVALID_PERIOD_KIND, gettext("周期只能是月度或季度"), {"period_kind": period_kind})


def validate_prize(
    *,
    board,
    period_kind,
    rank_from,
    rank_to,
    reward,
    cash_fen=0,
    gift_name="",
    points=0,
    is_enabled=True,
    prize_id: int | None = None,
) -> None:
    """The checks of the API and the admin alike. `invalid_prize` (400) for a bad field,
    `prize_overlap` (409) when an enabled prize of the same board and kind already covers a rank."""
    _check_board(board, period_kind)
    if not _whole(rank_from, 1, MAX_RANK) or not _whole(rank_to, 1, MAX_RANK):
        raise GrowthError(
            GrowthCode.INVALID_PRIZE,
            gettext("名次必须是 1 到 %(max)d 的整数") % {"max": MAX_RANK},
            {"rank_from": rank_from, "rank_to": rank_to},
        )
    if rank_to < rank_from:
        raise GrowthError(
            GrowthCode.INVALID_PRIZE, gettext("结束名次不能小于起始名次"), {"rank_from": rank_from, "rank_to": rank_to}
        )
    if reward not in REWARDS:
        raise GrowthError(GrowthCode.INVALID_PRIZE, gettext("奖励类型只能是现金、积分或礼品"), {"reward": reward})
    if reward == CASH and not _whole(cash_fen, 1, MAX_CASH_FEN):
        raise GrowthError(GrowthCode.INVALID_PRIZE, gettext("现金奖励须大于 0"), {"cash_fen": cash_fen})
    if reward == GIFT and not (isinstance(gift_name, str) and gift_name.strip()):
        raise GrowthError(GrowthCode.INVALID_PRIZE, gettext("请填写礼品名称"), {"gift_name": gift_name})
    if reward == GIFT and len(gift_name.strip()) > 60:
        raise GrowthError(GrowthCode.INVALID_PRIZE, gettext("礼品名称最多 60 个字"), {"gift_name": gift_name})
    if reward == POINTS and not _whole(points, 1, 2_000_000_000):
        raise GrowthError(GrowthCode.INVALID_PRIZE, gettext("积分奖励须大于 0"), {"points": points})
    if not is_enabled:
        return
    clash = (
        LeaderboardPrize.objects.filter(
            board=board, period_kind=period_kind, is_enabled=True, rank_from__lte=rank_to, rank_to__gte=rank_from
        )
        .exclude(pk=prize_id)
        .order_by("rank_from")
        .first()
    )
    if clash is not None:
        raise GrowthError(
            GrowthCode.PRIZE_OVERLAP,
            gettext("名次 %(a)d–%(b)d 与已启用的奖品（第 %(c)d–%(d)d 名）重叠")
            % {"a": rank_from, "b": rank_to, "c": clash.rank_from, "d": clash.rank_to},
            {"prize_id": clash.pk, "rank_from": clash.rank_from, "rank_to": clash.rank_to},
            status=409,
        )


@transaction.atomic
def save_prize(
    *,
    board: str,
    period_kind: str,
    rank_from: int,
    rank_to: int,
    reward: str,
    cash_fen: int = 0,
    gift_name: str = "",
    points: int = 0,
    is_enabled: bool = True,
    prize_id: int | None = None,
    actor=None,
) -> LeaderboardPrize:
    """Create a prize or change one (`prize_id`). The enabled prizes of the board and kind are locked
    first, so two edits of the same board cannot both pass the overlap check."""
    _check_board(board, period_kind)
    list(
        LeaderboardPrize.objects.select_for_update()
        .filter(board=board, period_kind=period_kind, is_enabled=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    prize = LeaderboardPrize() if prize_id is None else LeaderboardPrize.objects.select_for_update().filter(pk=prize_id).first()
    if prize is None:
        raise GrowthError(GrowthCode.PRIZE_NOT_FOUND, gettext("奖品不存在"), {"prize_id": prize_id}, status=404)
    validate_prize(
        board=board,
        period_kind=period_kind,
        rank_from=rank_from,
        rank_to=rank_to,
        reward=reward,
        cash_fen=cash_fen,
        gift_name=gift_name,
        points=points,
        is_enabled=is_enabled,
        prize_id=prize.pk,
    )
    prize.board, prize.period_kind, prize.rank_from, prize.rank_to = board, period_kind, rank_from, rank_to
    prize.reward, prize.is_enabled = reward, bool(is_enabled)
    prize.cash_fen = cash_fen if reward == CASH else 0
    prize.gift_name = gift_name.strip() if reward == GIFT else ""
    prize.points = points if reward == POINTS else 0
    prize.updated_by = actor if getattr(actor, "pk", None) else None
    prize.save()
    return prize


@transaction.atomic
def disable_prize(*, prize_id: int, actor=None) -> LeaderboardPrize:
    """Switch a prize off. Prizes are never deleted here: awards already given keep pointing at them."""
    prize = LeaderboardPrize.objects.select_for_update().filter(pk=prize_id).first()
    if prize is None:
        raise GrowthError(GrowthCode.PRIZE_NOT_FOUND, gettext("奖品不存在"), {"prize_id": prize_id}, status=404)
    if prize.is_enabled:
        prize.is_enabled = False
        prize.updated_by = actor if getattr(actor, "pk", None) else None
        prize.save(update_fields=["is_enabled", "updated_by", "updated_at"])
    return prize


# --- closing a period ------------------------------------------------------------------------


@dataclass(frozen=True)
class Closing:
    close: LeaderboardClose
    created: bool  # False: the period had been closed already, nothing was awarded now
    awards: list[LeaderboardAward] = field(default_factory=list)


def _as_growth_error(exc: AnalyticsError) -> GrowthError:
    """The boards refuse a malformed or too old period; the prizes answer it with their own error."""
    return GrowthError(GrowthCode.INVALID_PERIOD, exc.message, exc.detail, status=exc.status)


def last_closed_period(period_kind: str, *, now: datetime | None = None) -> str:
    """The label of the most recent period of this kind that has ended."""
    _check_board(Board.SALES, period_kind)
    return analytics.period_for(period_kind, -1, now=now).label


def _resolve(period_kind: str, period: str | None, now: datetime) -> analytics.Period:
    """The ended period named by `period` (default: the most recent one); `period_not_closed` for the
    current or a future one."""
    try:
        if period in (None, ""):
            return analytics.period_for(period_kind, -1, now=now)
        offset = analytics.period_offset(period_kind, period, now=now)
        if offset >= 0:
            raise GrowthError(
                GrowthCode.PERIOD_NOT_CLOSED,
                gettext("只能结算已结束的周期：%(period)s 尚未结束") % {"period": period},
                {"period": period},
                status=409,
            )
        return analytics.period_for(period_kind, offset, now=now)
    except AnalyticsError as exc:
        raise _as_growth_error(exc) from exc


def _existing(board: str, period_kind: str, label: str) -> LeaderboardClose | None:
    return LeaderboardClose.objects.filter(board=board, period_kind=period_kind, period=label).first()


def _winners(
    prizes: list[LeaderboardPrize], rows: list[analytics.RankedRow]
) -> list[tuple[analytics.RankedRow, LeaderboardPrize]]:
    """Each ranked row with the prize whose range holds its rank (the first by starting rank should
    two enabled prizes ever overlap)."""
    won = []
    for row in rows:
        prize = next((p for p in prizes if p.rank_from <= row.rank <= p.rank_to), None)
        if prize is not None:
            won.append((row, prize))
    return won


def _notice(user_id: int, board: str, kind: str, label: str, award: LeaderboardAward, now: datetime) -> Notification:
    names = {Board.SALES: gettext("销售榜"), Board.INVITES: gettext("邀请榜")}
    title = gettext("恭喜上榜获奖：第 %(rank)d 名") % {"rank": award.rank}
    body = gettext("%(period)s %(kind)s%(board)s第 %(rank)d 名，获得%(prize)s。") % {
        "period": label,
        "kind": Kind(kind).label,
        "board": names[board],
        "rank": award.rank,
        "prize": describe_prize(award),
    }
    if award.reward == CASH:
        body += gettext("奖金经财务审核后计入可提现余额。")
    url = f"/dc/leaderboard/?board={board}&period={_LAST_PERIOD_KEY[kind]}#my-awards"
    return Notification(user_id=user_id, kind=NOTICE_KIND, title=title[:80], body=body[:500], url=url, created_at=now)


def close_period(board: str, period_kind: str, period: str | None = None, *, actor=None, now: datetime | None = None) -> Closing:
    """Close an ended period of a board (default: the most recent one) and award its prizes. Closing
    a period again returns the close already recorded and awards nothing. Cash awards are proposed
    for finance's approval and paid when approved (`pay_approved_prizes`)."""
    now = now or timezone.now()
    _check_board(board, period_kind)
    span = _resolve(period_kind, period, now)
    existing = _existing(board, period_kind, span.label)
    if existing is not None:
        return Closing(close=existing, created=False)
    prizes = list(
        LeaderboardPrize.objects.filter(board=board, period_kind=period_kind, is_enabled=True).order_by("rank_from", "pk")
    )
    rows: list[analytics.RankedRow] = []
    if prizes:
        _span, rows = analytics.ranked(board, period_kind, span, limit=max(p.rank_to for p in prizes), now=now)
    won = _winners(prizes, rows)
    people = dict(Distributor.objects.filter(pk__in=[row.distributor_id for row, _p in won]).values_list("pk", "user_id"))
    actor = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            # The close row goes in first: a concurrent close of the same period waits on it here and
            # then fails on the unique constraint, before touching the awards or the ledger.
            close = LeaderboardClose.objects.create(
                board=board,
                period_kind=period_kind,
                period=span.label,
                actor=actor,
                closed_at=now,
            )
            awards = LeaderboardAward.objects.bulk_create(
                [
                    LeaderboardAward(
                        close=close,
                        prize=prize,
                        distributor_id=row.distributor_id,
                        rank=row.rank,
                        value=row.value,
                        reward=prize.reward,
                        cash_fen=prize.cash_fen if prize.reward == CASH else 0,
                        gift_name=prize.gift_name if prize.reward == GIFT else "",
                        points=prize.points if prize.reward == POINTS else 0,
                        created_at=now,
                    )
                    for row, prize in won
                ]
            )
            cash = [(a.distributor_id, a.cash_fen) for a in awards if a.cash_fen > 0]
            close.winners = len(awards)
            close.cash_fen = sum(amount for _d, amount in cash)
            close.save(update_fields=["winners", "cash_fen"])
            if cash:
                # Cash is paid when finance approves it (maker–checker), not by the close itself.
                _propose_cash(close, people=[people.get(d) for d, _amount in cash], actor=actor)
            for award in awards:
                # Points are credited to the winner's points at once (not money: no approval, no ledger).
                if award.points > 0 and award.distributor_id in people:
                    member_points.grant(
                        people[award.distributor_id],
                        award.points,
                        PointsSource.LEADERBOARD,
                        f"leaderboard:{close.pk}:{award.distributor_id}",
                        actor,
                        note=gettext("%(period)s 排行榜第 %(rank)d 名奖励") % {"period": span.label, "rank": award.rank},
                        at=now,
                    )
            Notification.objects.bulk_create(
                [
                    _notice(people[a.distributor_id], board, period_kind, span.label, a, now)
                    for a in awards
                    if a.distributor_id in people
                ]
            )
    except IntegrityError:
        # A concurrent close of the same period committed first: that one is the close.
        existing = _existing(board, period_kind, span.label)
        if existing is not None:
            return Closing(close=existing, created=False)
        raise
    return Closing(close=close, created=True, awards=awards)


PRIZE_CASH_APPROVAL = "leaderboard_cash"


def _propose_cash(close: LeaderboardClose, *, people, actor=None):
    from fenxiao.approvals import services as approvals

    return approvals.propose(
        kind=PRIZE_CASH_APPROVAL,
        reference=ledger_key(close.board, close.period_kind, close.period),
        amount_fen=close.cash_fen,
        summary=gettext("%(period)s %(board)s现金奖金：%(n)d 人，合计 ¥%(amount)s")
        % {
            "period": close.period,
            "board": Board(close.board).label,
            "n": len(people),
            "amount": yuan(close.cash_fen),
        },
        proposer=actor,
        payload={"close_id": close.pk},
        beneficiaries=[p for p in people if p is not None],
    )


def pay_approved_prizes(request, actor) -> dict:
    """Approval handler: post a close's cash awards to the winners' available balances, once (the
    ledger key is the close's)."""
    from fenxiao.commissions.postings import credit_available

    close = LeaderboardClose.objects.select_for_update().get(pk=request.payload["close_id"])
    cash = list(close.awards.filter(cash_fen__gt=0).order_by("pk").values_list("distributor_id", "cash_fen"))
    total = sum(amount for _d, amount in cash)
    if total != request.amount_fen:
        raise GrowthError(GrowthCode.PRIZE_CHANGED, gettext("奖金与审批金额不一致"), {"cash_fen": total}, status=409)
    if close.ledger_transaction_id is None and cash:
        credits: dict[int, int] = {}
        for distributor_id, amount in cash:
            credits[distributor_id] = credits.get(distributor_id, 0) + amount
        key = ledger_key(close.board, close.period_kind, close.period)
        txn = credit_available(
            credits,
            kind=PRIZE_LEDGER_KIND,
            idempotency_key=key,
            memo=gettext("%(period)s 排行榜奖金（%(n)d 人）") % {"period": close.period, "n": len(cash)},
            reference=key,
            actor=actor,
        )
        close.ledger_transaction_id = txn.pk
        close.save(update_fields=["ledger_transaction_id"])
    return {"close_id": close.pk, "amount_fen": total, "ledger_transaction_id": close.ledger_transaction_id}


def note_rejected_prizes(request, actor) -> None:
    """Approval handler: finance refused a close's cash; the awards stay on record, unpaid."""
    logger.warning("leaderboard cash of close %s rejected by %s", request.payload.get("close_id"), getattr(actor, "pk", None))


def run_leaderboard_close(now: datetime | None = None, *, actor=None) -> list[Closing]:
    """For every board and period kind with an enabled prize, close the most recent ended period if
    it is not closed yet. Safe at any frequency: closed periods are skipped with one query."""
    now = now or timezone.now()
    done: list[Closing] = []
    pairs = sorted(set(LeaderboardPrize.objects.filter(is_enabled=True).values_list("board", "period_kind")))
    for board, period_kind in pairs:
        done.append(close_period(board, period_kind, actor=actor, now=now))
    return done
