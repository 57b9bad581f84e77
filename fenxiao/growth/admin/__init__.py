"""The growth console, one module per topic. Importing this package registers each admin with the default
admin site."""

from .conversion import ApplyInvitationAdmin
from .invitations import InvitationRewardAdmin, InvitationRungAdmin
from .levels import LevelChangeAdmin, LevelRuleAdmin, NotificationAdmin
from .prizes import LeaderboardAwardAdmin, LeaderboardCloseAdmin, LeaderboardPrizeAdmin

__all__ = [
    "ApplyInvitationAdmin",
    "InvitationRewardAdmin",
    "InvitationRungAdmin",
    "LeaderboardAwardAdmin",
    "LeaderboardCloseAdmin",
    "LeaderboardPrizeAdmin",
    "LevelChangeAdmin",
    "LevelRuleAdmin",
    "NotificationAdmin",
]
