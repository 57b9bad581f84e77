"""The commissions admin: the read-only commission list with finance's reconciliation page
(`commissions`, `finance`), the team bonus list with the plan simulator (`team_bonus`, `plan`), and
the settlement schedule and batches (`settlement`). Each module registers its own model admins."""

from .commissions import CommissionAdmin
from .finance import can_reconcile, reconciliation_view
from .plan import SimulatorForm, apply_draft, can_change_plan, preview_signature
from .settlement import CommissionSettingsAdmin, SettlementBatchAdmin
from .team_bonus import TeamBonusAdmin

__all__ = [
    "CommissionAdmin",
    "CommissionSettingsAdmin",
    "SettlementBatchAdmin",
    "SimulatorForm",
    "TeamBonusAdmin",
    "apply_draft",
    "can_change_plan",
    "can_reconcile",
    "preview_signature",
    "reconciliation_view",
]
