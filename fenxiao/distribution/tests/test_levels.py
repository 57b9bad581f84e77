"""Commission stops at two levels (direct + indirect): settings, levels and the database refuse a third."""

import pytest
from django.db import IntegrityError, transaction

from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import DistributionSettings, Level
from fenxiao.distribution.services import get_settings, save_level, update_settings

pytestmark = pytest.mark.django_db


def test_defaults():
    conf = get_settings()
    assert conf.pk == 1
    assert conf.commission_levels == 2
    assert conf.admission_mode == "review"
    assert conf.binding_policy == "permanent"


def test_commission_levels_three_is_refused_and_value_unchanged(operator):
    get_settings()
    with pytest.raises(DistributionError) as exc:
        update_settings(actor=operator, commission_levels=3)
    assert exc.value.code == "commission_depth_exceeded"
    assert exc.value.status == 400
    assert exc.value.detail == {"requested": 3, "max": 2}
    conf = DistributionSettings.objects.get(pk=1)
    assert conf.commission_levels == 2
    assert conf.updated_by is None


def test_third_level_refused_even_alongside_valid_changes():
    with pytest.raises(DistributionError) as exc:
        update_settings(binding_days=7, commission_levels=5)
    assert exc.value.code == "commission_depth_exceeded"
    conf = get_settings()
    assert (conf.binding_days, conf.commission_levels) == (30, 2)


@pytest.mark.parametrize("value", [0, -1, True, "2", 2.0, None])
def test_commission_levels_invalid_values(value):
    with pytest.raises(DistributionError) as exc:
        update_settings(commission_levels=value)
    assert exc.value.code == "invalid_setting"
    assert get_settings().commission_levels == 2


def test_commission_levels_one_and_two_are_accepted(operator):
    assert update_settings(actor=operator, commission_levels=1).commission_levels == 1
    conf = DistributionSettings.objects.get(pk=1)
    assert (conf.commission_levels, conf.updated_by_id) == (1, operator.pk)
    assert update_settings(commission_levels=2).commission_levels == 2


def test_db_constraint_refuses_three_levels():
    get_settings()
    with pytest.raises(IntegrityError), transaction.atomic():
        DistributionSettings.objects.filter(pk=1).update(commission_levels=3)
    assert DistributionSettings.objects.get(pk=1).commission_levels == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"admission_mode": "invite_only"},
        {"binding_policy": "forever"},
        {"binding_days": 0},
        {"binding_days": 3651},
        {"threshold_fen": -1},
        {"threshold_fen": 99.0},
        {"self_purchase_commission": "yes"},
        {"third_level_rate_bp": 100},
    ],
)
def test_other_invalid_settings(changes):
    with pytest.raises(DistributionError) as exc:
        update_settings(**changes)
    assert exc.value.code == "invalid_setting"


# --- levels ---------------------------------------------------------------------------------------


def test_save_level_creates_and_updates():
    level = save_level(name="普通分销商", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    assert (level.direct_rate_bp, level.indirect_rate_bp, level.team_bonus_bp) == (1000, 500, 0)
    save_level(level=level, name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=500, description="10–15%")
    level.refresh_from_db()
    assert level.direct_rate_bp == 1500
    assert Level.objects.count() == 1


@pytest.mark.parametrize("field", ["third_rate_bp", "level3_rate_bp", "tier3_bp"])
def test_save_level_with_third_level_field_refused(field):
    with pytest.raises(DistributionError) as exc:
        save_level(name="合伙人", rank=3, direct_rate_bp=2000, indirect_rate_bp=500, **{field: 100})
    assert exc.value.code == "commission_depth_exceeded"
    assert exc.value.detail["fields"] == [field]
    assert not Level.objects.exists()


def test_save_level_third_level_refused_on_update_too():
    level = save_level(name="合伙人", rank=3, direct_rate_bp=2000, indirect_rate_bp=500)
    with pytest.raises(DistributionError) as exc:
        save_level(level=level, name="合伙人", rank=3, direct_rate_bp=2500, indirect_rate_bp=500, third_rate_bp=100)
    assert exc.value.code == "commission_depth_exceeded"
    level.refresh_from_db()
    assert level.direct_rate_bp == 2000


def test_save_level_unknown_field():
    with pytest.raises(DistributionError) as exc:
        save_level(name="高级", rank=2, direct_rate_bp=1500, indirect_rate_bp=500, colour="gold")
    assert exc.value.code == "invalid_level"


@pytest.mark.parametrize(
    "rates",
    [
        {"direct_rate_bp": 10001, "indirect_rate_bp": 0},
        {"direct_rate_bp": 0, "indirect_rate_bp": 10001},
        {"direct_rate_bp": 6000, "indirect_rate_bp": 4001},  # sum over 100%
        {"direct_rate_bp": -1, "indirect_rate_bp": 500},
        {"direct_rate_bp": 1000, "indirect_rate_bp": 500, "team_bonus_bp": 10001},
        {"direct_rate_bp": 15.5, "indirect_rate_bp": 500},
    ],
)
def test_save_level_rate_limits(rates):
    with pytest.raises(DistributionError) as exc:
        save_level(name="高级", rank=2, **rates)
    assert exc.value.code == "invalid_rate"
    assert not Level.objects.exists()


def test_save_level_sum_of_exactly_100_percent_is_allowed():
    assert save_level(name="满额", rank=1, direct_rate_bp=6000, indirect_rate_bp=4000).pk


def test_save_level_rank_and_name_unique():
    save_level(name="普通", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    with pytest.raises(DistributionError) as exc:
        save_level(name="别的", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    assert (exc.value.code, exc.value.status) == ("invalid_level", 409)
    with pytest.raises(DistributionError) as exc:
        save_level(name=" 普通 ", rank=2, direct_rate_bp=1000, indirect_rate_bp=500)
    assert (exc.value.code, exc.value.status) == ("invalid_level", 409)


def test_db_refuses_level_rate_over_100_percent():
    level = save_level(name="普通", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    with pytest.raises(IntegrityError), transaction.atomic():
        Level.objects.filter(pk=level.pk).update(direct_rate_bp=10001)
