import pytest

from fenxiao.distribution.models import DistributionSettings
from fenxiao.distribution.services import bind_customer
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory


@pytest.fixture
def level(db):
    """The seed's ordinary level: 20% direct, 5% indirect."""
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=2000, indirect_rate_bp=500)


@pytest.fixture
def upline(level):
    return DistributorFactory(level=level)


@pytest.fixture
def distributor(level, upline):
    return DistributorFactory(level=level, inviter=upline)


@pytest.fixture
def conf(db):
    obj, _ = DistributionSettings.objects.get_or_create(pk=1)
    return obj


@pytest.fixture
def beauty(db):
    """Beauty serum: ¥150 retail, ¥50 cost."""
    return SkuFactory(
        product=ProductFactory(category=CategoryFactory(slug="beauty", name="美妆")),
        retail_fen=15000,
        suggested_retail_fen=15000,
        control_fen=12900,
        cost_fen=5000,
        stock=100,
    )


@pytest.fixture
def bound_buyer(distributor):
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=distributor)
    return buyer
