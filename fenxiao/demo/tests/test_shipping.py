"""The demo's default shipping template: ¥10 + ¥5 a further piece, ¥20 + ¥10 to 新疆 and 西藏, free from
¥99 everywhere else; given to every demo product, once."""

import pytest

from fenxiao.catalog.models import Product, ShippingTemplate
from fenxiao.catalog.shipping import ShippingItem, quote_shipping
from fenxiao.demo.seed import make_demo_catalog, make_demo_levels
from fenxiao.demo.seed.catalog import DEMO_SHIPPING_TEMPLATE, PRODUCTS

pytestmark = pytest.mark.django_db


def test_demo_products_ship_by_the_default_template():
    make_demo_levels()
    make_demo_catalog()
    template = ShippingTemplate.objects.get(name=DEMO_SHIPPING_TEMPLATE)
    assert template.is_default
    assert Product.objects.filter(shipping_template=template).count() == len(PRODUCTS)
    nuts = Product.objects.get(name="每日坚果")  # ¥50

    def fee(quantity, province):
        line = ShippingItem(product_id=nuts.pk, quantity=quantity, weight_g=0, amount_fen=5000 * quantity)
        return quote_shipping([line], province=province).fee_fen

    assert fee(1, "浙江省") == 1000
    assert fee(1, None) == 1000
    assert fee(2, "浙江省") == 0  # ¥100: free from ¥99
    assert fee(1, "新疆维吾尔自治区") == 2000
    assert fee(2, "西藏自治区") == 3000  # never free there

    make_demo_catalog()  # a second run adds nothing
    assert ShippingTemplate.objects.count() == 1 and template.rates.count() == 2
