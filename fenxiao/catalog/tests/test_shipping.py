"""Shipping templates: the charge of one template (by piece, by weight, region rates, free rules,
excluded regions), several templates in one order (首费取最大，续费累加), the legacy flat fee, the
queries a quote costs, and what a template must be to be saved."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.test.utils import CaptureQueriesContext

from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import FreeShippingRule, Product, ShippingRate, ShippingTemplate
from fenxiao.catalog.services import assign_shipping_template, save_shipping_template
from fenxiao.catalog.shipping import ShippingItem, quote_shipping
from tests.factories import ProductFactory, StaffFactory

pytestmark = pytest.mark.django_db

ZHEJIANG, XINJIANG, TIBET, BEIJING = "33", "65", "54", "11"
ZHEJIANG_NAME, XINJIANG_NAME, TIBET_NAME, BEIJING_NAME = "浙江省", "新疆维吾尔自治区", "西藏自治区", "北京市"


def rate(provinces=(), first_units=1, first_fen=1000, additional_units=1, additional_fen=500):
    return {
        "provinces": list(provinces),
        "first_units": first_units,
        "first_fen": first_fen,
        "additional_units": additional_units,
        "additional_fen": additional_fen,
    }


_names = iter(range(1, 10_000))


def template(*, rates=None, free_rules=(), charge_by="piece", excluded=(), is_default=False, name=None):
    return save_shipping_template(
        name=name or f"模板{next(_names)}",
        charge_by=charge_by,
        is_default=is_default,
        excluded_provinces=list(excluded),
        rates=rates if rates is not None else [rate()],
        free_rules=list(free_rules),
    )


def product(shipping_template=None) -> Product:
    return ProductFactory(shipping_template=shipping_template)


def item(p: Product, quantity=1, *, weight_g=0, amount_fen=None) -> ShippingItem:
    return ShippingItem(
        product_id=p.pk, quantity=quantity, weight_g=weight_g, amount_fen=1000 * quantity if amount_fen is None else amount_fen
    )


# --- one template -----------------------------------------------------------------------------------


def test_by_piece_first_piece_then_each_additional_piece():
    p = product(template(rates=[rate(first_units=1, first_fen=1000, additional_units=1, additional_fen=500)]))
    assert quote_shipping([item(p, 1)], province=ZHEJIANG_NAME).fee_fen == 1000
    assert quote_shipping([item(p, 3)], province=ZHEJIANG_NAME).fee_fen == 1000 + 2 * 500


@pytest.mark.parametrize(("quantity", "fee"), [(1, 800), (2, 800), (3, 1200), (5, 1200), (6, 1600), (8, 1600), (9, 2000)])
def test_first_units_then_each_started_block_of_additional_units(quantity, fee):
    p = product(template(rates=[rate(first_units=2, first_fen=800, additional_units=3, additional_fen=400)]))
    assert quote_shipping([item(p, quantity)], province=ZHEJIANG_NAME).fee_fen == fee


def test_lines_of_one_template_are_charged_together():
    t = template(rates=[rate(first_units=1, first_fen=1000, additional_units=1, additional_fen=500)])
    a, b = product(t), product(t)
    quote = quote_shipping([item(a, 2), item(b, 1)], province=ZHEJIANG_NAME)
    assert quote.fee_fen == 1000 + 2 * 500  # three pieces, one first piece
    assert quote.parts == [{"template_id": t.pk, "name": t.name, "fee_fen": 2000, "free": False}]


def test_no_additional_fee_charges_the_first_fee_only():
    p = product(template(rates=[rate(first_units=1, first_fen=600, additional_units=0, additional_fen=0)]))
    assert quote_shipping([item(p, 7)], province=ZHEJIANG_NAME).fee_fen == 600


def test_by_weight_in_grams_of_every_unit():
    t = template(charge_by="weight", rates=[rate(first_units=1000, first_fen=1200, additional_units=500, additional_fen=300)])
    p = product(t)
    # 3 × 600 g = 1800 g: the first kilo, then two started blocks of 500 g
    assert quote_shipping([item(p, 3, weight_g=600)], province=ZHEJIANG_NAME).fee_fen == 1200 + 2 * 300
    assert quote_shipping([item(p, 1, weight_g=1000)], province=ZHEJIANG_NAME).fee_fen == 1200
    assert quote_shipping([item(p, 1, weight_g=1001)], province=ZHEJIANG_NAME).fee_fen == 1500
    # a parcel without a weight still pays the first charge
    assert quote_shipping([item(p, 4, weight_g=0)], province=ZHEJIANG_NAME).fee_fen == 1200


def test_region_rate_wins_over_the_base_rate():
    t = template(
        rates=[
            rate(first_fen=1000, additional_fen=500),
            rate([XINJIANG, TIBET], first_fen=2000, additional_fen=1000),
        ]
    )
    p = product(t)
    assert quote_shipping([item(p, 2)], province=XINJIANG_NAME).fee_fen == 3000
    assert quote_shipping([item(p, 2)], province=TIBET_NAME).fee_fen == 3000
    assert quote_shipping([item(p, 2)], province=ZHEJIANG_NAME).fee_fen == 1500
    assert quote_shipping([item(p, 2)], province=None).fee_fen == 1500  # no address yet: the base rate
    assert quote_shipping([item(p, 2)], province="火星").fee_fen == 1500  # not a province: the base rate


# --- free shipping -------------------------------------------------------------------------------


def test_free_by_amount_after_discounts_with_the_missing_amount_as_hint():
    t = template(free_rules=[{"min_amount_fen": 9900}])
    p = product(t)
    short = quote_shipping([item(p, 1, amount_fen=8700)], province=ZHEJIANG_NAME)
    assert short.fee_fen == 1000
    assert short.free_hint == {"template_id": t.pk, "missing_fen": 1200}
    free = quote_shipping([item(p, 1, amount_fen=9900)], province=ZHEJIANG_NAME)
    assert (free.fee_fen, free.free_hint) == (0, None)
    assert free.parts == [{"template_id": t.pk, "name": t.name, "fee_fen": 0, "free": True}]


def test_free_by_piece_count():
    t = template(free_rules=[{"min_count": 3}])
    p = product(t)
    two = quote_shipping([item(p, 2)], province=ZHEJIANG_NAME)
    assert two.fee_fen == 1500 and two.free_hint == {"template_id": t.pk, "missing_count": 1}
    assert quote_shipping([item(p, 3)], province=ZHEJIANG_NAME).fee_fen == 0


def test_either_threshold_of_a_rule_frees_and_the_hint_is_the_cheaper_one():
    t = template(free_rules=[{"min_amount_fen": 20000, "min_count": 5}])
    p = product(t)
    # 4 pieces at ¥10: one more piece (about ¥10) is cheaper than ¥160 more
    assert quote_shipping([item(p, 4)], province=ZHEJIANG_NAME).free_hint == {"template_id": t.pk, "missing_count": 1}
    # 1 piece at ¥190: ¥10 more is cheaper than four more pieces
    hint = quote_shipping([item(p, 1, amount_fen=19000)], province=ZHEJIANG_NAME).free_hint
    assert hint == {"template_id": t.pk, "missing_fen": 1000}
    assert quote_shipping([item(p, 1, amount_fen=20000)], province=ZHEJIANG_NAME).fee_fen == 0


def test_free_rule_of_a_region_applies_there_only():
    t = template(
        rates=[rate(), rate([XINJIANG], first_fen=2000, additional_fen=1000)],
        free_rules=[{"provinces": [ZHEJIANG, BEIJING], "min_amount_fen": 9900}],
    )
    p = product(t)
    lines = [item(p, 1, amount_fen=12000)]
    assert quote_shipping(lines, province=ZHEJIANG_NAME).fee_fen == 0
    assert quote_shipping(lines, province=BEIJING_NAME).fee_fen == 0
    far = quote_shipping(lines, province=XINJIANG_NAME)
    assert far.fee_fen == 2000 and far.free_hint is None  # no rule for 新疆: nothing to reach
    # without an address only the rules for every province count
    assert quote_shipping(lines, province=None).fee_fen == 1000


def test_the_cheapest_of_several_rules_of_the_region_is_hinted():
    t = template(
        free_rules=[
            {"min_amount_fen": 9900},
            {"provinces": [ZHEJIANG], "min_amount_fen": 5900},
        ]
    )
    p = product(t)
    assert quote_shipping([item(p, 1, amount_fen=5000)], province=ZHEJIANG_NAME).free_hint["missing_fen"] == 900
    assert quote_shipping([item(p, 1, amount_fen=5000)], province=BEIJING_NAME).free_hint["missing_fen"] == 4900
    assert quote_shipping([item(p, 1, amount_fen=6000)], province=ZHEJIANG_NAME).fee_fen == 0


# --- regions not delivered to -------------------------------------------------------------------


def test_excluded_region_lists_the_products_and_charges_the_rest():
    remote = template(excluded=[XINJIANG, TIBET], rates=[rate(first_fen=800)])
    anywhere = template(rates=[rate(first_fen=1000, additional_fen=0, additional_units=0)])
    a, b, c = product(remote), product(remote), product(anywhere)
    lines = [item(a), item(b, 2), item(c)]
    far = quote_shipping(lines, province=TIBET_NAME)
    assert far.undeliverable_product_ids == [a.pk, b.pk]
    assert far.fee_fen == 1000
    assert [part["template_id"] for part in far.parts] == [anywhere.pk]
    near = quote_shipping(lines, province=ZHEJIANG_NAME)
    assert near.undeliverable_product_ids == []
    # without a province nothing is undeliverable
    assert quote_shipping(lines, province=None).undeliverable_product_ids == []


# --- several templates ---------------------------------------------------------------------------


def test_two_templates_pay_the_largest_first_charge_once_and_every_additional_charge():
    by_piece = template(rates=[rate(first_units=1, first_fen=1000, additional_units=1, additional_fen=500)])
    by_weight = template(
        charge_by="weight", rates=[rate(first_units=1000, first_fen=1500, additional_units=1000, additional_fen=400)]
    )
    a, b = product(by_piece), product(by_weight)
    # on their own: pieces 1000 + 500 = 1500; weight 2500 g: 1500 + 2 × 400 = 2300
    assert quote_shipping([item(a, 2)], province=ZHEJIANG_NAME).fee_fen == 1500
    assert quote_shipping([item(b, 1, weight_g=2500)], province=ZHEJIANG_NAME).fee_fen == 2300
    quote = quote_shipping([item(a, 2), item(b, 1, weight_g=2500)], province=ZHEJIANG_NAME)
    # the weight template's first charge (¥15) is the largest: it pays 2300, the piece template adds
    # its additional charge for both of its pieces (2 × 500)
    assert quote.fee_fen == 2300 + 1000
    assert quote.parts == [
        {"template_id": by_piece.pk, "name": by_piece.name, "fee_fen": 1000, "free": False},
        {"template_id": by_weight.pk, "name": by_weight.name, "fee_fen": 2300, "free": False},
    ]


def test_additional_charges_of_the_other_templates_count_started_blocks_of_all_units():
    leader = template(rates=[rate(first_fen=2000, additional_fen=0, additional_units=0)])
    other = template(rates=[rate(first_units=2, first_fen=800, additional_units=2, additional_fen=300)])
    quote = quote_shipping([item(product(leader)), item(product(other), 3)], province=ZHEJIANG_NAME)
    assert quote.fee_fen == 2000 + 2 * 300  # 3 pieces make two started blocks of 2


def test_equal_first_charges_the_earlier_template_leads():
    first = template(rates=[rate(first_fen=1000, additional_fen=100)])
    second = template(rates=[rate(first_fen=1000, additional_fen=700)])
    quote = quote_shipping([item(product(second), 2), item(product(first), 2)], province=ZHEJIANG_NAME)
    assert quote.fee_fen == (1000 + 100) + 2 * 700
    assert [part["fee_fen"] for part in quote.parts] == [1100, 1400]


def test_a_template_shipping_free_contributes_nothing():
    free_from_99 = template(rates=[rate(first_fen=1500)], free_rules=[{"min_amount_fen": 9900}])
    paying = template(rates=[rate(first_fen=1000, additional_fen=500)])
    quote = quote_shipping(
        [item(product(free_from_99), 1, amount_fen=10000), item(product(paying), 2, amount_fen=2000)], province=ZHEJIANG_NAME
    )
    assert quote.fee_fen == 1500  # the paying template leads on its own
    assert [part["free"] for part in quote.parts] == [True, False]


def test_products_without_template_use_the_default_template():
    default = template(is_default=True, rates=[rate(first_fen=700, additional_fen=0, additional_units=0)])
    quote = quote_shipping([item(product()), item(product(), 3)], province=ZHEJIANG_NAME)
    assert quote.fee_fen == 700
    assert quote.parts[0]["template_id"] == default.pk


# --- the legacy flat fee -------------------------------------------------------------------------


def test_without_any_template_the_flat_fee_and_threshold_of_the_settings(settings):
    settings.FENXIAO_SHIPPING_FEE_FEN, settings.FENXIAO_FREE_SHIPPING_FROM_FEN = 1000, 9900
    p = product()
    short = quote_shipping([item(p, 1, amount_fen=5000), item(product(), 1, amount_fen=4000)], province=ZHEJIANG_NAME)
    assert short.fee_fen == 1000
    assert short.free_hint == {"template_id": None, "missing_fen": 900}
    assert short.parts == [{"template_id": None, "name": "运费", "fee_fen": 1000, "free": False}]
    free = quote_shipping([item(p, 1, amount_fen=9900)], province=None)
    assert (free.fee_fen, free.free_hint, free.undeliverable_product_ids) == (0, None, [])


def test_products_without_template_and_no_default_keep_the_flat_fee_next_to_templates(settings):
    settings.FENXIAO_SHIPPING_FEE_FEN, settings.FENXIAO_FREE_SHIPPING_FROM_FEN = 1000, 9900
    t = template(rates=[rate(first_fen=800, additional_fen=300)])
    quote = quote_shipping([item(product(t), 2), item(product(), 1, amount_fen=2000)], province=ZHEJIANG_NAME)
    # the flat fee (¥10) is the largest first charge; the template adds 2 × 300
    assert quote.fee_fen == 1000 + 600
    assert [part["template_id"] for part in quote.parts] == [t.pk, None]


def test_an_empty_order_ships_for_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert quote_shipping([], province=ZHEJIANG_NAME).fee_fen == 0


# --- queries -------------------------------------------------------------------------------------


def _queries(lines, province):
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        quote_shipping(lines, province=province)
    return len(captured)


def test_a_quote_costs_the_same_queries_for_1_or_30_items_over_1_or_5_templates(django_assert_num_queries):
    templates = [
        template(rates=[rate(), rate([XINJIANG])], free_rules=[{"min_amount_fen": 9900}, {"provinces": [TIBET], "min_count": 9}])
        for _ in range(5)
    ]
    template(is_default=True)
    products = [product(templates[n % 5] if n % 6 else None) for n in range(30)]
    one = [item(products[1])]
    thirty = [item(p, 2) for p in products]
    assert {templates[n % 5].pk for n in range(30) if n % 6} == {t.pk for t in templates}
    with django_assert_num_queries(4):  # products, templates, their rates, their free rules
        quote_shipping(one, province=XINJIANG_NAME)
    with django_assert_num_queries(4):
        quote_shipping(thirty, province=XINJIANG_NAME)
    assert _queries(thirty, None) == _queries(one, None) == 4


# --- what a template must be --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rates", "field"),
    [
        ([rate([ZHEJIANG])], "rates"),  # no base rate
        ([rate(), rate()], "rates"),  # two base rates
        ([rate(), rate([ZHEJIANG, XINJIANG]), rate([XINJIANG])], "provinces"),  # 新疆 in two rates
        ([rate(first_fen=-1)], "first_fen"),
        ([rate(additional_fen=-100)], "additional_fen"),
        ([rate(additional_units=0, additional_fen=500)], "additional_units"),
        ([rate(first_units=0)], "first_units"),
        ([rate(), rate(["99"])], "provinces"),  # no such province
        ([rate(), rate(["3301"])], "provinces"),  # a city, not a province
        ([rate(), rate([ZHEJIANG, ZHEJIANG])], "provinces"),
    ],
)
def test_a_template_with_wrong_rates_is_refused(rates, field):
    with pytest.raises(CatalogError) as exc:
        template(rates=rates)
    assert exc.value.code == "invalid_shipping"
    assert exc.value.detail["field"] == field
    assert not ShippingTemplate.objects.exists()


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({}, "min_amount_fen"),
        ({"min_amount_fen": -1}, "min_amount_fen"),
        ({"min_count": 0}, "min_count"),
        ({"provinces": ["00"], "min_count": 2}, "provinces"),
    ],
)
def test_a_free_rule_needs_a_threshold_and_known_provinces(rule, field):
    with pytest.raises(CatalogError) as exc:
        template(free_rules=[rule])
    assert exc.value.detail["field"] == field


def test_excluded_provinces_must_be_known():
    with pytest.raises(CatalogError) as exc:
        template(excluded=["浙江省"])
    assert exc.value.detail["field"] == "excluded_provinces"


def test_model_clean_refuses_what_the_services_refuse():
    t = template()
    with pytest.raises(ValidationError) as exc:
        ShippingRate(template=t, provinces=[], first_units=1, first_fen=100, additional_units=0, additional_fen=50).full_clean()
    assert "additional_units" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        FreeShippingRule(template=t, provinces=["99"], min_count=2).full_clean()
    assert "provinces" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        FreeShippingRule(template=t, provinces=[]).full_clean()
    assert "min_amount_fen" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        ShippingTemplate(name="不配送", excluded_provinces=["xx"]).full_clean()
    assert "excluded_provinces" in exc.value.message_dict
    ShippingRate(
        template=t, provinces=[XINJIANG], first_units=1, first_fen=100, additional_units=0, additional_fen=0
    ).full_clean()


def test_the_database_refuses_negative_fees_and_rules_without_threshold():
    t = template()
    with transaction.atomic(), pytest.raises(IntegrityError):
        ShippingRate.objects.create(template=t, provinces=[XINJIANG], first_fen=-1)
    with transaction.atomic(), pytest.raises(IntegrityError):
        FreeShippingRule.objects.create(template=t, provinces=[])


def test_one_default_template_at_most():
    first = template(is_default=True)
    second = template(is_default=True)  # takes over
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ShippingTemplate.objects.filter(pk=first.pk).update(is_default=True)


def test_saving_again_replaces_rates_and_rules_and_names_are_unique():
    t = template(name="标准", rates=[rate(), rate([XINJIANG])], free_rules=[{"min_count": 2}])
    save_shipping_template(template=t, name="标准", rates=[rate(first_fen=300)], excluded_provinces=[TIBET, XINJIANG])
    t.refresh_from_db()
    assert [r.first_fen for r in t.rates.all()] == [300] and not t.free_rules.exists()
    assert t.excluded_provinces == [TIBET, XINJIANG]  # in the dataset's order
    with pytest.raises(CatalogError):
        template(name="标准")


def test_a_template_in_use_cannot_be_deleted():
    t = template()
    p = product()
    assert assign_shipping_template(template=t, products=[p]) == 1
    p.refresh_from_db()
    assert p.shipping_template == t
    with pytest.raises(ProtectedError):
        t.delete()


# --- console ------------------------------------------------------------------------------------


def _console_forms(rates, free_rules=(), **template_fields):
    """The shipping template admin's form and inline formsets bound to what an operator submits."""
    from django.contrib import admin
    from django.test import RequestFactory

    from fenxiao.catalog.admin import ShippingTemplateAdmin

    request = RequestFactory().post("/")
    request.user = StaffFactory(is_superuser=True)
    model_admin = ShippingTemplateAdmin(ShippingTemplate, admin.site)
    data = {
        "name": "控制台模板",
        "charge_by": "piece",
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": "0",
        "free_rules-TOTAL_FORMS": str(len(free_rules)),
        "free_rules-INITIAL_FORMS": "0",
        **template_fields,
    }
    for prefix, rows in (("rates", rates), ("free_rules", free_rules)):
        for n, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{n}-{key}"] = value
    form = model_admin.get_form(request)(data)
    form.is_valid()
    instance = form.instance
    formsets = [
        formset_class(data, instance=instance, prefix=formset_class.get_default_prefix())
        for formset_class, _inline in model_admin.get_formsets_with_inlines(request)
    ]
    return model_admin, request, form, formsets


def test_console_saves_a_template_with_provinces_picked_by_name_and_fees_in_yuan():
    base = {"first_units": "1", "first_fen": "10", "additional_units": "1", "additional_fen": "5"}
    remote = {
        "provinces": [XINJIANG, TIBET],
        "first_units": "1",
        "first_fen": "20",
        "additional_units": "1",
        "additional_fen": "10",
    }
    previous = template(is_default=True)
    model_admin, request, form, formsets = _console_forms([base, remote], [{"min_amount_fen": "99"}], is_default="on")
    assert form.is_valid(), form.errors
    assert all(formset.is_valid() for formset in formsets), [formset.errors for formset in formsets]
    assert "新疆维吾尔自治区" in str(formsets[0].forms[1]["provinces"])  # picked by name
    t = form.save(commit=False)
    model_admin.save_model(request, t, form, change=False)  # takes the default mark over
    for formset in formsets:
        formset.instance = t
        formset.save()
    previous.refresh_from_db()
    assert t.is_default and not previous.is_default
    assert [(r.provinces, r.first_fen, r.additional_fen) for r in t.rates.order_by("id")] == [
        ([], 1000, 500),
        ([TIBET, XINJIANG], 2000, 1000),  # stored as codes, in the dataset's order
    ]
    assert t.free_rules.get().min_amount_fen == 9900


def test_console_refuses_overlapping_rates_and_a_missing_base_rate():
    row = {"first_units": "1", "first_fen": "10", "additional_units": "1", "additional_fen": "5"}
    *_, formsets = _console_forms([row, {**row, "provinces": [XINJIANG]}, {**row, "provinces": [XINJIANG, TIBET]}])
    assert not formsets[0].is_valid()
    assert formsets[0].non_form_errors() == ["新疆维吾尔自治区 出现在两条运费规则中"]
    *_, formsets = _console_forms([{**row, "provinces": [XINJIANG]}])
    assert not formsets[0].is_valid()
    assert "默认运费" in formsets[0].non_form_errors()[0]


def test_console_refuses_an_additional_fee_without_block_size():
    *_, formsets = _console_forms([{"first_units": "1", "first_fen": "10", "additional_units": "0", "additional_fen": "5"}])
    assert not formsets[0].is_valid()
    assert "additional_units" in formsets[0].forms[0].errors


def test_console_sku_weight_in_grams_and_product_template():
    from fenxiao.catalog.admin import ProductForm, SkuInlineForm
    from tests.factories import SkuFactory

    sku = SkuFactory(stock=0)
    form = SkuInlineForm({"spec": "500g", "weight_g": "520", "is_active": "on"}, instance=sku)
    assert form.is_valid(), form.errors
    form.save()
    sku.refresh_from_db()
    assert sku.weight_g == 520
    empty = SkuInlineForm({"spec": "500g", "weight_g": "", "is_active": "on"}, instance=sku)
    assert empty.is_valid() and empty.cleaned_data["weight_g"] == 0
    assert not SkuInlineForm({"spec": "500g", "weight_g": "-1"}, instance=sku).is_valid()
    assert "shipping_template" in ProductForm.base_fields
