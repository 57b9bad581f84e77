"""The commissions API: the operator endpoints (`operator`) and a distributor's own earnings
(`earnings`), mounted in config/api.py."""

from .earnings import router as earnings_router
from .operator import operator_router

__all__ = ["earnings_router", "operator_router"]
