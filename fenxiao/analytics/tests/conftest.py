import pytest

from tests.factories import LevelFactory, SkuFactory


@pytest.fixture
def level(db):
    return LevelFactory(rank=1, name="普通分销商")


@pytest.fixture
def sku(db):
    return SkuFactory()
