"""The plan simulator: the seed table reproduced through a draft, the two-level line, the ceiling, the
health flag, the comparison with the current plan, synthetic scenarios and a query count that does
not grow with the number of orders. Nothing is ever written."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fenxiao.catalog.models import CommissionOverride
from fenxiao.commissions import simulator
from fenxiao.commissions.calculator import ceiling_bp_setting
from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import Commission
from fenxiao.common.errors import DomainError
from fenxiao.common.forms import percent_text
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.ledger.models import Transaction
from fenxiao.orders.models import Order
from tests.factories import (
    CategoryFactory,
    DistributorFactory,
    LevelFactory,
    OrderRecordFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def regular(db):
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500, team_bonus_bp=0)


@pytest.fixture
def partner_level(db):
    return LevelFactory(rank=3, name="合伙人", direct_rate_bp=2000, indirect_rate_bp=500, team_bonus_bp=300)


@pytest.fixture
def conf(db):
    obj, _ = DistributionSettings.objects.get_or_create(pk=1)
    return obj


def sku_in(slug, retail_yuan, cost_yuan, *, override_bp=None):
    category = CategoryFactory(slug=slug, name={"beauty": "美妆", "food": "食品", "appliance": "家电"}.get(slug, slug))
    if override_bp is not None and not CommissionOverride.objects.filter(category=category, depth=1).exists():
        CommissionOverride.objects.create(category=category, depth=1, mode="rate", rate_bp=override_bp)
    return SkuFactory(
        product=ProductFactory(category=category),
        retail_fen=retail_yuan * 100,
        cost_fen=cost_yuan * 100,
        suggested_retail_fen=retail_yuan * 100,
        control_fen=retail_yuan * 100,
    )


@pytest.fixture
def skus(db):
    """The seed table: beauty ¥150 (cost ¥50), food ¥50 (cost ¥20, 16% override), appliance ¥1,500
    (cost ¥600, 10% override)."""
    return {
        "beauty": sku_in("beauty", 150, 50),
        "food": sku_in("food", 50, 20, override_bp=1600),
        "appliance": sku_in("appliance", 1500, 600, override_bp=1000),
    }


@pytest.fixture
def network(regular, partner_level, conf):
    """P (partner) → A (regular) → B (regular)."""
    p = DistributorFactory(level=partner_level)
    a = DistributorFactory(level=regular, inviter=p)
    b = DistributorFactory(level=regular, inviter=a)
    return {"P": p, "A": a, "B": b}


def paid_order(distributor, items, *, days_ago=1, refunded=None, status=Order.Status.PAID, self_purchase=False):
    """An order credited to `distributor`, recorded in its final state: items are (sku, quantity),
    `refunded` maps a SKU id to the amount refunded on its line; ¥8 shipping."""
    refunded = refunded or {}
    return OrderRecordFactory(
        user=distributor.user if self_purchase else UserFactory(),
        distributor=distributor,
        is_self_purchase=self_purchase,
        status=status,
        shipping_fen=800,
        paid_at=timezone.now() - timedelta(days=days_ago),
        completed_at=None,
        lines=[{"sku": sku, "quantity": quantity, "refunded_fen": refunded.get(sku.pk, 0)} for sku, quantity in items],
    )


def seed_orders(network, skus):
    a = network["A"]
    paid_order(a, [(skus["beauty"], 1)])
    paid_order(a, [(skus["food"], 1), (skus["appliance"], 1)])


def twenty_percent(regular):
    return simulator.draft_plan(levels={regular.pk: {"direct_rate_bp": 2000}})


def test_seed_table_through_a_draft(network, skus, regular, partner_level):
    seed_orders(network, skus)
    # out of scope: cancelled, paid before the window, never paid
    paid_order(network["A"], [(skus["beauty"], 3)], status=Order.Status.CANCELLED)
    paid_order(network["A"], [(skus["beauty"], 3)], days_ago=31)

    result = simulator.simulate(twenty_percent(regular), simulator.WindowScope(days=30))
    assert (result.order_count, result.line_count, result.gmv_fen, result.sales_fen) == (2, 3, 170000, 170000)
    draft, current = result.draft, result.current
    # beauty ¥150 at the draft's 20% → 3,000; food 16% → 800; appliance 10% → 15,000 (category overrides)
    assert draft.direct_fen == 3000 + 800 + 15000
    assert current.direct_fen == 1500 + 800 + 15000  # the level's 10% today
    assert draft.indirect_fen == current.indirect_fen == 750 + 250 + 7500  # P's 5% indirect
    assert draft.commission_fen == 27300 and current.commission_fen == 25800
    assert result.delta["commission_fen"] == 1500 and result.delta["direct_fen"] == 1500
    assert draft.commission_share_bp == 27300 * 10000 // 170000 == 1605
    assert (draft.health, current.health) == ("healthy", "healthy")
    # P's team: A's sales (own sales excluded) at 3%
    assert draft.team_bonus_fen == current.team_bonus_fen == 170000 * 300 // 10000
    assert draft.capped_lines == 0

    beauty = next(c for c in draft.categories if c.name == "美妆")
    assert (beauty.sales_fen, beauty.cost_fen, beauty.commission_fen, beauty.margin_fen) == (15000, 5000, 3750, 6250)
    assert beauty.margin_rate_bp == 4166
    assert draft.platform_margin_fen == 170000 - (5000 + 2000 + 60000) - 27300
    assert sum(c.margin_fen for c in draft.categories) == draft.platform_margin_fen

    a, p = network["A"], network["P"]
    assert [(e.distributor_id, e.total_fen) for e in draft.top_earners] == [(a.pk, 18800), (p.pk, 8500)]
    top = draft.top_earners[0]
    assert (top.code, top.level) == (a.code, "普通分销商")
    assert top.masked_phone == a.user.phone[:3] + "****" + a.user.phone[-4:]

    data = result.as_dict()
    assert data["draft"]["commission_fen"] == 27300 and data["draft_plan"]["commission_levels"] == 2


def test_a_third_level_is_refused_like_everywhere_else(regular):
    with pytest.raises(DomainError) as exc:
        simulator.draft_plan(commission_levels=3)
    assert exc.value.code == "commission_depth_exceeded"
    with pytest.raises(DomainError) as exc:
        simulator.draft_plan(levels={regular.pk: {"third_rate_bp": 100}})
    assert exc.value.code == "commission_depth_exceeded"
    for bad, code in (
        ({"commission_levels": 0}, "invalid_setting"),
        ({"levels": {regular.pk: {"direct_rate_bp": 10001}}}, "invalid_rate"),
        ({"levels": {regular.pk: {"direct_rate_bp": 6000, "indirect_rate_bp": 5000}}}, "invalid_rate"),
        ({"levels": {regular.pk: {"bonus": 1}}}, "invalid_plan"),
        ({"levels": {999999: {"direct_rate_bp": 1}}}, "unknown_level"),
        ({"ceiling_bp": 10001}, "invalid_ceiling"),
        ({"self_purchase_commission": "yes"}, "invalid_setting"),
    ):
        with pytest.raises(DomainError) as exc:
            simulator.draft_plan(**bad)
        assert exc.value.code == code, bad


def test_one_level_plan_pays_no_indirect(network, skus, regular):
    seed_orders(network, skus)
    result = simulator.simulate(simulator.draft_plan(commission_levels=1), simulator.WindowScope())
    assert result.draft.indirect_fen == 0 and result.current.indirect_fen == 8500
    assert result.delta["indirect_fen"] == -8500


def test_ceiling_counts_lines_and_the_amount_cut(network, skus, regular):
    seed_orders(network, skus)
    draft = simulator.draft_plan(levels={regular.pk: {"direct_rate_bp": 2000}}, ceiling_bp=1000)
    result = simulator.simulate(draft, simulator.WindowScope())
    # caps at 10% of the margin: beauty 1,000 (of 3,750), food 300 (of 1,050), appliance 9,000 (of 22,500)
    assert result.draft.capped_lines == 3
    assert result.draft.capped_cut_fen == (3750 - 1000) + (1050 - 300) + (22500 - 9000)
    assert result.draft.commission_fen == 1000 + 300 + 9000
    assert result.current.capped_lines == 0
    assert result.delta["capped_lines"] == 3


def test_health_flag_thresholds():
    assert simulator.health_of(999) == "low"
    assert simulator.health_of(1000) == "healthy"
    assert simulator.health_of(2000) == "healthy"
    assert simulator.health_of(2001) == "high"
    assert simulator.health_of(0, 0) == "no_sales"


def test_health_flag_through_plans(network, skus, regular, partner_level):
    paid_order(network["A"], [(skus["beauty"], 1)])  # margin 10,000 on ¥150: the 50% ceiling allows 5,000
    low = simulator.draft_plan(levels={regular.pk: {"direct_rate_bp": 500}, partner_level.pk: {"indirect_rate_bp": 400}})
    high = simulator.draft_plan(levels={regular.pk: {"direct_rate_bp": 3000}, partner_level.pk: {"indirect_rate_bp": 300}})
    assert simulator.simulate(low, simulator.WindowScope()).draft.health == "low"  # 1,350 of 15,000 = 9%
    result = simulator.simulate(high, simulator.WindowScope())  # 4,950 = 33%
    assert (result.draft.commission_share_bp, result.draft.health) == (3300, "high")
    assert result.draft.health_label


def test_self_purchase_setting_and_refunds(network, skus, regular, conf):
    a = network["A"]
    paid_order(a, [(skus["beauty"], 1)], self_purchase=True)
    paid_order(a, [(skus["beauty"], 1)], refunded={skus["beauty"].pk: 5000})
    draft = simulator.draft_plan(self_purchase_commission=False)
    net = simulator.simulate(draft, simulator.WindowScope(net_of_refunds=True))
    # self-purchase: no direct commission under the draft; refunded line: a third taken back
    assert net.draft.direct_fen == 0 + (1500 - 500)
    assert net.current.direct_fen == 1500 + (1500 - 500)
    assert (net.gmv_fen, net.refunded_fen, net.sales_fen) == (30000, 5000, 25000)
    gross = simulator.simulate(draft, simulator.WindowScope(net_of_refunds=False))
    assert gross.draft.direct_fen == 1500 and gross.sales_fen == 30000


def test_team_bonus_estimate_counts_two_levels_and_approved_members(network, skus, regular, partner_level):
    p, a, b = network["P"], network["A"], network["B"]
    c = DistributorFactory(level=regular, inviter=b)  # three levels below P
    paid_order(b, [(skus["beauty"], 1)])  # P's indirect member
    paid_order(c, [(skus["food"], 1)])  # not in P's team
    paid_order(p, [(skus["appliance"], 1)])  # P's own sales
    a.status = Distributor.Status.SUSPENDED  # A earns nothing, but its invitee B still counts
    a.save(update_fields=["status"])
    draft = simulator.draft_plan(levels={partner_level.pk: {"team_bonus_bp": 500}})
    result = simulator.simulate(draft, simulator.WindowScope())
    assert result.current.team_bonus_fen == 15000 * 300 // 10000
    assert result.draft.team_bonus_fen == 15000 * 500 // 10000
    assert result.delta["team_bonus_fen"] == 300


def test_synthetic_scenario_is_deterministic_with_a_seed(network, skus, regular):
    draft = twenty_percent(regular)
    scope = simulator.SyntheticScope(order_count=400, avg_order_value_fen=12000, indirect_share_bp=6000, seed=7)
    first = simulator.simulate(draft, scope).as_dict()
    again = simulator.simulate(draft, scope).as_dict()
    assert first == again
    assert first["gmv_fen"] == 400 * 12000 and first["order_count"] == 400
    assert first["draft"]["indirect_fen"] > 0 and first["draft"]["commission_fen"] > first["current"]["commission_fen"]
    other = simulator.simulate(draft, simulator.SyntheticScope(order_count=400, avg_order_value_fen=12000, seed=8)).as_dict()
    assert other["draft"] != first["draft"]
    # cost ratio from the category's SKUs: beauty ¥50 / ¥150
    beauty = skus["beauty"].product.category_id
    only_beauty = simulator.simulate(
        draft, simulator.SyntheticScope(order_count=10, avg_order_value_fen=15000, category_mix={beauty: 1}, indirect_share_bp=0)
    )
    assert only_beauty.scope["cost_ratio_bp"] == {str(beauty): 3333}
    assert [c.category_id for c in only_beauty.draft.categories] == [beauty]
    assert only_beauty.draft.indirect_fen == 0
    assert only_beauty.draft.top_earners == ()


def test_synthetic_scope_is_checked(skus, regular):
    for kwargs in (
        {"order_count": 0, "avg_order_value_fen": 100},
        {"order_count": 10, "avg_order_value_fen": 0},
        {"order_count": 10, "avg_order_value_fen": 100, "indirect_share_bp": 10001},
        {"order_count": 10, "avg_order_value_fen": 100, "category_mix": {}},
        {"order_count": 10, "avg_order_value_fen": 100, "category_mix": {skus["food"].product.category_id: 0}},
    ):
        with pytest.raises(CommissionError) as exc:
            simulator.SyntheticScope(**kwargs)
        assert exc.value.code == "invalid_scope", kwargs
    with pytest.raises(CommissionError) as exc:
        simulator.simulate(simulator.current_plan(), simulator.SyntheticScope(10, 100, category_mix={987654: 1}))
    assert exc.value.code == "invalid_scope"
    for days in (0, 366):
        with pytest.raises(CommissionError):
            simulator.WindowScope(days=days)


def test_query_count_does_not_grow_with_orders(network, skus, regular, partner_level):
    draft = twenty_percent(regular)
    scope = simulator.WindowScope()
    product_sku = sku_in("gift", 300, 100)
    CommissionOverride.objects.create(product=product_sku.product, depth=2, mode="fixed", fixed_fen=200)

    paid_order(network["A"], [(skus["beauty"], 1)])
    with CaptureQueriesContext(connection) as one:
        simulator.simulate(draft, scope)
    sellers = [network["A"], network["B"], network["P"]] + [
        DistributorFactory(level=regular, inviter=network["B"]) for _ in range(4)
    ]
    for i in range(19):
        paid_order(sellers[i % len(sellers)], [(skus["food"], 1 + i % 3), (product_sku, 1), (skus["appliance"], 1)])
    with CaptureQueriesContext(connection) as many:
        result = simulator.simulate(draft, scope)
    assert result.order_count == 20
    assert len(one.captured_queries) == len(many.captured_queries), [q["sql"][:80] for q in many.captured_queries]
    assert len(many.captured_queries) <= 8


def test_nothing_is_written(network, skus, regular):
    seed_orders(network, skus)
    with CaptureQueriesContext(connection) as ctx:
        simulator.simulate(twenty_percent(regular), simulator.WindowScope())
        simulator.simulate(twenty_percent(regular), simulator.SyntheticScope(order_count=50, avg_order_value_fen=8000))
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert not Commission.objects.exists() and not Transaction.objects.exists()
    regular.refresh_from_db()
    assert regular.direct_rate_bp == 1000


# --- the admin page --------------------------------------------------------------------------------

SIM_URL = "/admin/commissions/teambonus/simulator/"


def form_data(levels, **changes):
    data = {
        "commission_levels": "2",
        "self_purchase_commission": "on",
        "ceiling_bp": "50",
        "scope": "window",
        "days": "30",
        "net_of_refunds": "on",
        "order_count": "100",
        "avg_order_yuan": "120",
        "indirect_share_bp": "50",
        "seed": "1",
    }
    for level in levels:
        data.update(
            {
                f"direct_{level.pk}": percent_text(level.direct_rate_bp),
                f"indirect_{level.pk}": percent_text(level.indirect_rate_bp),
                f"bonus_{level.pk}": percent_text(level.team_bonus_bp),
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(client):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())
    return client


def test_admin_page_prefilled_and_linked(admin_client, network, skus, regular, partner_level):
    response = admin_client.get(SIM_URL)
    assert response.status_code == 200
    form = response.context["form"]
    # rates are shown in percent: 1000 bp reads "10"
    assert form[f"direct_{regular.pk}"].value() == "10" and form["commission_levels"].value() == 2
    assert form["ceiling_bp"].value() == percent_text(ceiling_bp_setting()) and form["days"].value() == 30
    assert "保存方案" not in response.content.decode()  # nothing previewed yet
    assert SIM_URL in admin_client.get("/admin/commissions/").content.decode()
    assert SIM_URL in admin_client.get("/admin/commissions/teambonus/").content.decode()


def test_admin_preview_then_save_applies_exactly_the_previewed_values(admin_client, network, skus, regular, partner_level, conf):
    seed_orders(network, skus)
    levels = [regular, partner_level]
    data = form_data(levels, **{f"direct_{regular.pk}": "20", "self_purchase_commission": None, "_preview": "1"})
    response = admin_client.post(SIM_URL, data)
    assert response.status_code == 200, response.context["form"].errors
    result = response.context["result"]
    assert (result.draft.direct_fen, result.current.direct_fen) == (18800, 17300)
    page = response.content.decode()
    assert "现行方案" in page and "保存方案" in page and "美妆" in page
    signature = response.context["preview_hash"]
    regular.refresh_from_db()
    assert regular.direct_rate_bp == 1000  # a preview saves nothing

    # values changed after the preview: refused
    tampered = form_data(
        levels, **{f"direct_{regular.pk}": "25", "self_purchase_commission": None, "_save": "1", "preview_hash": signature}
    )
    response = admin_client.post(SIM_URL, tampered)
    assert response.status_code == 200 and "重新预测" in response.content.decode()
    # no preview at all: refused
    unsigned = form_data(levels, **{f"direct_{regular.pk}": "20", "self_purchase_commission": None, "_save": "1"})
    assert admin_client.post(SIM_URL, unsigned).status_code == 200
    regular.refresh_from_db()
    conf.refresh_from_db()
    assert (regular.direct_rate_bp, conf.self_purchase_commission) == (1000, True)

    saved = form_data(
        levels, **{f"direct_{regular.pk}": "20", "self_purchase_commission": None, "_save": "1", "preview_hash": signature}
    )
    response = admin_client.post(SIM_URL, saved)
    assert response.status_code == 302
    regular.refresh_from_db()
    conf.refresh_from_db()
    assert (regular.direct_rate_bp, regular.indirect_rate_bp, conf.self_purchase_commission) == (2000, 500, False)
    partner_level.refresh_from_db()
    assert partner_level.direct_rate_bp == 2000  # untouched


def test_admin_refuses_a_third_level(admin_client, network, regular, partner_level, conf):
    levels = [regular, partner_level]
    response = admin_client.post(SIM_URL, form_data(levels, commission_levels="3", _preview="1"))
    assert response.status_code == 200
    assert response.context["result"] is None and "最多两级" in response.content.decode()
    # even with a signature of some other preview, saving three levels is refused
    ok = admin_client.post(SIM_URL, form_data(levels, _preview="1"))
    response = admin_client.post(
        SIM_URL, form_data(levels, commission_levels="3", _save="1", preview_hash=ok.context["preview_hash"])
    )
    assert response.status_code == 200
    conf.refresh_from_db()
    assert conf.commission_levels == 2


def test_admin_refuses_rates_over_100_percent_and_three_decimals(admin_client, network, regular, partner_level):
    levels = [regular, partner_level]
    response = admin_client.post(SIM_URL, form_data(levels, **{f"direct_{regular.pk}": "100.5", "_preview": "1"}))
    assert response.context["result"] is None and "100%" in response.context["form"].errors[f"direct_{regular.pk}"][0]
    response = admin_client.post(SIM_URL, form_data(levels, avg_order_yuan="99.999", scope="synthetic", _preview="1"))
    assert response.context["result"] is None and "两位小数" in response.context["form"].errors["avg_order_yuan"][0]


def test_admin_synthetic_preview(admin_client, network, skus, regular, partner_level):
    data = form_data([regular, partner_level], scope="synthetic", order_count="200", avg_order_yuan="99.90", _preview="1")
    data[f"mix_{skus['beauty'].product.category_id}"] = "3"
    response = admin_client.post(SIM_URL, data)
    assert response.status_code == 200, response.context["form"].errors
    assert response.context["result"].gmv_fen == 200 * 9990
    bad = form_data([regular, partner_level], scope="synthetic", order_count="0", _preview="1")
    response = admin_client.post(SIM_URL, bad)
    assert response.context["result"] is None and response.context["form"].non_field_errors()


def test_admin_large_synthetic_preview_goes_to_the_background_job(admin_client, network, skus, regular, partner_level):
    from fenxiao.commissions.admin.team_bonus import SYNTHETIC_PREVIEW_MAX
    from fenxiao.console.models import BackgroundJob

    data = form_data([regular, partner_level], scope="synthetic", order_count=str(SYNTHETIC_PREVIEW_MAX + 1), _preview="1")
    data[f"mix_{skus['beauty'].product.category_id}"] = "1"
    response = admin_client.post(SIM_URL, data)
    start = reverse("console:start_job", args=["commissions.simulation"])
    assert response.status_code == 307 and response["Location"] == start
    assert not BackgroundJob.objects.exists()  # nothing computed here; the browser posts the form on
    followed = admin_client.post(response["Location"], data)
    job = BackgroundJob.objects.get()
    assert followed.status_code == 302 and followed["Location"] == reverse("console:job", args=[job.pk])
    assert job.params["form"]["order_count"] == str(SYNTHETIC_PREVIEW_MAX + 1) and "_preview" not in job.params["form"]


def test_admin_page_needs_the_plan_permissions(client, network):
    from django.contrib.auth.models import Group

    def staff_in(name):
        user = UserFactory(is_staff=True)
        user.groups.add(Group.objects.get(name=name))
        return user

    client.force_login(staff_in("财务"))
    assert client.get(SIM_URL).status_code == 403
    client.force_login(staff_in("运营"))
    assert client.get(SIM_URL).status_code == 200


def test_synthetic_scenario_with_the_promotions_running(network, skus, regular):
    from datetime import timedelta

    from django.utils import timezone

    from fenxiao.promotions.models import FullReduction, FullReductionTier

    draft = twenty_percent(regular)
    beauty = skus["beauty"].product.category_id
    scope = dict(order_count=50, avg_order_value_fen=15000, category_mix={beauty: 1}, indirect_share_bp=0, seed=3)
    plain = simulator.simulate(draft, simulator.SyntheticScope(**scope))
    now = timezone.now()
    rule = FullReduction.objects.create(name="满100减20", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    FullReductionTier.objects.create(rule=rule, threshold=10000, amount_off_fen=2000)
    unchanged = simulator.simulate(draft, simulator.SyntheticScope(**scope))
    assert unchanged.as_dict() == plain.as_dict()  # only when asked
    priced = simulator.simulate(draft, simulator.SyntheticScope(**scope, with_promotions=True))
    # every order whose list value reaches ¥100 pays ¥20 less; the commission follows what is paid
    assert priced.scope["promotion_discount_fen"] > 0
    assert priced.gmv_fen == plain.gmv_fen - priced.scope["promotion_discount_fen"]
    assert priced.draft.commission_fen < plain.draft.commission_fen
    assert priced.cost_fen == plain.cost_fen
    assert priced.draft.platform_margin_fen < plain.draft.platform_margin_fen
