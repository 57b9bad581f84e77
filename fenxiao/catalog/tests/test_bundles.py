"""场景套装: making a SKU a bundle, what the shop reads of it (free units, whether it may be bought,
the saving against its parts), in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fenxiao.catalog.bundles import bundle_saving_fen, bundle_views, prefetch_parts, set_bundle_components
from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import BundleComponent, Sku
from fenxiao.inventory.models import StockBatch, StockRecord
from fenxiao.shop.purchase import Unpurchasable, purchasable_skus, purchase_info, purchase_info_for_ids
from tests.factories import ProductFactory, SkuFactory, StaffFactory

pytestmark = pytest.mark.django_db


def make_bundle(parts, *, retail_fen=20000):
    """A bundle SKU of `parts` ((SKU, quantity) pairs) at `retail_fen`; it holds no stock of its own."""
    bundle = SkuFactory(
        product=ProductFactory(name="护肤套装"),
        spec="礼盒",
        retail_fen=retail_fen,
        suggested_retail_fen=retail_fen,
        control_fen=retail_fen,
        cost_fen=0,
        stock=0,
    )
    set_bundle_components(sku=bundle, components=[(sku.pk, quantity) for sku, quantity in parts], actor=StaffFactory())
    return bundle


@pytest.fixture
def serum():
    return SkuFactory(retail_fen=15000, cost_fen=5000, stock=10)


@pytest.fixture
def cleanser():
    return SkuFactory(retail_fen=5900, suggested_retail_fen=5900, control_fen=4900, cost_fen=1800, stock=7)


def test_set_bundle_components_replaces_the_rows_in_order(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 2)])
    assert list(BundleComponent.objects.filter(bundle=bundle).values_list("component_id", "quantity", "position")) == [
        (serum.pk, 1, 0),
        (cleanser.pk, 2, 1),
    ]
    set_bundle_components(sku=bundle, components=[(cleanser.pk, 3)], actor=None)
    assert list(BundleComponent.objects.filter(bundle=bundle).values_list("component_id", "quantity")) == [(cleanser.pk, 3)]


@pytest.mark.parametrize(
    "case",
    ["one_unit", "itself", "zero", "hundred", "duplicate", "inactive", "off_shelf", "nested", "bundle_as_component_elsewhere"],
)
def test_set_bundle_components_validation(serum, cleanser, case):
    bundle = SkuFactory(stock=0)
    components = {
        "one_unit": [(serum.pk, 1)],
        "itself": [(bundle.pk, 1), (serum.pk, 1)],
        "zero": [(serum.pk, 0), (cleanser.pk, 2)],
        "hundred": [(serum.pk, 100), (cleanser.pk, 1)],
        "duplicate": [(serum.pk, 1), (serum.pk, 1)],
    }.get(case, [(serum.pk, 1), (cleanser.pk, 1)])
    if case == "inactive":
        Sku.objects.filter(pk=cleanser.pk).update(is_active=False)
    if case == "off_shelf":
        cleanser.product.is_on_shelf = False
        cleanser.product.save(update_fields=["is_on_shelf"])
    if case == "nested":
        inner = make_bundle([(serum, 1), (cleanser, 1)])
        components = [(inner.pk, 1), (serum.pk, 1)]
    if case == "bundle_as_component_elsewhere":
        make_bundle([(bundle, 1), (serum, 1)])
    with pytest.raises(CatalogError) as exc:
        set_bundle_components(sku=bundle, components=components, actor=None)
    assert exc.value.code == "invalid_bundle", exc.value.message
    assert not BundleComponent.objects.filter(bundle=bundle).exists()


def test_an_unknown_component_is_not_found(serum):
    bundle = SkuFactory(stock=0)
    with pytest.raises(CatalogError) as exc:
        set_bundle_components(sku=bundle, components=[(serum.pk, 1), (987654, 1)], actor=None)
    assert exc.value.code == "sku_not_found" and exc.value.detail == {"sku_ids": [987654]}


def test_free_units_of_a_bundle_are_the_fewest_whole_sets_of_its_components(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 2)])  # serum 10 → 10 sets; cleanser 7 → 3 sets
    info = purchase_info_for_ids([bundle.pk, serum.pk])
    assert info[bundle.pk].available == 3 and info[bundle.pk].is_purchasable
    assert info[serum.pk].available == 10
    StockRecord.objects.filter(sku=cleanser).update(reserved=6)  # 1 free → no whole set
    assert purchase_info_for_ids([bundle.pk])[bundle.pk].sold_out


def test_a_component_without_stock_record_makes_the_bundle_sold_out(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 1)])
    StockBatch.objects.filter(stock_record__sku=cleanser).delete()  # its batches go with it
    StockRecord.objects.filter(sku=cleanser).delete()
    info = purchase_info_for_ids([bundle.pk])[bundle.pk]
    assert info.available == 0 and info.sold_out


@pytest.mark.parametrize("how", ["inactive", "off_shelf", "category_inactive"])
def test_a_bundle_cannot_be_bought_when_a_component_cannot(serum, cleanser, how):
    bundle = make_bundle([(serum, 1), (cleanser, 1)])
    if how == "inactive":
        Sku.objects.filter(pk=cleanser.pk).update(is_active=False)
    elif how == "category_inactive":
        category = cleanser.product.category
        category.is_active = False
        category.save(update_fields=["is_active"])
    else:
        cleanser.product.is_on_shelf = False
        cleanser.product.save(update_fields=["is_on_shelf"])
    info = purchase_info_for_ids([bundle.pk])[bundle.pk]
    assert info.reason == Unpurchasable.SKU_INACTIVE and not info.is_purchasable
    assert purchasable_skus([bundle.pk, serum.pk]).keys() == {serum.pk}  # the order path agrees


def test_the_order_path_marks_bundles(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 1)])
    skus = purchasable_skus([bundle.pk, serum.pk])
    assert skus[bundle.pk].is_bundle and not skus[serum.pk].is_bundle


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


def test_the_sellable_read_costs_the_same_queries_for_bundles(serum, cleanser):
    plain = [SkuFactory() for _ in range(3)]
    bundles = [make_bundle([(serum, 1), (cleanser, n)]) for n in (1, 2, 3)]
    ids = [s.pk for s in plain + bundles]
    loaded = list(Sku.objects.select_related("product__category").filter(pk__in=ids))
    infos, on_loaded = _queries(lambda: purchase_info(loaded))
    assert on_loaded == 1  # stock of the plain SKUs and of every bundle's components, in one query
    assert [infos[b.pk].available for b in bundles] == [7, 3, 2]
    assert [infos[p.pk].available for p in plain] == [100, 100, 100]
    _, by_ids = _queries(lambda: purchase_info_for_ids(ids))
    assert by_ids == 2
    _, order_path = _queries(lambda: purchasable_skus(ids))
    assert order_path == 1


def test_with_the_parts_prefetched_the_sellable_read_reads_stock_alone(serum, cleanser):
    plain = SkuFactory()
    bundles = [make_bundle([(serum, 1), (cleanser, n)]) for n in (1, 3)]
    ids = [plain.pk] + [b.pk for b in bundles]
    joined = purchase_info(list(Sku.objects.select_related("product__category").filter(pk__in=ids)))
    loaded = list(Sku.objects.select_related("product__category").filter(pk__in=ids))
    _, prefetch_count = _queries(lambda: prefetch_parts(loaded))
    assert prefetch_count == 1
    with CaptureQueriesContext(connection) as ctx:
        infos = purchase_info(loaded)
    assert len(ctx.captured_queries) == 1 and '"catalog_' not in ctx.captured_queries[0]["sql"]
    assert infos == joined
    assert [infos[b.pk].available for b in bundles] == [7, 2]
    Sku.objects.filter(pk=cleanser.pk).update(is_active=False)
    again = list(Sku.objects.select_related("product__category").filter(pk__in=ids))
    prefetch_parts(again)
    assert purchase_info(again)[bundles[0].pk].reason == Unpurchasable.SKU_INACTIVE
    assert purchase_info(again)[plain.pk].is_purchasable


def test_saving_against_the_parts(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 2)], retail_fen=22000)  # parts 15000 + 2 × 5900 = 26800
    view = bundle_views([bundle])[bundle.pk]
    assert (view.parts_fen, view.saving_fen, view.shows_saving) == (26800, 4800, True)
    assert [(part.sku.pk, part.quantity, part.list_fen) for part in view.parts] == [(serum.pk, 1, 15000), (cleanser.pk, 2, 11800)]
    assert bundle_saving_fen(Sku.objects.get(pk=bundle.pk)) == 4800
    assert bundle_saving_fen(serum) == 0


def test_no_saving_is_shown_when_the_bundle_costs_more_than_its_parts(serum, cleanser):
    bundle = make_bundle([(serum, 1), (cleanser, 1)], retail_fen=30000)
    view = bundle_views([bundle])[bundle.pk]
    assert (view.saving_fen, view.shows_saving) == (0, False)


def test_bundle_views_cost_fixed_queries_and_skip_plain_skus(serum, cleanser):
    one = make_bundle([(serum, 1), (cleanser, 1)])
    two = make_bundle([(serum, 2), (cleanser, 1)])
    skus = list(Sku.objects.filter(pk__in=[one.pk, two.pk, serum.pk]))
    views, count = _queries(lambda: bundle_views(skus))
    assert views.keys() == {one.pk, two.pk}
    assert count == 1  # components with their SKUs, products and categories
    _, again = _queries(
        lambda: [view.parts_fen for view in views.values()] + [p.sku.product.name for v in views.values() for p in v.parts]
    )
    assert again == 0
