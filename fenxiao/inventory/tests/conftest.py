import pytest

from tests.factories import SkuFactory


@pytest.fixture
def sku(db):
    return SkuFactory(stock=10)
