import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fenxiao.common.transactions import joined


@pytest.mark.django_db
def test_inside_a_transaction_it_adds_no_savepoint():
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        with joined():
            Group.objects.create(name="inside")
    assert not [q for q in ctx.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert Group.objects.filter(name="inside").exists()


@pytest.mark.django_db
def test_a_refusal_inside_leaves_the_callers_transaction_usable():
    with transaction.atomic():
        with pytest.raises(ValueError), joined():
            raise ValueError("refused before writing")
        Group.objects.create(name="after")  # the caller carries on
    assert Group.objects.filter(name="after").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_opens_one_that_rolls_back():
    with pytest.raises(ValueError), joined():
        assert connection.in_atomic_block
        Group.objects.create(name="rolled back")
        raise ValueError("after a write")
    assert not Group.objects.filter(name="rolled back").exists()
