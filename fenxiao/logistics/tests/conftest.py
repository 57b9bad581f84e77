import importlib
import secrets

import pytest
from django.apps import apps

from fenxiao.logistics.models import Carrier

from .fake_kuaidi100 import FakeKuaidi100


@pytest.fixture
def fake_kuaidi100(settings):
    """Kuaidi100 as the tracking provider, served by a local fake with an account made up for the test."""
    fake = FakeKuaidi100(customer=secrets.token_hex(16).upper(), key=secrets.token_urlsafe(12)).start()
    settings.FENXIAO_TRACKING_PROVIDER = "kuaidi100"
    settings.FENXIAO_KUAIDI100_CUSTOMER = fake.customer
    settings.FENXIAO_KUAIDI100_KEY = fake.key
    settings.FENXIAO_KUAIDI100_URL = fake.url
    settings.FENXIAO_TRACKING_TIMEOUT = 2.0
    yield fake
    fake.stop()


@pytest.fixture
def dev_tracking(settings):
    settings.FENXIAO_TRACKING_PROVIDER = "dev"


@pytest.fixture
def carriers(db):
    """The carriers the migration seeds (again, should a transactional test have flushed them)."""
    importlib.import_module("fenxiao.logistics.migrations.0002_carriers").add_carriers(apps, None)
    return {carrier.code: carrier for carrier in Carrier.objects.all()}


@pytest.fixture
def zto(carriers):
    return carriers["zhongtong"]


@pytest.fixture
def sf(carriers):
    return carriers["shunfeng"]
