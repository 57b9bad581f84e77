"""Demo growth: the upgrade rules of the domain's seed table (高级分销商 needs at least 10 direct
(approved) invites and ¥5,000 of personal sales in the month; 合伙人 a team of at least 50 and
¥100,000 of team sales in the month), the invitation ladder, consumers becoming distributors and the
leaderboard prizes. Levels that already have a rule keep it, so a second run changes nothing an
operator may have edited."""

from __future__ import annotations

from django.db import transaction

from fenxiao.accounts.models import User
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Distributor, Level
from fenxiao.growth import services
from fenxiao.growth.models import ApplyInvitation, InvitationRung, LeaderboardPrize, LevelCondition, LevelRule
from fenxiao.orders.models import Order

from .people import DEMO_CONSUMER_PHONE

K = LevelCondition.Kind

SEED_RULES = [
    ("高级分销商", LevelRule.Combine.ALL, [(K.DIRECT_INVITES, 10), (K.PERSONAL_SALES_MONTH, 500_000)]),
    ("合伙人", LevelRule.Combine.ALL, [(K.TEAM_SIZE, 50), (K.TEAM_SALES_MONTH, 10_000_000)]),
]


def make_demo_growth() -> int:
    """Create the seed rules that are missing; returns how many were created."""
    made = 0
    for name, combine, conditions in SEED_RULES:
        level = Level.objects.filter(name=name).first()
        if level is None or LevelRule.objects.filter(level=level).exists():
            continue
        services.save_rule(level_id=level.pk, combine=combine, protection_days=30, conditions=conditions)
        made += 1
    # The invitation ladder of DOMAIN's seed: 10 valid invitations → a gift, 50 → cash.
    for invites, reward, values in ((10, "gift", {"gift_name": "品牌定制礼盒"}), (50, "cash", {"cash_fen": 50000})):
        if not InvitationRung.objects.filter(invites=invites).exists():
            services.save_rung(invites=invites, basis="valid", reward=reward, **values)
            made += 1
    made += make_demo_conversion()
    make_demo_prizes()  # counted on its own: the prizes and last month's closes
    return made


# --- consumers becoming distributors ---------------------------------------------------------------

CONVERSION_APPLY = 6  # invited consumers who apply
CONVERSION_APPROVE = 3  # of them, approved by the operator


@transaction.atomic
def make_demo_conversion() -> int:
    """Invite every consumer with a completed order to become a distributor (orders completed before
    invitations existed get theirs now), then let a few apply and the operator approve some, all
    through the services. Safe to run again: invitations are once per user, and a consumer that
    already applied is not made to apply again. Returns how many rows were made."""
    made = 0
    completed = Order.objects.filter(
        status=Order.Status.COMPLETED, user__distributor__isnull=True, user__apply_invitation__isnull=True
    ).order_by("completed_at", "pk")
    for order in list(completed):
        made += services.invite_after_order(order) is not None
    operator = User.objects.filter(is_superuser=True).order_by("pk").first()
    invited = ApplyInvitation.objects.exclude(user__phone=DEMO_CONSUMER_PHONE).select_related("user").order_by("pk")
    for index, invitation in enumerate(invited[:CONVERSION_APPLY]):
        own = Distributor.objects.filter(user=invitation.user).first()
        if own is None:
            own = distribution.apply_for_distributor(
                user=invitation.user, real_name=invitation.user.nickname[:32], note="买过几次，想把好物分享给朋友"
            )
            made += 1
        if index < CONVERSION_APPROVE and own.status == Distributor.Status.PENDING:
            distribution.approve_distributor(distributor_id=own.pk, actor=operator, reason="演示：审核通过")
            made += 1
    return made


# --- leaderboard prizes ------------------------------------------------------------------------------

# (board, period kind, rank from, rank to, reward, values)
SEED_PRIZES = [
    ("sales", "month", 1, 1, "cash", {"cash_fen": 50000}),
    ("sales", "month", 2, 3, "cash", {"cash_fen": 20000}),
    ("sales", "month", 4, 10, "gift", {"gift_name": "品牌定制礼盒"}),
    ("invites", "month", 1, 3, "points", {"points": 1000}),
]


def make_demo_prizes() -> int:
    """Monthly prizes for the sales and invites boards (a board and period kind that already has a
    prize keeps the operator's own), then last month closed on both boards, as the worker would.
    Closing is once per period, so a second run awards nothing. Returns how many rows were made."""
    made = 0
    configured = set(LeaderboardPrize.objects.values_list("board", "period_kind"))
    for board, kind, rank_from, rank_to, reward, values in SEED_PRIZES:
        if (board, kind) in configured:
            continue
        services.save_prize(board=board, period_kind=kind, rank_from=rank_from, rank_to=rank_to, reward=reward, **values)
        made += 1
    for board in ("sales", "invites"):
        closing = services.close_period(board, "month")
        if closing.created:
            made += 1 + closing.close.winners
    return made
