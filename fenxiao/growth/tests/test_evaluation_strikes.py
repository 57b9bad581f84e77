"""A rule that downgrades only after N consecutive missed months: the streak per distributor, what
ends it, reruns that count a month once, the protection period, and N = 1 as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from fenxiao.accounts.services import issue_token
from fenxiao.distribution.models import Distributor
from fenxiao.growth import services
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import LevelChange, LevelRule, LevelStrike
from tests.api_helpers import assert_error
from tests.factories import StaffFactory

from .conftest import K, local, member, rule, sale

pytestmark = pytest.mark.django_db

# The run for a month happens on the 2nd of the next one.
RUN = {m: local(2026, m + 1, 2, 9, 0) for m in range(1, 12)}


def evaluate(month: int):
    return services.run_monthly_evaluation(f"2026-{month:02d}", now=RUN[month])


def level_of(distributor) -> str:
    return Distributor.objects.select_related("level").get(pk=distributor.pk).level.name


def strike_of(distributor):
    row = LevelStrike.objects.filter(distributor=distributor).first()
    return None if row is None else (row.level.name, row.misses, row.last_period)


@pytest.fixture
def keep_senior(regular, senior):
    """Senior is kept with ¥100 of personal sales a month; two missed months in a row take it away."""
    return rule(senior, [(K.PERSONAL_SALES_MONTH, 10000)], downgrade_enabled=True, protection_days=30, downgrade_after_months=2)


def test_two_consecutive_missed_months_before_going_down(keep_senior):
    d = member(keep_senior.level)
    run = evaluate(1)
    assert (run.evaluated, run.downgraded) == (1, 0)
    assert level_of(d) == "高级分销商"
    assert strike_of(d) == ("高级分销商", 1, "2026-01")
    assert not LevelChange.objects.exists()

    run = evaluate(2)
    assert run.downgraded == 1
    assert level_of(d) == "普通分销商"
    assert strike_of(d) is None  # going down ends the streak
    change = LevelChange.objects.get(distributor=d)
    assert (change.is_upgrade, change.period, change.from_level.name) == (False, "2026-02", "高级分销商")


def test_a_met_month_in_between_starts_over(keep_senior):
    d = member(keep_senior.level)
    evaluate(1)
    sale(d, 10000, completed_at=local(2026, 2, 14, 12, 0))
    assert evaluate(2).downgraded == 0
    assert strike_of(d) is None
    assert evaluate(3).downgraded == 0
    assert strike_of(d) == ("高级分销商", 1, "2026-03")
    assert evaluate(4).downgraded == 1
    assert level_of(d) == "普通分销商"


def test_running_a_month_again_counts_it_once(keep_senior):
    d = member(keep_senior.level)
    evaluate(1)
    again = services.run_monthly_evaluation("2026-01", now=RUN[1] + timedelta(hours=3))
    assert (again.evaluated, again.downgraded) == (1, 0)
    assert strike_of(d) == ("高级分销商", 1, "2026-01")
    assert level_of(d) == "高级分销商"
    assert evaluate(2).downgraded == 1
    assert evaluate(2).downgraded == 0  # and once down, the rerun of that month changes nothing
    assert level_of(d) == "普通分销商"
    assert LevelChange.objects.count() == 1 and not LevelStrike.objects.exists()


def test_a_skipped_month_breaks_the_streak(keep_senior):
    d = member(keep_senior.level)
    evaluate(1)
    assert evaluate(3).downgraded == 0  # February was never evaluated: March is a first miss
    assert strike_of(d) == ("高级分销商", 1, "2026-03")


def test_an_earlier_month_evaluated_later_leaves_the_streak_alone(keep_senior):
    d = member(keep_senior.level)
    evaluate(2)
    sale(d, 10000, completed_at=local(2026, 1, 14, 12, 0))
    assert services.run_monthly_evaluation("2026-01", now=RUN[2]).downgraded == 0
    assert strike_of(d) == ("高级分销商", 1, "2026-02")
    assert evaluate(3).downgraded == 1


def test_the_protection_period_still_holds(keep_senior, regular):
    d = member(keep_senior.level)
    evaluate(1)
    LevelChange.objects.create(
        distributor=d,
        from_level=regular,
        to_level=keep_senior.level,
        is_upgrade=True,
        reason="manual",
        created_at=RUN[2] - timedelta(days=10),
    )
    assert evaluate(2).downgraded == 0  # a second miss, but within 30 days of an upgrade
    assert level_of(d) == "高级分销商"
    assert strike_of(d) is None  # a protected month is not a miss: the count starts again
    assert evaluate(3).downgraded == 0
    assert evaluate(4).downgraded == 1


def test_a_change_of_level_ends_the_streak(keep_senior, partner):
    rule(partner, [(K.PERSONAL_SALES_MONTH, 50000)], downgrade_enabled=True, downgrade_after_months=2)
    d = member(keep_senior.level)
    evaluate(1)
    Distributor.objects.filter(pk=d.pk).update(level=partner)  # moved by hand, without a protecting upgrade record
    assert evaluate(2).downgraded == 0
    assert strike_of(d) == ("合伙人", 1, "2026-02")
    assert evaluate(3).downgraded == 1
    assert level_of(d) == "高级分销商"  # one level down, and a new streak there
    assert strike_of(d) is None


def test_an_upgrade_ends_the_streak(keep_senior, partner):
    rule(partner, [(K.PERSONAL_SALES_MONTH, 50000)])
    d = member(keep_senior.level)
    evaluate(1)
    sale(d, 50000, completed_at=local(2026, 2, 14, 12, 0))
    run = evaluate(2)
    assert (run.upgraded, run.downgraded) == (1, 0)
    assert level_of(d) == "合伙人" and strike_of(d) is None


def test_one_month_downgrades_at_once_without_streaks(regular, senior):
    rule(senior, [(K.PERSONAL_SALES_MONTH, 10000)], downgrade_enabled=True)
    assert LevelRule.objects.get(level=senior).downgrade_after_months == 1
    d = member(senior)
    assert evaluate(1).downgraded == 1
    assert level_of(d) == "普通分销商"
    assert not LevelStrike.objects.exists()


def test_missed_months_only_count_where_the_rule_downgrades(regular, senior):
    rule(senior, [(K.PERSONAL_SALES_MONTH, 10000)], downgrade_enabled=False, downgrade_after_months=2)
    d = member(senior)
    assert evaluate(1).downgraded == evaluate(2).downgraded == 0
    assert level_of(d) == "高级分销商" and not LevelStrike.objects.exists()


@pytest.mark.parametrize("months", [0, 13, True, "2"])
def test_the_count_of_months_is_checked(senior, months):
    with pytest.raises(GrowthError) as err:
        rule(senior, [(K.TEAM_SIZE, 1)], downgrade_after_months=months)
    assert err.value.code == "invalid_rule"


def test_rule_api_reads_and_writes_the_count(client, senior):
    staff = {"Authorization": f"Bearer {issue_token(user=StaffFactory())}"}
    url = f"/api/v1/operator/growth/rules/{senior.pk}"
    payload = {"conditions": [{"kind": K.TEAM_SIZE, "threshold": 5}], "downgrade_enabled": True, "downgrade_after_months": 3}
    response = client.put(url, payload, content_type="application/json", headers=staff)
    assert response.status_code == 200, response.content
    assert response.json()["downgrade_after_months"] == 3
    assert LevelRule.objects.get(level=senior).downgrade_after_months == 3
    listed = client.get("/api/v1/operator/growth/rules", headers=staff).json()
    assert [r["downgrade_after_months"] for r in listed] == [3]
    assert_error(
        client.put(url, {**payload, "downgrade_after_months": 13}, content_type="application/json", headers=staff),
        400,
        "invalid_rule",
    )
    assert LevelRule.objects.get(level=senior).downgrade_after_months == 3


def test_rule_admin_form_has_the_count(client, senior):
    client.force_login(StaffFactory())
    data = {
        "level": senior.pk,
        "combine": "all",
        "is_enabled": "on",
        "protection_days": "30",
        "downgrade_enabled": "on",
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "conditions-0-kind": K.TEAM_SIZE,
        "conditions-0-threshold": "5",
    }
    refused = client.post(reverse("admin:growth_levelrule_add"), {**data, "downgrade_after_months": "13"})
    assert refused.status_code == 200 and not LevelRule.objects.exists()
    response = client.post(reverse("admin:growth_levelrule_add"), {**data, "downgrade_after_months": "4"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LevelRule.objects.get(level=senior).downgrade_after_months == 4


# --- the run as a whole ------------------------------------------------------------------------


def test_the_whole_network_figures_agree_with_figures_for(tree, regular, sku):
    """The set-based figures of the monthly run against `figures_for`, on the edges of each kind."""
    from django.db import connection

    from fenxiao.growth.selectors import KINDS, everyone_figures_sql, figures_for
    from fenxiao.orders.models import Order

    p, a, b, c, s = (tree[k] for k in "PABCS")
    late = member(regular, inviter=a, approved_at=local(2026, 3, 5, 9, 0))  # approved after February
    sale(a, 10000, refunded_fen=1500, completed_at=local(2026, 2, 10, 12, 0), sku=sku)
    sale(a, 700, completed_at=local(2026, 1, 31, 12, 0), sku=sku)  # rolling 30 days, not the month
    sale(a, 800, completed_at=local(2026, 1, 20, 12, 0), sku=sku)  # neither
    sale(b, 5000, completed_at=local(2026, 2, 28, 23, 59), sku=sku)
    sale(b, 4000, completed_at=local(2026, 3, 1, 0, 0), sku=sku)  # March
    sale(c, 3000, sku=sku)  # a third level below P
    sale(s, 6000, sku=sku)  # a suspended seller is nobody's team
    sale(late, 2500, sku=sku)
    sale(p, 9000, status=Order.Status.SHIPPED, sku=sku)
    sale(None, 1200, buyer=b.user, paid_at=local(2026, 2, 1, 10, 0), sku=sku)  # B's first purchase...
    sale(None, 1100, buyer=b.user, paid_at=local(2026, 2, 1, 10, 0), sku=sku)  # ...at the same instant, later id
    sale(None, 900, buyer=c.user, paid_at=local(2026, 3, 2, 10, 0), sku=sku)  # after the window
    window = services.month_period("2026-02", now=RUN[2])[1]
    sql, params = everyone_figures_sql(window)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    assert set(rows) == set(Distributor.objects.filter(status="approved").values_list("pk", flat=True))
    expected = figures_for(list(rows), window=window)
    for pk, row in rows.items():
        assert {kind: row[kind] for kind in KINDS} == expected.of(pk), pk
    assert rows[p.pk][K.TEAM_SALES_MONTH] == 8500 + 5000 + 2500 and rows[b.pk][K.FIRST_PURCHASE_FEN] == 2200


def test_a_run_takes_the_same_queries_for_three_or_thirty(regular, senior, partner, sku):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rule(senior, [(K.PERSONAL_SALES_MONTH, 10000)], downgrade_enabled=True, downgrade_after_months=2)
    rule(partner, [(K.TEAM_SIZE, 2)], downgrade_enabled=True)
    counts = []
    # January: one of each. February: ten of each, and January's senior misses again and goes down,
    # January's partner is a senior with a first miss, January's climber is protected.
    for month, n, moves in ((1, 1, (1, 1)), (2, 10, (10, 11))):
        for _ in range(n):
            climber = member(regular)
            sale(climber, 10000, completed_at=local(2026, month, 14, 12, 0), sku=sku)
            member(senior)  # a miss: a streak
            member(partner)  # goes down at once
        with CaptureQueriesContext(connection) as captured:
            run = evaluate(month)
        assert (run.upgraded, run.downgraded) == moves
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert LevelStrike.objects.filter(misses=1, last_period="2026-02").count() == LevelStrike.objects.count() == 11
