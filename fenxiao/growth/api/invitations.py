"""A distributor's invitation ladder and the claim of a reached rung; the operator adds rungs."""

from ninja import Router

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import require_distributor

from .. import selectors, services
from ..schemas import InvitationsOut, RungIn, RungSavedOut

router = Router(tags=["分销商成长 growth"], auth=member_auth)
operator_router = Router(tags=["运营：分销等级 operator"], auth=member_auth)


# --- invitation ladder ------------------------------------------------------------------------------


def approved_distributor(request) -> Distributor:
    return require_distributor(current_user(request))


def _invitations(distributor) -> dict:
    counts, ladder = selectors.invitation_ladder(distributor)
    return {
        "valid_invites": counts.valid,
        "heads": counts.heads,
        "rungs": [
            {
                "id": s.rung.pk,
                "invites": s.rung.invites,
                "basis": s.rung.basis,
                "reward": s.rung.reward,
                "cash_fen": s.rung.cash_fen,
                "gift_name": s.rung.gift_name,
                "points": s.rung.points,
                "counted": s.count,
                "reached": s.reached,
                "claimable": s.claimable,
                "awaiting_approval": s.awaiting_approval,
                "claimed_at": s.claimed.created_at if s.claimed else None,
            }
            for s in ladder
        ],
    }


@router.get("/invitations", response=InvitationsOut, summary="我的邀请：有效邀请人数与阶梯奖励")
def my_invitations(request):
    return _invitations(approved_distributor(request))


@router.post("/invitations/{rung_id}/claim", response=InvitationsOut, summary="领取已达成的阶梯奖励（每档只发一次）")
def claim(request, rung_id: int):
    distributor = approved_distributor(request)
    services.claim_invitation_reward(distributor=distributor, rung_id=rung_id)
    return _invitations(distributor)


@operator_router.post("/invitation-rungs", response=RungSavedOut, summary="新增邀请阶梯奖励（按人头计数的阶梯会返回警告）")
def add_rung(request, payload: RungIn):
    require_staff_perm(request, "growth.add_invitationrung")
    rung, warning = services.save_rung(**payload.dict(), actor=current_user(request))
    return {
        **{f: getattr(rung, f) for f in ("id", "invites", "basis", "reward", "cash_fen", "gift_name", "points", "is_enabled")},
        "warning": warning,
    }
