"""The distribution endpoints: a member's distributor profile, the shop front and the operator's side;
`config/api.py` mounts these routers."""

from .distributors import router
from .operator import operator_router
from .shop import router as shop_router

__all__ = ["operator_router", "router", "shop_router"]
