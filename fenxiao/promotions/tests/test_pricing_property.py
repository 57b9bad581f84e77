"""For random carts and random promotions, the pipeline's per-line records always add up: each stage's
shares sum to what the stage took off the order, no line goes below zero, the order's discount is the
sum of its lines', and a percentage or threshold always works on what the earlier stages left."""

from datetime import timedelta

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from fenxiao.common.money import apply_rate
from fenxiao.promotions import pricing
from fenxiao.promotions.models import (
    Coupon,
    FullReduction,
    FullReductionTier,
    QuantityTier,
    TimedDiscount,
    TimedDiscountItem,
    UserCoupon,
)

NOW = timezone.now()

line_st = st.tuples(st.integers(1, 50_000), st.integers(1, 6), st.booleans())  # unit price, quantity, in scope
timed_st = st.one_of(
    st.none(),
    st.tuples(st.just("percent"), st.integers(1, 9_999)),
    st.tuples(st.just("amount"), st.integers(1, 60_000)),
)
tiers_st = st.lists(st.tuples(st.integers(1, 300_000), st.integers(0, 80_000)), max_size=4, unique_by=lambda t: t[0])
coupon_st = st.one_of(
    st.none(),
    st.tuples(st.just("amount"), st.integers(1, 80_000), st.integers(0, 200_000), st.none()),
    st.tuples(st.just("percent"), st.integers(1, 9_999), st.integers(0, 200_000), st.one_of(st.none(), st.integers(0, 30_000))),
)


def _rule(tiers, scoped_products: set[int]) -> FullReduction:
    rule = FullReduction(pk=1, name="满减", basis="amount", scope="products", starts_at=NOW, ends_at=NOW + timedelta(days=1))
    rows = [FullReductionTier(pk=i + 1, rule=rule, threshold=t, amount_off_fen=off) for i, (t, off) in enumerate(tiers)]
    rule._prefetched_objects_cache = {
        "tiers": sorted(rows, key=lambda r: -r.threshold),
        "products": [_Product(pk) for pk in scoped_products],
        "categories": [],
    }
    return rule


class _Product:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _held(spec, scoped_products: set[int]) -> UserCoupon:
    kind, value, threshold, cap = spec
    coupon = Coupon(
        pk=7,
        name="券",
        kind=kind,
        amount_fen=value if kind == "amount" else 0,
        percent_off_bp=value if kind == "percent" else 0,
        cap_fen=cap,
        threshold_fen=threshold,
        scope="products",
        total_quantity=1,
    )
    coupon._prefetched_objects_cache = {"products": [_Product(pk) for pk in scoped_products], "categories": []}
    return UserCoupon(
        pk=70, coupon=coupon, user_id=1, seq=1, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1)
    )


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_st, min_size=1, max_size=12),
    timed=st.lists(timed_st, min_size=12, max_size=12),
    qty_tier=st.one_of(st.none(), st.tuples(st.integers(2, 4), st.integers(1, 9_999))),
    tiers=tiers_st,
    coupon=coupon_st,
)
def test_allocations_add_up_and_no_line_goes_below_zero(lines, timed, qty_tier, tiers, coupon):
    priced = [
        pricing.PricedLine(sku_id=i + 1, product_id=i + 1, category_id=1, quantity=qty, unit_price_fen=price, unit_cost_fen=0)
        for i, (price, qty, _scoped) in enumerate(lines)
    ]
    scoped = {i + 1 for i, (_p, _q, in_scope) in enumerate(lines) if in_scope}
    discount = TimedDiscount(pk=3, name="限时", starts_at=NOW, ends_at=NOW + timedelta(days=1))
    timed_items = {}
    for line, spec in zip(priced, timed, strict=False):
        if spec is not None:
            mode, value = spec
            timed_items[line.sku_id] = TimedDiscountItem(
                discount=discount,
                sku_id=line.sku_id,
                mode=mode,
                amount_off_fen=value if mode == "amount" else 0,
                percent_off_bp=value if mode == "percent" else 0,
            )
    quantity_tiers = {}
    if qty_tier is not None:
        quantity_tiers = {
            line.sku_id: [QuantityTier(pk=9, sku_id=line.sku_id, min_quantity=qty_tier[0], percent_off_bp=qty_tier[1])]
            for line in priced
        }
    running = pricing.Running(
        timed=timed_items,
        tiers=quantity_tiers,
        reductions=[_rule(tiers, scoped)] if tiers else [],
        coupons=[_held(coupon, scoped)] if coupon else [],
    )
    quote = pricing.Quote(lines=priced, goods_fen=sum(line.line_total_fen for line in priced))

    # Replay the stages by hand alongside the pipeline, each on what the earlier ones left.
    pricing._unit_stages(priced, running)
    after_units = {line.sku_id: line.paid_fen for line in priced}
    for line in priced:
        assert 0 <= line.unit_net_fen <= line.unit_price_fen
        assert line.paid_fen == line.unit_net_fen * line.quantity
    applied, _free = pricing._full_reduction_stage(priced, running)
    in_scope_units = sum(v for k, v in after_units.items() if k in scoped)
    expected_fr = 0
    met = [t for t in tiers if in_scope_units >= t[0]]
    if met and scoped:
        expected_fr = min(max(met)[1], in_scope_units)
    assert sum(line.stage_fen("full_reduction") for line in priced) == expected_fr
    after_fr = {line.sku_id: line.paid_fen for line in priced}
    options, chosen = pricing._coupon_stage(priced, running, pricing.AUTO, NOW)
    if coupon and scoped:
        kind, value, threshold, cap = coupon
        base = sum(v for k, v in after_fr.items() if k in scoped)
        worth = min(value, base) if kind == "amount" else apply_rate(base, value)
        if cap is not None and kind == "percent":
            worth = min(worth, cap)
        expected = worth if base >= threshold and base > 0 and worth > 0 else 0
        assert sum(line.stage_fen("coupon") for line in priced) == expected
        assert (chosen is not None) == (expected > 0)
    else:
        assert chosen is None

    for line in priced:
        assert line.paid_fen >= 0
        assert line.discount_fen == sum(a.amount_fen for a in line.adjustments)
        assert all(a.amount_fen > 0 for a in line.adjustments)
        if line.sku_id not in scoped:
            assert line.stage_fen("full_reduction") == 0 and line.stage_fen("coupon") == 0
    assert quote.discount_fen == sum(s["amount_fen"] for s in quote.stage_totals())
    assert quote.goods_fen - quote.discount_fen == sum(line.paid_fen for line in priced)
