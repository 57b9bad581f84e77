"""The console's navigation by task: every admin model in one of seven groups (商品, 订单, 分销, 财务,
营销, 数据, 设置) instead of one section per app. A model is placed by its own entry in `MODELS`, else
by its app in `APPS`, else in 设置, so a model added later still shows up somewhere."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

GROUPS = [
    ("products", _("商品")),
    ("orders", _("订单")),
    ("distribution", _("分销")),
    ("finance", _("财务")),
    ("marketing", _("营销")),
    ("data", _("数据")),
    ("settings", _("设置")),
]
FALLBACK = "settings"

# Models placed apart from the rest of their app, in the order they are listed within a group.
MODELS = {
    "catalog.banner": "marketing",
    "catalog.commissionoverride": "distribution",
    "distribution.distributionsettings": "settings",
    "distribution.visit": "data",
    "commissions.commissionsettings": "settings",
    "withdrawals.withdrawalsettings": "settings",
    "growth.levelrule": "distribution",
    "growth.levelchange": "distribution",
    "accounts.user": "distribution",
    "addresses.address": "orders",
    "promotions.promotionsettings": "settings",
    "supply.supplierstatement": "finance",
    "supply.supplierpayoutbatch": "finance",
    "supply.samplequota": "distribution",
    "supply.samplerequest": "distribution",
}
APPS = {
    "catalog": "products",
    "inventory": "products",
    "suppliers": "products",
    "orders": "orders",
    "logistics": "orders",
    "payments": "orders",
    "distribution": "distribution",
    "commissions": "finance",
    "withdrawals": "finance",
    "ledger": "finance",
    "approvals": "finance",
    "supply": "products",
    "growth": "marketing",
    "promotions": "marketing",
    "members": "marketing",
    "analytics": "data",
    "console": "data",
    "jobs": "settings",
    "django_tasks_database": "settings",
}


def group_of(app_label: str, model_name: str) -> str:
    return MODELS.get(f"{app_label}.{model_name}") or APPS.get(app_label) or FALLBACK


def by_task(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The admin's app list (`AdminSite.get_app_list`) regrouped by task, in the shape the admin's
    templates expect: each group an "app" whose models keep their own links and permissions."""
    index = reverse("admin:index")
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _label in GROUPS}
    for app in apps:
        for model in app["models"]:
            key = group_of(app["app_label"], model["object_name"].lower())
            grouped[key].append({**model, "app_name": app["name"]})
    return [
        {
            "name": label,
            "app_label": f"task-{key}",
            "app_url": f"{index}#task-{key}",
            "has_module_perms": True,
            "models": sorted(grouped[key], key=lambda model: str(model["name"])),
        }
        for key, label in GROUPS
        if grouped[key]
    ]
