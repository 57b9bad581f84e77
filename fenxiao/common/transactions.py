"""Transactions for services that run inside their caller's.

`joined()` runs the block in the caller's transaction when there is one, without a savepoint of its
own, and in a new transaction otherwise. It is for services that refuse before they write (their
refusals leave the caller's transaction usable) and sit on hot paths, where a savepoint costs two
statements. A service whose refusal can follow a write keeps `transaction.atomic()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def joined(using: str | None = None) -> Iterator[None]:
    if transaction.get_connection(using).in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        yield


__all__ = ["joined"]
