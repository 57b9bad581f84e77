"""The pure calculation: rates, overrides, depths, the ceiling, rounding."""

import pytest

from fenxiao.commissions.calculator import (
    BLOCKED_SELF_PURCHASE,
    CATEGORY,
    FIXED,
    PRODUCT,
    RATE,
    SOURCE_CATEGORY,
    SOURCE_LEVEL,
    SOURCE_PRODUCT,
    EarnerInput,
    OverrideRule,
    compute_line,
)
from fenxiao.commissions.errors import CommissionError
from fenxiao.common.errors import DomainError


def direct(rate_bp=2000, indirect_bp=500, **kw):
    return EarnerInput(depth=1, direct_rate_bp=rate_bp, indirect_rate_bp=indirect_bp, **kw)


def indirect(rate_bp=2000, indirect_bp=500, **kw):
    return EarnerInput(depth=2, direct_rate_bp=rate_bp, indirect_rate_bp=indirect_bp, **kw)


def line(*, paid=15000, cost=5000, quantity=1, earners=None, overrides=None, ceiling=None):
    return compute_line(
        paid_fen=paid,
        cost_fen_total=cost,
        quantity=quantity,
        earners=[direct()] if earners is None else earners,
        overrides=overrides or {},
        ceiling_bp=ceiling,
    )


@pytest.mark.parametrize(
    ("paid", "cost", "rate_bp", "expected"),
    [
        (15000, 5000, 2000, 3000),  # beauty ¥150 at 20% → ¥30
        (5000, 2000, 1600, 800),  # food ¥50 at 16% → ¥8
        (150000, 100000, 1000, 15000),  # appliance ¥1,500 at 10% → ¥150
    ],
)
def test_seed_table(paid, cost, rate_bp, expected):
    result = line(paid=paid, cost=cost, earners=[direct(rate_bp)], ceiling=5000)
    assert result.amount_for_depth(1) == expected
    assert result.total_fen == expected
    assert not result.capped


@pytest.mark.parametrize(
    ("paid", "rate_bp", "expected"),
    [
        (999, 1550, 154),  # 154.845 → 154
        (1, 9999, 0),  # 0.9999 → 0
        (333, 3333, 110),  # 110.9889 → 110
        (10001, 1, 1),  # 1.0001 → 1
        (0, 2000, 0),
    ],
)
def test_rate_rounds_down_to_the_fen(paid, rate_bp, expected):
    assert line(paid=paid, cost=0, earners=[direct(rate_bp)]).amount_for_depth(1) == expected


def test_level_rates_per_depth():
    result = line(earners=[direct(2000, 500), indirect(3000, 800)])
    assert result.amount_for_depth(1) == 3000  # the direct earner's direct rate
    assert result.amount_for_depth(2) == 1200  # the indirect earner's indirect rate (8%)
    assert [e.source for e in result.earners] == [SOURCE_LEVEL, SOURCE_LEVEL]


def test_fixed_override_is_per_unit_times_quantity():
    overrides = {(CATEGORY, 1): OverrideRule(mode=FIXED, fixed_fen=350)}
    result = line(paid=45000, cost=15000, quantity=3, overrides=overrides)
    assert result.amount_for_depth(1) == 1050
    assert result.for_depth(1).mode == FIXED
    assert result.for_depth(1).fixed_fen == 350


def test_fixed_override_ignores_the_paid_amount():
    overrides = {(PRODUCT, 1): OverrideRule(mode=FIXED, fixed_fen=500)}
    assert line(paid=15000, overrides=overrides).amount_for_depth(1) == 500
    assert line(paid=9000, overrides=overrides).amount_for_depth(1) == 500


def test_product_override_beats_category_override_beats_level():
    category = {(CATEGORY, 1): OverrideRule(mode=RATE, rate_bp=1200)}
    both = {**category, (PRODUCT, 1): OverrideRule(mode=RATE, rate_bp=800)}

    by_level = line()
    by_category = line(overrides=category)
    by_product = line(overrides=both)

    assert (by_level.amount_for_depth(1), by_level.for_depth(1).source) == (3000, SOURCE_LEVEL)
    assert (by_category.amount_for_depth(1), by_category.for_depth(1).source) == (1800, SOURCE_CATEGORY)
    assert (by_product.amount_for_depth(1), by_product.for_depth(1).source) == (1200, SOURCE_PRODUCT)


def test_product_fixed_override_beats_category_rate_override():
    overrides = {
        (CATEGORY, 1): OverrideRule(mode=RATE, rate_bp=1200),
        (PRODUCT, 1): OverrideRule(mode=FIXED, fixed_fen=100),
    }
    assert line(quantity=2, overrides=overrides).amount_for_depth(1) == 200


def test_overrides_apply_per_depth_only():
    overrides = {(CATEGORY, 2): OverrideRule(mode=RATE, rate_bp=100), (PRODUCT, 1): OverrideRule(mode=FIXED, fixed_fen=10)}
    result = line(earners=[direct(2000, 500), indirect(2000, 500)], overrides=overrides)
    assert (result.for_depth(1).source, result.amount_for_depth(1)) == (SOURCE_PRODUCT, 10)
    assert (result.for_depth(2).source, result.amount_for_depth(2)) == (SOURCE_CATEGORY, 150)

    only_indirect = line(
        earners=[direct(2000, 500), indirect(2000, 500)], overrides={(PRODUCT, 2): OverrideRule(mode=RATE, rate_bp=0)}
    )
    assert only_indirect.amount_for_depth(1) == 3000
    assert only_indirect.amount_for_depth(2) == 0


def test_blocked_earner_earns_zero_but_is_shown():
    result = line(earners=[direct(blocked_reason=BLOCKED_SELF_PURCHASE), indirect()])
    assert result.amount_for_depth(1) == 0
    assert result.for_depth(1).blocked_reason == BLOCKED_SELF_PURCHASE
    assert result.amount_for_depth(2) == 750


def test_no_earners_earn_nothing():
    result = line(earners=[])
    assert result.earners == ()
    assert result.total_fen == 0


def test_earners_come_out_ordered_by_depth():
    result = line(earners=[indirect(), direct()])
    assert [e.depth for e in result.earners] == [1, 2]


@pytest.mark.parametrize("depth", [3, 4, 99])
def test_a_third_level_earner_is_refused(depth):
    with pytest.raises(CommissionError) as exc:
        line(earners=[direct(), EarnerInput(depth=depth, direct_rate_bp=100, indirect_rate_bp=100)])
    assert exc.value.code == "commission_depth_exceeded"
    assert exc.value.detail == {"depth": depth, "max_depth": 2}
    assert isinstance(exc.value, DomainError)


@pytest.mark.parametrize("key", [(PRODUCT, 3), (CATEGORY, 5)])
def test_a_third_level_override_is_refused(key):
    with pytest.raises(CommissionError) as exc:
        line(overrides={key: OverrideRule(mode=RATE, rate_bp=100)})
    assert exc.value.code == "commission_depth_exceeded"


def test_invalid_inputs_are_refused():
    with pytest.raises(CommissionError) as exc:
        line(earners=[EarnerInput(depth=0, direct_rate_bp=1, indirect_rate_bp=1)])
    assert exc.value.code == "invalid_depth"
    with pytest.raises(CommissionError) as exc:
        line(earners=[direct(), direct()])
    assert exc.value.code == "duplicate_depth"
    with pytest.raises(CommissionError) as exc:
        line(earners=[direct(10001)])
    assert exc.value.code == "invalid_override"
    with pytest.raises(CommissionError) as exc:
        line(overrides={(PRODUCT, 1): OverrideRule(mode=FIXED, fixed_fen=-1)})
    assert exc.value.code == "invalid_override"
    with pytest.raises(CommissionError) as exc:
        line(overrides={(PRODUCT, 1): OverrideRule(mode="bonus", rate_bp=1)})
    assert exc.value.code == "invalid_override"
    with pytest.raises(CommissionError) as exc:
        line(ceiling=10001)
    assert exc.value.code == "invalid_ceiling"
    with pytest.raises(CommissionError) as exc:
        line(quantity=0)
    assert exc.value.code == "invalid_line"
    with pytest.raises(CommissionError) as exc:
        line(paid=-1)
    assert exc.value.code == "invalid_line"


def test_money_is_integer_only():
    with pytest.raises(CommissionError):
        line(paid=150.0)
    with pytest.raises(CommissionError):
        line(earners=[EarnerInput(depth=1, direct_rate_bp=20.0, indirect_rate_bp=0)])


def test_under_the_ceiling_nothing_changes():
    result = line(earners=[direct(2000, 500), indirect(2000, 500)], ceiling=5000)
    assert result.cap_fen == 5000  # half of the 10000 margin
    assert not result.capped
    assert result.total_fen == result.uncapped_total_fen == 3750
    assert result.explanation == ""


def test_exactly_at_the_ceiling_is_not_capped():
    result = line(paid=10000, cost=4000, earners=[direct(3000)], ceiling=5000)
    assert result.cap_fen == 3000
    assert result.total_fen == 3000
    assert not result.capped


def test_over_the_ceiling_scales_down_in_proportion_exactly():
    # paid 10000, cost 7001 → margin 2999, cap 50% → 1499; uncapped 2000 + 1000 = 3000
    result = line(paid=10000, cost=7001, earners=[direct(2000, 0), indirect(0, 1000)], ceiling=5000)
    assert result.capped
    assert result.margin_fen == 2999
    assert result.cap_fen == 1499
    assert result.uncapped_total_fen == 3000
    assert [e.uncapped_fen for e in result.earners] == [2000, 1000]
    assert [e.amount_fen for e in result.earners] == [999, 500]  # 999.33 / 499.67: the spare fen to the larger remainder
    assert result.total_fen == sum(e.amount_fen for e in result.earners) == 1499
    assert all(e.was_reduced for e in result.earners)
    assert "14.99" in result.explanation and "30.00" in result.explanation and "29.99" in result.explanation


def test_ceiling_split_adds_up_for_awkward_amounts():
    for cost in range(9000, 10000, 37):
        result = line(paid=10000, cost=cost, earners=[direct(3333, 0), indirect(0, 1777)], ceiling=3333)
        assert result.total_fen == sum(e.amount_fen for e in result.earners)
        assert result.total_fen <= result.cap_fen
        if result.capped:
            assert result.total_fen == result.cap_fen


def test_ceiling_caps_fixed_overrides_too():
    overrides = {(PRODUCT, 1): OverrideRule(mode=FIXED, fixed_fen=4000)}
    result = line(paid=15000, cost=5000, quantity=2, overrides=overrides, ceiling=5000)
    assert result.uncapped_total_fen == 8000
    assert result.capped
    assert result.total_fen == 5000


@pytest.mark.parametrize(("paid", "cost"), [(5000, 5000), (5000, 8000), (0, 0)])
def test_zero_or_negative_margin_pays_nothing(paid, cost):
    result = line(paid=paid, cost=cost, earners=[direct(), indirect()], ceiling=5000)
    assert result.margin_fen == 0
    assert result.cap_fen == 0
    assert result.total_fen == 0
    assert all(e.amount_fen == 0 for e in result.earners)
    if result.uncapped_total_fen:
        assert result.capped
        assert result.explanation


def test_zero_ceiling_pays_nothing():
    result = line(ceiling=0)
    assert result.total_fen == 0
    assert result.capped


def test_no_ceiling_means_rates_apply_in_full():
    result = line(paid=10000, cost=9900, earners=[direct(5000)], ceiling=None)
    assert result.cap_fen is None
    assert result.total_fen == 5000
    assert not result.capped


def test_discount_lowers_the_base():
    full = line(paid=15000)
    discounted = line(paid=12000)
    assert full.amount_for_depth(1) == 3000
    assert discounted.amount_for_depth(1) == 2400
    assert discounted.base_fen == 12000
