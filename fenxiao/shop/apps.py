from django.apps import AppConfig


class ShopConfig(AppConfig):
    """What a buyer sees: the purchase-info read and the public shop API (no models of its own)."""

    name = "fenxiao.shop"
    label = "shop"
