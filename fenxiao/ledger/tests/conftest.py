from __future__ import annotations

import threading

import pytest
from django.db import connection

from fenxiao.ledger import services
from fenxiao.ledger.models import AccountKind

CASH = "platform:cash"
PENDING = "distributor:42:pending"
WALLET = "distributor:42:available"
CLAWBACK = "distributor:43:available"
FEES = "platform:fees"


@pytest.fixture
def accounts():
    """A small chart: the platform's cash (asset), two distributor wallets (liabilities, one debt
    capable), pending commission (liability) and fee income."""
    return {
        CASH: services.get_or_create_account(CASH, kind=AccountKind.ASSET, name="平台资金"),
        PENDING: services.get_or_create_account(
            PENDING, kind=AccountKind.LIABILITY, name="预估收益", owner_type="distributor", owner_id=42
        ),
        WALLET: services.get_or_create_account(
            WALLET, kind=AccountKind.LIABILITY, name="可提现", owner_type="distributor", owner_id=42
        ),
        CLAWBACK: services.get_or_create_account(
            CLAWBACK,
            kind=AccountKind.LIABILITY,
            name="可提现（可欠款）",
            allow_negative=True,
            owner_type="distributor",
            owner_id=43,
        ),
        FEES: services.get_or_create_account(FEES, kind=AccountKind.INCOME, name="手续费收入"),
    }


def fund(code: str, amount_fen: int, key: str):
    """Put money on a liability account against the platform's cash."""
    return services.post(
        idempotency_key=key, kind="test_fund", entries=[(CASH, "debit", amount_fen), (code, "credit", amount_fen)]
    )


def run_in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released together; each closes its own connection. Returns each
    thread's result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return results
