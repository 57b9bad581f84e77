"""Reads of the growth app, by topic: `figures` (every distributor's figures over a window), `levels`
(rules and a distributor's progress), `invitations` (invitees and the ladder), `prizes`, `conversion`
and `notifications`. This package re-exports their public functions."""

from .conversion import Conversion, Funnel, conversion, date_range, open_invitation, rate_bp
from .figures import APPROVED, KINDS, Figures, Window, current_window, everyone_figures_sql, figures_for
from .invitations import InvitationCounts, RungState, invitation_counts, invitation_ladder, invitees
from .levels import (
    ConditionProgress,
    Progress,
    RuleView,
    format_figure,
    level_changes,
    level_progress,
    load_rules,
    qualifies,
    rule_view,
    unread_notifications,
    upgrade_target,
)
from .notifications import NoticePage, notice_page, notices, own_notice, unread_count
from .prizes import BoardPrizes, Winner, board_prizes, closes, describe_prize, my_awards, prize_list, rank_range

__all__ = [
    "APPROVED",
    "BoardPrizes",
    "ConditionProgress",
    "Conversion",
    "Figures",
    "Funnel",
    "InvitationCounts",
    "KINDS",
    "NoticePage",
    "Progress",
    "RuleView",
    "RungState",
    "Window",
    "Winner",
    "board_prizes",
    "closes",
    "conversion",
    "current_window",
    "date_range",
    "describe_prize",
    "everyone_figures_sql",
    "figures_for",
    "format_figure",
    "invitation_counts",
    "invitation_ladder",
    "invitees",
    "level_changes",
    "level_progress",
    "load_rules",
    "my_awards",
    "notice_page",
    "notices",
    "open_invitation",
    "own_notice",
    "prize_list",
    "qualifies",
    "rank_range",
    "rate_bp",
    "rule_view",
    "unread_count",
    "unread_notifications",
    "upgrade_target",
]
