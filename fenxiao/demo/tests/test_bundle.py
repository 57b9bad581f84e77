"""The demo's 场景套装: 新生儿礼盒 is made of three other demo SKUs, costs less than they do one by one,
holds no stock of its own (it sells while its parts are in stock) and is set once."""

import pytest

from fenxiao.catalog.bundles import bundle_views
from fenxiao.catalog.models import BundleComponent, Sku
from fenxiao.demo.seed import make_demo_catalog, make_demo_levels
from fenxiao.demo.seed.catalog import BUNDLES
from fenxiao.inventory.models import StockRecord
from fenxiao.shop.purchase import purchase_info

pytestmark = pytest.mark.django_db


def test_demo_gift_box_is_a_bundle_of_three_demo_skus(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_demo_levels()
    make_demo_catalog()
    box = Sku.objects.select_related("product").get(code="BA010-1")
    assert box.product.name == "新生儿礼盒"
    view = bundle_views([box])[box.pk]
    assert [(part.sku.code, part.quantity) for part in view.parts] == BUNDLES["BA010-1"]
    assert (view.price_fen, view.parts_fen, view.saving_fen) == (29900, 35200, 5300)
    assert not StockRecord.objects.filter(sku=box).exists()
    info = purchase_info([box])[box.pk]
    assert info.is_purchasable and info.available > 0  # from its parts' stock

    make_demo_catalog()  # a second run changes nothing
    assert BundleComponent.objects.filter(bundle=box).count() == 3
