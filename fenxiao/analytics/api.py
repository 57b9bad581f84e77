"""Team, leaderboards and the operator's relation chain. Read-only and thin: everything comes from
`selectors`. A distributor sees only its own two levels — asking for anyone else is 404
`not_in_team`; other people's names and phones are masked."""

from __future__ import annotations

from ninja import Query, Router

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from . import selectors
from .schemas import ChainOut, LeaderboardOut, LeaderboardQuery, TeamPageOut, TeamQuery, TreeOut

team_router = Router(tags=["团队 team"], auth=member_auth)
leaderboards_router = Router(tags=["排行榜 leaderboards"], auth=member_auth)
operator_router = Router(tags=["运营：数据分析 operator"], auth=member_auth)


def _viewer(request):
    return selectors.viewer_for_user(current_user(request))


@team_router.get("", response=TeamPageOut, summary="我的团队（直推 / 间推，本月业绩，脱敏）")
def team(request, q: Query[TeamQuery]):
    return selectors.team_page(_viewer(request), kind=q.kind, sort=q.sort, page=q.page, page_size=q.page_size)


@team_router.get("/{distributor_id}/children", response=TreeOut, summary="团队树：展开一位成员（只限两级以内）")
def children(request, distributor_id: int):
    viewer = _viewer(request)
    return {"parent_id": distributor_id, "items": selectors.tree_children(viewer, distributor_id)}


@leaderboards_router.get("", response=LeaderboardOut, summary="排行榜（月 / 季度，销售额 / 有效邀请，全网 / 我的团队）")
def leaderboard(request, q: Query[LeaderboardQuery]):
    return selectors.leaderboard(_viewer(request), board=q.board, period=q.period, offset=q.offset, scope=q.scope)


@operator_router.get("/chain/{distributor_id}", response=ChainOut, summary="关系链：上级路径、团队人数、直接下级")
def chain(request, distributor_id: int):
    require_staff_perm(request, "distribution.view_distributor")
    return selectors.chain(distributor_id)
