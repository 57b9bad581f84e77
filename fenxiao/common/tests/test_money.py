"""The one rounding rule of the project, and the display/parse round trip of amounts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenxiao.common.money import BASIS_POINTS, apply_rate, format_rate, parse_yuan, yuan


@pytest.mark.parametrize(
    ("amount_fen", "rate_bp", "expected"),
    [
        (15000, 2000, 3000),  # beauty: ¥150 at 20% → ¥30
        (5000, 1600, 800),  # food: ¥50 at 16% → ¥8
        (150000, 1000, 15000),  # appliance: ¥1,500 at 10% → ¥150
        (999, 1550, 154),  # 154.845 fen → 154, never 155
        (1, 9999, 0),
        (0, 2000, 0),
        (12345, 0, 0),
        (12345, BASIS_POINTS, 12345),
    ],
)
def test_apply_rate_rounds_down_to_the_fen(amount_fen, rate_bp, expected):
    assert apply_rate(amount_fen, rate_bp) == expected


@pytest.mark.parametrize(("amount", "rate"), [(150.0, 2000), (15000, 20.0), (15000.0, 2000.0)])
def test_apply_rate_refuses_floats(amount, rate):
    with pytest.raises(TypeError):
        apply_rate(amount, rate)


@pytest.mark.parametrize(("amount", "rate"), [(-1, 100), (100, -1)])
def test_apply_rate_refuses_negative_values(amount, rate):
    with pytest.raises(ValueError):
        apply_rate(amount, rate)


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=BASIS_POINTS))
def test_apply_rate_is_the_floor_of_the_exact_product(amount_fen, rate_bp):
    result = apply_rate(amount_fen, rate_bp)
    assert isinstance(result, int)
    # result ≤ exact value < result + 1 fen, computed without any float
    assert result * BASIS_POINTS <= amount_fen * rate_bp < (result + 1) * BASIS_POINTS
    assert result <= amount_fen


@pytest.mark.parametrize(
    ("fen", "text"),
    [(15000, "150.00"), (5, "0.05"), (0, "0.00"), (123456789, "1,234,567.89"), (-250, "-2.50"), (None, "")],
)
def test_yuan_display(fen, text):
    assert yuan(fen) == text


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("150", 15000),
        ("150.5", 15050),
        ("150.50", 15050),
        ("0.01", 1),
        (".5", 50),
        ("1.", 100),
        ("¥1,234.56", 123456),
        (" ￥99.9 ", 9990),
        ("-3.20", -320),
    ],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "  ", "-", "1.234", "abc", "1e3", "1.2.3", "12a", "1,5.0x", "--1"])
def test_parse_yuan_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_yuan_parse_round_trip(fen):
    assert parse_yuan(yuan(fen)) == fen


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_parse_yuan_of_two_decimal_text(whole, cents):
    assert parse_yuan(f"{whole}.{cents:02d}") == whole * 100 + cents


@given(st.text(max_size=12))
def test_parse_yuan_returns_int_or_raises_value_error(text):
    try:
        value = parse_yuan(text)
    except ValueError:
        return
    assert isinstance(value, int)


@pytest.mark.parametrize(("rate_bp", "text"), [(2000, "20%"), (1550, "15.5%"), (1, "0.01%"), (0, "0%"), (10000, "100%")])
def test_format_rate(rate_bp, text):
    assert format_rate(rate_bp) == text
