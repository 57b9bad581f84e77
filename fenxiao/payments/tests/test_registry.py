import pytest
from django.core.exceptions import ImproperlyConfigured

from fenxiao.payments import registry


def on_paid(payment):
    return None


def other_on_paid(payment):
    return None


@pytest.fixture
def purpose():
    yield "test_registry"
    registry.unregister_handler("test_registry")


def test_register_and_look_up(purpose):
    assert registry.get_handler(purpose) is None
    registry.register_handler(purpose, on_paid=on_paid)
    handler = registry.get_handler(purpose)
    assert handler.on_paid is on_paid and handler.on_refunded is None
    assert purpose in registry.registered_purposes()
    registry.register_handler(purpose, on_paid=on_paid)  # the same registration again (ready() twice) is fine


def test_a_purpose_has_one_handler(purpose):
    registry.register_handler(purpose, on_paid=on_paid)
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler(purpose, on_paid=other_on_paid)
    assert registry.get_handler(purpose).on_paid is on_paid


@pytest.mark.parametrize("bad", ["", "Order", "order-1", "x" * 33, None])
def test_purpose_names_are_checked(bad):
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler(bad, on_paid=on_paid)


def test_handlers_must_be_callable(purpose):
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler(purpose, on_paid="not callable")
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler(purpose, on_paid=on_paid, on_refunded=42)
