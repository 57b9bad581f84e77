import pytest

from fenxiao.distribution.services import update_settings
from tests.factories import LevelFactory, StaffFactory


@pytest.fixture
def level(db):
    return LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)


@pytest.fixture
def operator(db):
    return StaffFactory()


@pytest.fixture
def admission(db, level):
    """Switch the admission mode: admission("open") / ("review") / ("threshold", threshold_fen=9900)."""

    def switch(mode, **extra):
        return update_settings(admission_mode=mode, **extra)

    return switch
