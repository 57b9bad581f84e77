"""Properties of compute_line for any inputs."""

from hypothesis import given
from hypothesis import strategies as st

from fenxiao.commissions.calculator import CATEGORY, FIXED, PRODUCT, RATE, EarnerInput, OverrideRule, compute_line

rates = st.integers(min_value=0, max_value=10000)
rules = st.one_of(
    st.builds(OverrideRule, mode=st.just(RATE), rate_bp=rates),
    st.builds(OverrideRule, mode=st.just(FIXED), fixed_fen=st.integers(min_value=0, max_value=1_000_000)),
)
override_maps = st.dictionaries(st.tuples(st.sampled_from([PRODUCT, CATEGORY]), st.sampled_from([1, 2])), rules, max_size=4)
earner_lists = st.lists(
    st.builds(
        EarnerInput,
        depth=st.sampled_from([1, 2]),
        direct_rate_bp=rates,
        indirect_rate_bp=rates,
        blocked_reason=st.sampled_from(["", "", "self_purchase"]),
    ),
    max_size=2,
    unique_by=lambda e: e.depth,
)


@given(
    paid=st.integers(min_value=0, max_value=10_000_000),
    cost=st.integers(min_value=0, max_value=10_000_000),
    quantity=st.integers(min_value=1, max_value=500),
    earners=earner_lists,
    overrides=override_maps,
    ceiling=st.one_of(st.none(), rates),
)
def test_commissions_are_bounded(paid, cost, quantity, earners, overrides, ceiling):
    result = compute_line(
        paid_fen=paid, cost_fen_total=cost, quantity=quantity, earners=earners, overrides=overrides, ceiling_bp=ceiling
    )
    assert len(result.earners) <= 2
    assert len({e.depth for e in result.earners}) == len(result.earners)
    assert all(e.amount_fen >= 0 for e in result.earners)
    assert all(e.amount_fen <= e.uncapped_fen for e in result.earners)
    assert result.total_fen == sum(e.amount_fen for e in result.earners)
    assert result.margin_fen == max(paid - cost, 0)
    if ceiling is not None:
        assert result.cap_fen == result.margin_fen * ceiling // 10000
        assert result.total_fen <= result.cap_fen
        if result.capped:
            assert result.total_fen == result.cap_fen
    else:
        assert result.total_fen == result.uncapped_total_fen
