import pytest

from tests.factories import ADDRESS, DistributorFactory, LevelFactory, SkuFactory, StaffFactory, UserFactory


@pytest.fixture
def address():
    return dict(ADDRESS)


@pytest.fixture
def level(db):
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)


@pytest.fixture
def distributor(level):
    return DistributorFactory(level=level)


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def operator(db):
    return StaffFactory()


@pytest.fixture
def sku(db):
    """Beauty serum: ¥150 retail, ¥50 cost, 100 in stock."""
    return SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=100)
