"""Applications racing for one credit code: exactly one is recorded. Runs on SQLite and PostgreSQL."""

import threading

import pytest
from django.db import connection

from fenxiao.suppliers import services
from fenxiao.suppliers.errors import SupplierError
from fenxiao.suppliers.models import Supplier
from tests.factories import UserFactory

from .conftest import application, credit_code

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_with_one_credit_code_record_one():
    code = credit_code()
    users = [UserFactory() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def apply(user):
        try:
            barrier.wait(30)
            try:
                services.apply(user, **application(credit_code=code))
                result = "ok"
            except SupplierError as exc:
                result = f"{exc.status} {exc.code}"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["409 credit_code_taken"] * (THREADS - 1) + ["ok"]
    assert Supplier.objects.filter(credit_code=code).count() == 1
