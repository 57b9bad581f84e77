"""Demo upgrade rules for seed_demo, from the domain's seed table: 高级分销商 needs at least 10 direct
(approved) invites and ¥5,000 of personal sales in the month; 合伙人 a team of at least 50 and
¥100,000 of team sales in the month. Levels that already have a rule keep it, so a second run changes
nothing an operator may have edited."""

from __future__ import annotations

from fenxiao.distribution.models import Level
from fenxiao.growth import services
from fenxiao.growth.models import InvitationRung, LevelCondition, LevelRule

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
    return made
