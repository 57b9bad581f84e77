"""Reads for a distributor's team and for the leaderboards, plus the operator's view of one distributor's
relation chain, by topic: `period` (local months and quarters), `team` (the team page and the lazy
tree), `chain` and `leaderboards`. Nothing here writes; this package re-exports the public reads."""

from .chain import Chain, ChainNode, chain, find_distributor, staff_children
from .leaderboards import BOARD_SIZE, BOARDS, SCOPES, BoardEntry, Leaderboard, RankedRow, leaderboard, ranked
from .period import OLDEST_OFFSET, PERIOD_KINDS, Period, period_for, period_offset
from .team import (
    KINDS,
    TEAM_PAGE_SIZE,
    TEAM_SORTS,
    TeamMember,
    TeamPage,
    TreeNode,
    display_name,
    team_counts,
    team_page,
    tree_children,
    viewer_for_user,
)

__all__ = [
    "BOARDS",
    "BOARD_SIZE",
    "KINDS",
    "OLDEST_OFFSET",
    "PERIOD_KINDS",
    "SCOPES",
    "TEAM_PAGE_SIZE",
    "TEAM_SORTS",
    "BoardEntry",
    "Chain",
    "ChainNode",
    "Leaderboard",
    "Period",
    "RankedRow",
    "TeamMember",
    "TeamPage",
    "TreeNode",
    "chain",
    "display_name",
    "find_distributor",
    "leaderboard",
    "period_for",
    "period_offset",
    "ranked",
    "staff_children",
    "team_counts",
    "team_page",
    "tree_children",
    "viewer_for_user",
]
