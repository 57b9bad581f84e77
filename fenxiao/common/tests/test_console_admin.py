"""The console base: money fields edited in yuan and shown as "¥…", rates in percent, unit-free titles,
and timeline rows with status names."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from fenxiao.catalog.models import CommissionOverride, Sku
from fenxiao.common.admin import ConsoleAdmin, ConsoleInline, ReadOnlyAdmin, unit_free_label
from fenxiao.common.forms import PercentField, YuanField
from fenxiao.orders.models import Order, OrderEvent


@pytest.fixture
def request_():
    request = RequestFactory().get("/admin/")
    request.user = type("Staff", (), {"has_perm": lambda self, perm: True, "is_active": True, "is_staff": True})()
    return request


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("成本（分）", "成本"),
        ("比例（基点）", "比例"),
        ("固定金额（分/件）", "固定金额"),
        ("手续费率 (基点)", "手续费率"),
        ("提现金额", "提现金额"),
    ],
)
def test_unit_words_are_left_out_of_titles(label, expected):
    assert unit_free_label(label) == expected


def test_money_and_rate_fields_are_edited_in_yuan_and_percent(request_):
    sku_admin = ConsoleAdmin(Sku, admin.site)
    field = sku_admin.formfield_for_dbfield(Sku._meta.get_field("retail_fen"), request_)
    assert isinstance(field, YuanField) and field.required
    assert field.clean("149.90") == 14990
    override_admin = ConsoleAdmin(CommissionOverride, admin.site)
    rate = override_admin.formfield_for_dbfield(CommissionOverride._meta.get_field("rate_bp"), request_)
    assert isinstance(rate, PercentField) and not rate.required
    assert rate.clean("12.5") == 1250
    fixed = override_admin.formfield_for_dbfield(CommissionOverride._meta.get_field("fixed_fen"), request_)
    assert isinstance(fixed, YuanField)
    # other fields are left to the stock admin
    code = sku_admin.formfield_for_dbfield(Sku._meta.get_field("code"), request_)
    assert not isinstance(code, YuanField | PercentField)


def test_list_columns_show_yuan_sort_by_the_field_and_drop_the_unit(request_):
    class SkuAdmin(ConsoleAdmin):
        list_display = ("code", "retail_fen", "cost_fen")
        list_display_links = ("retail_fen",)

    model_admin = SkuAdmin(Sku, admin.site)
    shown = model_admin.get_list_display(request_)
    assert list(shown) == ["code", "retail_fen_yuan", "cost_fen_yuan"]
    assert list(model_admin.get_list_display_links(request_, shown)) == ["retail_fen_yuan"]
    column = model_admin.retail_fen_yuan
    assert column(Sku(retail_fen=1234550)) == "¥12,345.50"
    assert column.admin_order_field == "retail_fen"
    assert column.short_description == "零售价"


def test_read_only_money_is_shown_in_yuan_even_when_a_subclass_picks_the_fields(request_):
    class PricesShown(ConsoleAdmin):
        fields = ("code", "retail_fen")

        def get_readonly_fields(self, request, obj=None):
            return ("retail_fen",)

    model_admin = PricesShown(Sku, admin.site)
    assert model_admin.get_readonly_fields(request_) == ("retail_fen_yuan",)
    assert model_admin.get_fieldsets(request_)[0][1]["fields"] == ("code", "retail_fen_yuan")
    assert "retail_fen" in model_admin.get_exclude(request_)  # and never in the form


def test_view_only_pages_show_rates_in_percent(request_):
    class Overrides(ReadOnlyAdmin):
        fields = ("depth", "mode", "rate_bp", "fixed_fen")

    model_admin = Overrides(CommissionOverride, admin.site)
    obj = CommissionOverride(rate_bp=1550, fixed_fen=None)
    assert model_admin.get_fieldsets(request_, obj)[0][1]["fields"] == ("depth", "mode", "rate_bp_percent", "fixed_fen_yuan")
    assert model_admin.rate_bp_percent(obj) == "15.5%"
    assert model_admin.fixed_fen_yuan(obj) is None  # the empty value of the console


def test_fields_edited_in_the_list_stay_fields(request_):
    class Editable(ConsoleAdmin):
        list_display = ("code", "retail_fen")
        list_editable = ("retail_fen",)

    assert list(Editable(Sku, admin.site).get_list_display(request_)) == ["code", "retail_fen"]


def test_timeline_rows_name_the_statuses(request_):
    event = OrderEvent(from_status=Order.Status.PENDING_PAYMENT, to_status=Order.Status.PAID)
    assert str(event) == f"{Order.Status.PENDING_PAYMENT.label} → {Order.Status.PAID.label}"

    class Events(ConsoleInline):
        model = OrderEvent

    inline = Events(Order, admin.site)
    assert inline.to_status_label(event) == str(Order.Status.PAID.label)
