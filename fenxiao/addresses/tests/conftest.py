import pytest

from tests.factories import UserFactory

# A valid address-book entry (copy it: `dict(BOOK_ADDRESS)`): 浙江省 杭州市 西湖区 by division code.
BOOK_ADDRESS = {
    "receiver": "王小明",
    "phone": "13812345678",
    "province_code": "33",
    "city_code": "3301",
    "district_code": "330106",
    "detail": "文三路 100 号 3 幢 501",
}


@pytest.fixture
def book_address():
    return dict(BOOK_ADDRESS)


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def other_buyer(db):
    return UserFactory()
