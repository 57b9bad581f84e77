"""The only code that writes growth data. Each topic has its module: `levels` (rules, instant upgrades,
hand changes), `evaluation` (the monthly run), `invitations` (the ladder and its rewards), `prizes`
(leaderboard prizes and the close of a period), `conversion` (the buyer-to-distributor funnel) and
`notifications` (in-app notices). This package re-exports their public functions."""

from .conversion import invite_after_order, mark_applied, mark_approved
from .evaluation import EvaluationRun, month_period, previous_month, run_monthly_evaluation
from .invitations import (
    REWARD_EXPENSE_ACCOUNT,
    REWARD_LEDGER_KIND,
    RUNG_CASH_APPROVAL,
    approve_rung_cash,
    claim_invitation_reward,
    heads_only_warning,
    propose_rung_cash,
    save_rung,
    validate_rung,
)
from .levels import change_level, evaluate_instant, evaluate_instant_many, save_rule, validate_rule
from .notifications import mark_all_read, mark_read, notify_shop_moderated
from .prizes import (
    PRIZE_CASH_APPROVAL,
    PRIZE_EXPENSE_ACCOUNT,
    PRIZE_LEDGER_KIND,
    Closing,
    close_period,
    disable_prize,
    last_closed_period,
    ledger_key,
    note_rejected_prizes,
    pay_approved_prizes,
    run_leaderboard_close,
    save_prize,
    validate_prize,
)

__all__ = [
    "Closing",
    "EvaluationRun",
    "PRIZE_CASH_APPROVAL",
    "PRIZE_EXPENSE_ACCOUNT",
    "PRIZE_LEDGER_KIND",
    "REWARD_EXPENSE_ACCOUNT",
    "REWARD_LEDGER_KIND",
    "RUNG_CASH_APPROVAL",
    "approve_rung_cash",
    "change_level",
    "claim_invitation_reward",
    "close_period",
    "disable_prize",
    "evaluate_instant",
    "evaluate_instant_many",
    "heads_only_warning",
    "invite_after_order",
    "last_closed_period",
    "ledger_key",
    "mark_all_read",
    "mark_applied",
    "mark_approved",
    "mark_read",
    "month_period",
    "note_rejected_prizes",
    "notify_shop_moderated",
    "pay_approved_prizes",
    "previous_month",
    "propose_rung_cash",
    "run_leaderboard_close",
    "run_monthly_evaluation",
    "save_prize",
    "save_rule",
    "save_rung",
    "validate_prize",
    "validate_rule",
    "validate_rung",
]
