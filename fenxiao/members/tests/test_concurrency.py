"""Two orders spending the same points at once, each in its own thread, connection and transaction:
the balance covers one, so exactly one wins and nothing is overspent — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from fenxiao.members import selectors, services
from fenxiao.members.errors import MemberError
from fenxiao.members.models import PointsAccount, PointsLot, PointsMovement
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(actions) -> Counter:
    start = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def worker(action) -> None:
        start.wait()
        try:
            with transaction.atomic():
                action()
            outcomes.append("ok")
        except MemberError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock or a lock timeout would land here and fail the test
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a spend never finished"
    return Counter(outcomes)


def test_two_spends_of_a_balance_that_covers_one():
    user = UserFactory()
    services.grant(user.pk, 60, reference="g1")
    services.grant(user.pk, 40, reference="g2")

    outcomes = run_together([lambda: services.spend(user.pk, 70, "order:a"), lambda: services.spend(user.pk, 70, "order:b")])

    assert outcomes == Counter({"ok": 1, "insufficient_points": 1})
    assert PointsAccount.objects.get(user=user).available == 30
    assert sorted(PointsLot.objects.filter(user=user).values_list("remaining", flat=True)) == [0, 30]
    assert PointsMovement.objects.filter(kind="spend").values("reference").distinct().count() == 1
    assert list(selectors.mismatches()) == []


def test_many_spends_and_returns_at_once_keep_the_books():
    user = UserFactory()
    services.grant(user.pk, 100, reference="g")
    for i in range(5):
        services.spend(user.pk, 10, f"old:{i}")

    actions = [lambda i=i: services.spend(user.pk, 20, f"new:{i}") for i in range(8)]
    actions += [lambda i=i: services.return_spent(f"old:{i}") for i in range(5)]
    outcomes = run_together(actions)

    spent = PointsMovement.objects.filter(kind="spend", reference__startswith="new:").count()
    assert set(outcomes) <= {"ok", "insufficient_points"}
    assert outcomes["ok"] == 5 + spent
    assert 2 <= spent <= 5
    assert PointsAccount.objects.get(user=user).available == 100 - 20 * spent
    assert list(selectors.mismatches()) == []
