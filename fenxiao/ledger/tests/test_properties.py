"""Whatever balanced postings arrive, all debits equal all credits, every cached balance equals the
sum of its entries, and a posting refused for want of balance leaves no trace."""

import itertools

import pytest
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.ledger import selectors, services
from fenxiao.ledger.errors import LedgerError
from fenxiao.ledger.models import Account, AccountKind, Entry, Transaction

CHART = [
    ("p:cash", AccountKind.ASSET, True),
    ("p:bank", AccountKind.ASSET, False),
    ("d:1:wallet", AccountKind.LIABILITY, False),
    ("d:2:wallet", AccountKind.LIABILITY, True),
    ("p:income", AccountKind.INCOME, False),
    ("p:expense", AccountKind.EXPENSE, False),
    ("p:equity", AccountKind.EQUITY, True),
]
account_index = st.integers(0, len(CHART) - 1)
amount = st.integers(1, 10**9)


@st.composite
def balanced_entries(draw):
    """A few debits, and credits that split the same total at random cut points."""
    debits = draw(st.lists(st.tuples(account_index, amount), min_size=1, max_size=4))
    total = sum(a for _i, a in debits)
    cuts = draw(st.lists(st.integers(1, total - 1), max_size=min(3, total - 1), unique=True)) if total > 1 else []
    bounds = [0, *sorted(cuts), total]
    credits = [(draw(account_index), high - low) for low, high in itertools.pairwise(bounds)]
    entries = [(CHART[i][0], "debit", a) for i, a in debits] + [(CHART[i][0], "credit", a) for i, a in credits]
    return draw(st.permutations(entries))


counter = itertools.count()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(postings=st.lists(balanced_entries(), min_size=1, max_size=6))
def test_balanced_postings_keep_the_books_balanced(postings):
    for code, kind, allow_negative in CHART:
        services.get_or_create_account(code, kind=kind, allow_negative=allow_negative)
    for entries in postings:
        before = (Transaction.objects.count(), Entry.objects.count(), dict(Account.objects.values_list("code", "balance_fen")))
        try:
            services.post(idempotency_key=f"prop:{next(counter)}", kind="property", entries=entries)
        except LedgerError as exc:
            assert exc.code == "insufficient_balance"
            after = (Transaction.objects.count(), Entry.objects.count(), dict(Account.objects.values_list("code", "balance_fen")))
            assert after == before

    sums = Entry.objects.aggregate(
        d=Sum("amount_fen", filter=Q(side="debit"), default=0), c=Sum("amount_fen", filter=Q(side="credit"), default=0)
    )
    assert sums["d"] == sums["c"]
    for code, _kind, allow_negative in CHART:
        cached = selectors.cached_balance(code)
        assert cached == selectors.balance(code)
        assert allow_negative or cached >= 0
    assert list(selectors.violations()) == []
