"""The invitation ladder: rungs, the approval of their cash rewards and the claim of a reached rung."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.money import yuan
from fenxiao.distribution.models import Distributor
from fenxiao.members.models import PointsSource
from fenxiao.members.services import points as member_points

from ..errors import GrowthCode, GrowthError
from ..models import InvitationReward, InvitationRung, Notification
from ..selectors import APPROVED, invitation_counts

# --- invitation ladder ------------------------------------------------------------------------------

REWARD_EXPENSE_ACCOUNT = "platform:invitation_reward_expense"
REWARD_LEDGER_KIND = "invitation_reward"


def heads_only_warning(rung) -> str:
    """What the console says about a rung that rewards heads without sales; empty when it does not."""
    if not rung.is_enabled or not rung.heads_only:
        return ""
    return gettext(
        "阶梯“%(invites)s 人”按人头计数：受邀人不必购买就能拿到奖励。只为拉人头发放的奖励有传销风险，"
        "建议改为“有效邀请（受邀人已完成首单）”。"
    ) % {"invites": rung.invites}


def validate_rung(*, invites, basis, reward, cash_fen=0, gift_name="", points=0) -> None:
    if isinstance(invites, bool) or not isinstance(invites, int) or not 1 <= invites <= 100_000:
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("邀请人数必须是 1 到 100000 的整数"), {"invites": invites})
    if basis not in InvitationRung.Basis.values:
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("计数口径无效"), {"basis": basis})
    if reward not in InvitationRung.Reward.values:
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("奖励类型只能是礼品、现金或积分"), {"reward": reward})
    if reward == InvitationRung.Reward.CASH and (
        not isinstance(cash_fen, int) or isinstance(cash_fen, bool) or not 1 <= cash_fen <= 10**9
    ):
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("现金奖励须大于 0"), {"cash_fen": cash_fen})
    if reward == InvitationRung.Reward.GIFT and not (gift_name or "").strip():
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("请填写礼品名称"))
    if reward == InvitationRung.Reward.POINTS and (not isinstance(points, int) or isinstance(points, bool) or points <= 0):
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("积分奖励须大于 0"), {"points": points})


@transaction.atomic
def save_rung(
    *,
    invites: int,
    basis: str,
    reward: str,
    cash_fen: int = 0,
    gift_name: str = "",
    points: int = 0,
    is_enabled: bool = True,
    rung_id: int | None = None,
    actor=None,
):
    """Create or change a rung. Returns (rung, warning); the warning is not empty for a heads-only rung.
    A cash amount not yet approved by finance is proposed for approval and cannot be claimed until then."""
    validate_rung(invites=invites, basis=basis, reward=reward, cash_fen=cash_fen, gift_name=gift_name, points=points)
    rung = InvitationRung.objects.select_for_update().filter(pk=rung_id).first() if rung_id else InvitationRung()
    if rung is None:
        raise GrowthError(GrowthCode.RUNG_NOT_FOUND, gettext("阶梯不存在"), status=404)
    if InvitationRung.objects.filter(invites=invites).exclude(pk=rung.pk).exists():
        raise GrowthError(GrowthCode.INVALID_RUNG, gettext("已有相同人数的阶梯"), {"invites": invites}, status=409)
    rung.invites, rung.basis, rung.reward, rung.is_enabled = invites, basis, reward, is_enabled
    rung.cash_fen = cash_fen if reward == InvitationRung.Reward.CASH else 0
    rung.gift_name = (gift_name or "").strip()[:60] if reward == InvitationRung.Reward.GIFT else ""
    rung.points = points if reward == InvitationRung.Reward.POINTS else 0
    if reward != InvitationRung.Reward.CASH:
        rung.cash_approved_fen = 0  # a later cash amount is approved afresh
    rung.save()
    if rung.cash_awaiting_approval:
        propose_rung_cash(rung, actor=actor)
    return rung, heads_only_warning(rung)


RUNG_CASH_APPROVAL = "invitation_rung_cash"


def propose_rung_cash(rung, *, actor=None):
    """Ask finance to approve a rung's cash amount (paid to every distributor who reaches it)."""
    from fenxiao.approvals import services as approvals

    return approvals.propose(
        kind=RUNG_CASH_APPROVAL,
        reference=f"invitation_rung:{rung.pk}:{rung.cash_fen}",
        amount_fen=rung.cash_fen,
        summary=gettext("邀请满 %(n)s 人的现金奖励：每人 ¥%(amount)s") % {"n": rung.invites, "amount": yuan(rung.cash_fen)},
        proposer=actor,
        payload={"rung_id": rung.pk, "cash_fen": rung.cash_fen},
    )


def approve_rung_cash(request, actor) -> dict:
    """Approval handler: the rung's cash may be claimed, if the amount is still the one approved."""
    rung = InvitationRung.objects.select_for_update().filter(pk=request.payload["rung_id"]).first()
    if rung is None or rung.reward != InvitationRung.Reward.CASH or rung.cash_fen != request.payload["cash_fen"]:
        raise GrowthError(GrowthCode.RUNG_CHANGED, gettext("该阶梯的现金奖励已修改，请驳回此审批"), status=409)
    rung.cash_approved_fen = rung.cash_fen
    rung.save(update_fields=["cash_approved_fen"])
    return {"rung_id": rung.pk, "cash_approved_fen": rung.cash_approved_fen}


def claim_invitation_reward(*, distributor: Distributor, rung_id: int, now: datetime | None = None):
    """Claim a reached rung. Each rung is paid once per distributor: claiming again returns the
    reward already given and posts nothing."""
    from fenxiao.commissions.postings import credit_available

    existing = InvitationReward.objects.filter(distributor_id=distributor.pk, rung_id=rung_id).first()
    if existing is not None:
        return existing
    rung = InvitationRung.objects.filter(pk=rung_id, is_enabled=True).first()
    if rung is None:
        raise GrowthError(GrowthCode.RUNG_NOT_FOUND, gettext("奖励阶梯不存在或已停用"), {"rung_id": rung_id}, status=404)
    if distributor.status != APPROVED:
        raise GrowthError(GrowthCode.NOT_DISTRIBUTOR, gettext("只有已审核的分销商可以领取邀请奖励"), status=403)
    if rung.cash_awaiting_approval:
        raise GrowthError(
            GrowthCode.REWARD_AWAITING_APPROVAL,
            gettext("该现金奖励正在等待财务审核，审核通过后即可领取"),
            {"rung_id": rung.pk},
            status=409,
        )
    count = invitation_counts(distributor).for_basis(rung.basis)
    if count < rung.invites:
        raise GrowthError(
            GrowthCode.RUNG_NOT_REACHED,
            gettext("还差 %(left)s 位有效邀请才能领取") % {"left": rung.invites - count},
            {"invites": count, "needed": rung.invites},
            status=409,
        )
    try:
        with transaction.atomic():
            reward = InvitationReward.objects.create(
                distributor=distributor,
                rung=rung,
                invites_counted=count,
                reward=rung.reward,
                cash_fen=rung.cash_fen,
                gift_name=rung.gift_name,
                points=rung.points,
                created_at=now or timezone.now(),
            )
            if rung.reward == InvitationRung.Reward.CASH and rung.cash_fen > 0:
                txn = credit_available(
                    {distributor.pk: rung.cash_fen},
                    kind=REWARD_LEDGER_KIND,
                    idempotency_key=f"invitation_reward:{distributor.pk}:{rung.pk}",
                    memo=gettext("邀请 %(n)s 人阶梯奖励") % {"n": rung.invites},
                    reference=distributor.code,
                )
                reward.ledger_transaction_id = txn.pk
                reward.save(update_fields=["ledger_transaction_id"])
            if rung.reward == InvitationRung.Reward.POINTS and rung.points > 0:
                member_points.grant(
                    distributor.user_id,
                    rung.points,
                    PointsSource.INVITATION,
                    f"invitation_reward:{distributor.pk}:{rung.pk}",
                    note=gettext("邀请 %(n)s 人阶梯奖励") % {"n": rung.invites},
                    at=reward.created_at,
                )
            Notification.objects.create(
                user_id=distributor.user_id,
                kind="invitation_reward",
                title=gettext("邀请奖励已领取"),
                body=gettext("邀请满 %(n)s 人：%(reward)s") % {"n": rung.invites, "reward": rung.get_reward_display()},
            )
            return reward
    except IntegrityError:
        # A concurrent claim of the same rung committed first: that one is the reward.
        existing = InvitationReward.objects.filter(distributor_id=distributor.pk, rung_id=rung_id).first()
        if existing is not None:
            return existing
        raise
