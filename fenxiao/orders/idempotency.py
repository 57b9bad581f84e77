"""Idempotency-Key handling for requests a client may retry (order creation).

The first request with a key claims it in its own committed row before doing any work; a retry with
the same body gets the stored response, a retry with another body is refused (422), and a retry
while the first is still running is told so (409).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.common.idempotency import clean_key, fingerprint, refuse_conflict

from .errors import OrderCode, OrderError
from .models import IdempotencyRecord


def run_once(*, user, scope: str, key: str, payload, handler: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    key = clean_key(key, error=OrderError, required=True)
    request_hash = fingerprint(payload)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=user, scope=scope, key=key, request_hash=request_hash)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=user, scope=scope, key=key)
        if record.request_hash != request_hash:
            refuse_conflict(error=OrderError, key=key)
        if record.state == IdempotencyRecord.State.IN_PROGRESS:
            raise OrderError(
                OrderCode.IDEMPOTENCY_IN_PROGRESS, gettext("相同的请求正在处理中，请稍后再试"), {"key": key}, status=409
            ) from None
        return record.response_status, record.response_body
    try:
        status, body = handler()
    except DomainError as exc:
        status, body = exc.status, exc.as_dict()
    except BaseException:
        # Nothing was committed for this request: free the key so that a retry can run.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.DONE, response_status=status, response_body=body
    )
    return status, body
