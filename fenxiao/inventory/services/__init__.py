"""The only code that writes stock. Every change is one conditional or locked UPDATE, so that no
interleaving of buyers, cancellations, shipping and operators can oversell: the stock rows of a
reservation are locked in (sku_id, location) order (no deadlocks between orders taking the same
SKUs in another order), a record's batches change only under its record's lock and through
conditional updates, and the check constraints refuse whatever would slip past the conditions anyway.

On SQLite the settings begin every transaction with BEGIN IMMEDIATE, which serialises writers;
SELECT ... FOR UPDATE is then a no-op and the same code stays correct.
"""

from ._base import HELD, MAX_STOCK_CHANGE, OPENING_BATCH
from .imports import import_stock_file
from .recalls import record_recall
from .reservations import confirm, consume, expired_references, release, reserve
from .stock import adjust_stock, receive_stock, return_to_batches, set_safety_stock, transfer_stock

__all__ = [
    "HELD",
    "MAX_STOCK_CHANGE",
    "OPENING_BATCH",
    "adjust_stock",
    "confirm",
    "consume",
    "expired_references",
    "import_stock_file",
    "receive_stock",
    "record_recall",
    "release",
    "reserve",
    "return_to_batches",
    "set_safety_stock",
    "transfer_stock",
]
