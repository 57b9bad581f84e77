"""Writes of the members app, one module per concern:

- `points`: earning (frozen), unfreezing, spending and returning, taking back on refunds, expiry, grants.
- `tiers`: spending recorded at completion and refund, tier moves, the operator's tiers.
"""

from .points import credit_frozen, expire_due, grant, return_spent, reverse_for_refund, spend, unfreeze
from .tiers import delete_tier, evaluate_tiers, record_completed_spend, record_refunded_spend, save_tier

__all__ = [
    "credit_frozen",
    "delete_tier",
    "evaluate_tiers",
    "expire_due",
    "grant",
    "record_completed_spend",
    "record_refunded_spend",
    "return_spent",
    "reverse_for_refund",
    "save_tier",
    "spend",
    "unfreeze",
]
