from .activities import make_demo_activities
from .catalog import make_demo_catalog, make_demo_levels, product_picture
from .growth import CONVERSION_APPROVE, make_demo_conversion, make_demo_growth, make_demo_prizes
from .orders import make_demo_orders, make_demo_shopping
from .people import (
    DEMO_CONSUMER_PHONE,
    DEMO_DISTRIBUTOR_PHONE,
    DEMO_SUPPLIER_PHONE,
    make_demo_applications,
    make_demo_consumers,
    make_demo_distributors,
    make_demo_staff,
    make_demo_supplier,
)
from .promotions import CAMPAIGN_NAME, make_demo_promotions
from .withdrawals import demo_id_number, make_demo_withdrawals

__all__ = [
    "CAMPAIGN_NAME",
    "CONVERSION_APPROVE",
    "DEMO_CONSUMER_PHONE",
    "DEMO_DISTRIBUTOR_PHONE",
    "DEMO_SUPPLIER_PHONE",
    "demo_id_number",
    "make_demo_activities",
    "make_demo_applications",
    "make_demo_catalog",
    "make_demo_consumers",
    "make_demo_conversion",
    "make_demo_distributors",
    "make_demo_growth",
    "make_demo_levels",
    "make_demo_orders",
    "make_demo_prizes",
    "make_demo_promotions",
    "make_demo_shopping",
    "make_demo_staff",
    "make_demo_supplier",
    "make_demo_withdrawals",
    "product_picture",
]
