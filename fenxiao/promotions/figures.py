"""What each promotion did: coupons issued and used (read here), and the orders that used it, the GMV
they drove and what it cost (read from the orders, which sit above this app: the orders' reader is
registered once at start-up, as payment handlers are, see `register_order_reader`).

    figures(Kind.COUPON, [1, 2]) → {1: {"issued": 10, "used": 3, "orders": 3, "gmv_fen": …, "cost_fen": …}, 2: …}

A constant number of queries whatever the number of ids."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count

from .models import Coupon, PromotionAudit, UserCoupon
from .stages import PriceStage

Kind = PromotionAudit.Kind
OrderReader = Callable[[str, Iterable[int]], dict[int, dict[str, int]]]

STAGES: dict[str, str] = {
    Kind.COUPON: PriceStage.COUPON,
    Kind.FULL_REDUCTION: PriceStage.FULL_REDUCTION,
    Kind.TIMED_DISCOUNT: PriceStage.TIMED,
}
ORDER_FIGURES = ("orders", "gmv_fen", "cost_fen")

_reader: list[OrderReader] = []
_lock = threading.Lock()


def register_order_reader(reader: OrderReader) -> None:
    """`reader(stage, source_ids)` answers `{id: {"orders", "gmv_fen", "cost_fen"}}`; registering the
    same reader again is harmless, another one is refused."""
    if not callable(reader):
        raise ImproperlyConfigured("promotion figures: the order reader must be callable")
    with _lock:
        if _reader and _reader[0] is not reader:
            raise ImproperlyConfigured("promotion figures: another order reader is registered")
        _reader[:] = [reader]


def order_reader() -> OrderReader | None:
    return _reader[0] if _reader else None


def figures(kind: str, ids: Iterable[int]) -> dict[int, dict[str, int]]:
    wanted = sorted({int(i) for i in ids})
    out: dict[int, dict[str, Any]] = {i: dict.fromkeys(ORDER_FIGURES, 0) for i in wanted}
    if not wanted:
        return out
    reader = order_reader()
    if reader is not None and kind in STAGES:
        for pk, row in reader(STAGES[kind], wanted).items():
            out[pk].update({name: row.get(name, 0) for name in ORDER_FIGURES})
    if kind == Kind.COUPON:
        issued = dict(Coupon.objects.filter(pk__in=wanted).values_list("pk", "issued_count"))
        used = dict(
            UserCoupon.objects.filter(coupon_id__in=wanted, status=UserCoupon.Status.USED)
            .values("coupon_id")
            .annotate(n=Count("id"))
            .values_list("coupon_id", "n")
            .order_by()
        )
        for pk in wanted:
            out[pk]["issued"] = issued.get(pk, 0)
            out[pk]["used"] = used.get(pk, 0)
    return out
