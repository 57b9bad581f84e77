"""The distribution console, one module per topic. Importing this package registers each admin with the
default admin site."""

from .distributors import BindingAdmin, BindingEventAdmin, DistributorAdmin, DistributorEventAdmin, VisitAdmin
from .plan import DistributionSettingsAdmin, LevelAdmin
from .shop import DistributorShopAdmin

__all__ = [
    "BindingAdmin",
    "BindingEventAdmin",
    "DistributionSettingsAdmin",
    "DistributorAdmin",
    "DistributorEventAdmin",
    "DistributorShopAdmin",
    "LevelAdmin",
    "VisitAdmin",
]
