"""The growth endpoints, one module per topic; `config/api.py` mounts these routers."""

from .conversion import operator_router as conversion_operator_router
from .invitations import operator_router as invitations_operator_router
from .invitations import router as invitations_router
from .levels import operator_router as levels_operator_router
from .levels import router as levels_router
from .notifications import router as notifications_router
from .prizes import operator_router as prizes_operator_router
from .prizes import router as prizes_router

__all__ = [
    "conversion_operator_router",
    "invitations_operator_router",
    "invitations_router",
    "levels_operator_router",
    "levels_router",
    "notifications_router",
    "prizes_operator_router",
    "prizes_router",
]
