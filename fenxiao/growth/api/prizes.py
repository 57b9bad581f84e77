"""Leaderboard prizes: the operator's prizes and period closes; a distributor's own awards."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from .. import selectors, services
from ..errors import GrowthCode, GrowthError
from ..schemas import CloseIn, ClosePage, CloseRunOut, MyAwardOut, PrizeIn, PrizeOut
from .invitations import approved_distributor

router = Router(tags=["分销商成长 growth"], auth=member_auth)
operator_router = Router(tags=["运营：分销等级 operator"], auth=member_auth)


# --- leaderboard prizes -----------------------------------------------------------------------------

PRIZE_FIELDS = (
    "id",
    "board",
    "period_kind",
    "rank_from",
    "rank_to",
    "reward",
    "cash_fen",
    "gift_name",
    "points",
    "is_enabled",
    "updated_at",
)
REWARD_FIELDS = ("reward", "cash_fen", "gift_name", "points")


def _prize(prize) -> dict:
    return {f: getattr(prize, f) for f in PRIZE_FIELDS}


def _close(close) -> dict:
    awards = [
        {
            "id": a.pk,
            "prize_id": a.prize_id,
            "distributor_id": a.distributor_id,
            "distributor_code": a.distributor.code,
            "rank": a.rank,
            "value": a.value,
            **{f: getattr(a, f) for f in REWARD_FIELDS},
        }
        for a in close.awards.all()
    ]
    fields = ("id", "board", "period_kind", "period", "winners", "cash_fen", "ledger_transaction_id", "closed_at")
    return {**{f: getattr(close, f) for f in fields}, "awards": awards}


@operator_router.get("/leaderboard-prizes", response=list[PrizeOut], summary="排行榜奖品（按榜单、周期、名次）")
def list_prizes(request, board: str | None = None, period_kind: str | None = None):
    require_staff_perm(request, "growth.view_leaderboardprize")
    return [_prize(p) for p in selectors.prize_list(board, period_kind)]


@operator_router.post("/leaderboard-prizes", response={201: PrizeOut}, summary="新增排行榜奖品（同一榜单周期的启用名次不可重叠）")
def add_prize(request, payload: PrizeIn):
    require_staff_perm(request, "growth.add_leaderboardprize")
    prize = services.save_prize(**payload.dict(), actor=current_user(request))
    return Status(201, _prize(prize))


@operator_router.put("/leaderboard-prizes/{prize_id}", response=PrizeOut, summary="修改排行榜奖品")
def put_prize(request, prize_id: int, payload: PrizeIn):
    require_staff_perm(request, "growth.change_leaderboardprize")
    return _prize(services.save_prize(**payload.dict(), prize_id=prize_id, actor=current_user(request)))


@operator_router.delete("/leaderboard-prizes/{prize_id}", response=PrizeOut, summary="停用排行榜奖品（已发放的记录保留）")
def disable_prize(request, prize_id: int):
    require_staff_perm(request, "growth.change_leaderboardprize")
    return _prize(services.disable_prize(prize_id=prize_id, actor=current_user(request)))


@operator_router.post(
    "/leaderboard-closes", response={200: CloseRunOut, 201: CloseRunOut}, summary="结榜并发放奖品（同一周期只发放一次）"
)
def close_leaderboard(request, payload: CloseIn):
    require_staff_perm(request, "growth.add_leaderboardclose")
    closing = services.close_period(payload.board, payload.period_kind, payload.period, actor=current_user(request))
    close = selectors.closes().get(pk=closing.close.pk)
    return Status(201 if closing.created else 200, {**_close(close), "created": closing.created})


class ClosesFilter(Schema):
    board: str | None = None
    period_kind: str | None = None
    limit: int = 20
    offset: int = 0


@operator_router.get("/leaderboard-closes", response=ClosePage, summary="结榜记录与获奖名单")
def list_closes(request, filters: Query[ClosesFilter]):
    require_staff_perm(request, "growth.view_leaderboardclose")
    if not 1 <= filters.limit <= 100 or filters.offset < 0:
        raise GrowthError(GrowthCode.INVALID_FILTER, _("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset})
    qs = selectors.closes(filters.board, filters.period_kind)
    return {"count": qs.count(), "items": [_close(c) for c in qs[filters.offset : filters.offset + filters.limit]]}


@router.get("/leaderboard-awards", response=list[MyAwardOut], summary="我的排行榜获奖记录")
def my_leaderboard_awards(request):
    distributor = approved_distributor(request)
    return [
        {
            "id": a.pk,
            "board": a.close.board,
            "period_kind": a.close.period_kind,
            "period": a.close.period,
            "rank": a.rank,
            "value": a.value,
            "created_at": a.created_at,
            **{f: getattr(a, f) for f in REWARD_FIELDS},
        }
        for a in selectors.my_awards(distributor.pk)
    ]
