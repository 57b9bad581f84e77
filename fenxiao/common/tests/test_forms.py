"""The console's yuan and percent fields: exact parsing, refusals with a reason, and the round trip."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from fenxiao.common.forms import PercentField, YuanField


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.30", 1230),
        ("0.01", 1),
        (".5", 50),
        ("  150 ", 15000),
        ("1,234.50", 123450),
        ("1,234,567", 123456700),
        ("¥12.30", 1230),
        ("￥ 8", 800),
        ("0", 0),
        ("-0", 0),
        ("99999999999.99", 9999999999999),  # exact, where a float would drift
    ],
)
def test_yuan_field_parses_exactly_to_fen(text, fen):
    assert YuanField().clean(text) == fen


@pytest.mark.parametrize("text", ["12.345", "0.001", "1,234.567"])
def test_yuan_field_refuses_more_than_two_decimals_and_says_why(text):
    with pytest.raises(ValidationError) as caught:
        YuanField().clean(text)
    assert caught.value.code == "decimals"
    assert "两位小数" in caught.value.messages[0]


@pytest.mark.parametrize("text", ["abc", "12.", "1.2.3", "12,34", "1,2345", "12元", "1e3", "--1", "¥", "12 34", "-"])
def test_yuan_field_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValidationError) as caught:
        YuanField().clean(text)
    assert caught.value.code in {"invalid", "required"}


def test_yuan_field_refuses_negatives_unless_allowed():
    with pytest.raises(ValidationError) as caught:
        YuanField().clean("-1.50")
    assert caught.value.code == "negative"
    assert YuanField(allow_negative=True).clean("-1.50") == -150


def test_yuan_field_bounds_are_in_fen_and_named_in_yuan():
    field = YuanField(min_fen=100, max_fen=500_000)
    assert field.clean("1") == 100
    assert field.clean("5,000") == 500_000
    with pytest.raises(ValidationError) as low:
        field.clean("0.99")
    assert "¥1.00" in low.value.messages[0]
    with pytest.raises(ValidationError) as high:
        field.clean("5000.01")
    assert "¥5,000.00" in high.value.messages[0]


def test_yuan_field_empty_is_none_when_optional():
    assert YuanField(required=False).clean("") is None
    with pytest.raises(ValidationError):
        YuanField().clean("")


def test_yuan_field_renders_fen_as_yuan_with_the_unit():
    class Form(forms.Form):
        amount = YuanField()

    html = str(Form(initial={"amount": 500000})["amount"])
    assert 'value="5000.00"' in html
    assert "¥" in html
    assert 'inputmode="decimal"' in html
    bound = Form(data={"amount": "12.345"})
    assert not bound.is_valid()
    assert 'value="12.345"' in str(bound["amount"])  # the typed text comes back for correction


def test_yuan_field_sees_no_change_when_the_same_amount_is_typed_again():
    field = YuanField()
    assert not field.has_changed(1230, "12.30")
    assert not field.has_changed(1230, "12.3")
    assert field.has_changed(1230, "12.31")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_yuan_field_round_trips_every_fen(fen):
    field = YuanField(allow_negative=True)
    assert field.clean(field.prepare_value(fen)) == fen


@pytest.mark.parametrize(
    ("text", "bp"),
    [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("100", 10000), ("15.5%", 1550), (" 3 % ", 300), ("0", 0)],
)
def test_percent_field_parses_to_basis_points(text, bp):
    assert PercentField().clean(text) == bp


def test_percent_field_refuses_three_decimals_over_100_and_negatives():
    with pytest.raises(ValidationError) as three:
        PercentField().clean("12.345")
    assert three.value.code == "decimals"
    with pytest.raises(ValidationError) as high:
        PercentField().clean("100.01")
    assert high.value.code == "max"
    assert "100%" in high.value.messages[0]
    with pytest.raises(ValidationError) as negative:
        PercentField().clean("-1")
    assert negative.value.code == "min"
    with pytest.raises(ValidationError) as junk:
        PercentField().clean("1,5")
    assert junk.value.code == "invalid"


def test_percent_field_limits_can_be_widened():
    assert PercentField(max_bp=None).clean("250") == 25000
    assert PercentField(min_bp=-10000).clean("-2.5") == -250


def test_percent_field_renders_basis_points_as_percent():
    class Form(forms.Form):
        rate = PercentField()

    html = str(Form(initial={"rate": 1250})["rate"])
    assert 'value="12.5"' in html
    assert "%" in html


@given(st.integers(min_value=-(10**8), max_value=10**8))
def test_percent_field_round_trips_every_basis_point(bp):
    field = PercentField(min_bp=None, max_bp=None)
    assert field.clean(field.prepare_value(bp)) == bp
