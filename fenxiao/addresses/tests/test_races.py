"""Two tabs of one buyer at once: the limit and the single default hold. Runs on SQLite and PostgreSQL."""

import threading

import pytest
from django.db import connection

from fenxiao.addresses import services
from fenxiao.addresses.errors import AddressError
from fenxiao.addresses.models import MAX_ADDRESSES, Address
from tests.factories import UserFactory

from .conftest import BOOK_ADDRESS

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_keep_the_limit_and_one_default():
    user = UserFactory()
    for _ in range(MAX_ADDRESSES - 3):  # room for three more, none of them the default yet
        Address.objects.create(user=user, **services.clean_address(BOOK_ADDRESS))
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add():
        try:
            barrier.wait(30)
            try:
                services.add_address(user=user, data=BOOK_ADDRESS, make_default=True)
                result = "ok"
            except AddressError as exc:
                result = exc.code
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["address_limit"] * (THREADS - 3) + ["ok"] * 3
    assert Address.objects.filter(user=user).count() == MAX_ADDRESSES
    assert Address.objects.filter(user=user, is_default=True).count() == 1
