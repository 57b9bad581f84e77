"""Stock receipts from a file (.xlsx or .csv), as a supplier keeps its own stock: columns SKU编码,
数量, 批次号, 生产日期, 到期日 under a header row. Every row is checked before anything is written;
the file is received whole or not at all."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.common import spreadsheets
from fenxiao.inventory.errors import InventoryCode, InventoryError
from fenxiao.inventory.models import StockBatch

from ._base import BATCH_NUMBER_MAX, MAX_STOCK_CHANGE
from .stock import receive_stock

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = ("SKU编码", "数量", "批次号", "生产日期", "到期日")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class RowResult:
    row: int  # the line in the file (the header is line 1)
    sku_code: str
    quantity: int | None = None
    batch_number: str = ""
    production_date: date | None = None
    expiry_date: date | None = None
    errors: list[str] = field(default_factory=list)
    sku_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "sku_code": self.sku_code,
            "quantity": self.quantity,
            "batch_number": self.batch_number,
            "production_date": self.production_date.isoformat() if self.production_date else None,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "ok": self.ok,
            "errors": self.errors,
        }


@dataclass
class ImportResult:
    applied: bool
    rows: list[RowResult]

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def units(self) -> int:
        return sum(r.quantity or 0 for r in self.rows) if self.applied else 0


def _invalid(message: str, **detail) -> InventoryError:
    return InventoryError(InventoryCode.INVALID_FILE, message, {"field": "file", **detail})


def _too_large() -> InventoryError:
    return _invalid(gettext("文件不能超过 2 MB"))


def _table(name: str, content: bytes) -> list[list[str]]:
    return spreadsheets.read_table(
        name,
        content,
        max_bytes=MAX_FILE_BYTES,
        max_rows=MAX_ROWS,
        invalid=_invalid,
        too_large=_too_large,
    )


def _date(text: str, label: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        if not DATE_PATTERN.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        errors.append(gettext("%(label)s不是 YYYY-MM-DD 格式的日期") % {"label": label})
        return None


def _supplier_of(location: str) -> int | None:
    if location.startswith("supplier:"):
        try:
            return int(location.split(":", 1)[1])
        except ValueError:
            return None
    return None


def read_rows(location: str, name: str, content: bytes) -> list[RowResult]:
    """Every data row of the file, checked; file-level problems raise invalid_file."""
    table = [row for row in _table(name, content) if not spreadsheets.is_blank(row)]
    if not table:
        raise _invalid(gettext("文件是空的"))
    header = [cell.strip() for cell in table[0]]
    if header[: len(COLUMNS)] != list(COLUMNS):
        raise _invalid(gettext("表头必须是：%(columns)s") % {"columns": "、".join(COLUMNS)}, columns=list(COLUMNS))
    body = table[1:]
    if not body:
        raise _invalid(gettext("文件里没有数据行"))
    if len(body) > MAX_ROWS:
        raise _invalid(gettext("文件最多 %(max)s 行") % {"max": MAX_ROWS})

    rows: list[RowResult] = []
    for index, cells in enumerate(body, start=2):
        cells = (cells + [""] * len(COLUMNS))[: len(COLUMNS)]
        code, quantity_text, number, produced_text, expiry_text = cells
        result = RowResult(row=index, sku_code=code[:64], batch_number=number)
        if not code:
            result.errors.append(gettext("缺少 SKU 编码"))
        try:
            quantity = int(quantity_text)
            if not 0 < quantity <= MAX_STOCK_CHANGE:
                raise ValueError
            result.quantity = quantity
        except ValueError:
            result.errors.append(gettext("数量必须是正整数"))
        if len(number) > BATCH_NUMBER_MAX:
            result.errors.append(gettext("批次号最多 %(max)s 个字符") % {"max": BATCH_NUMBER_MAX})
        result.production_date = _date(produced_text, gettext("生产日期"), result.errors)
        result.expiry_date = _date(expiry_text, gettext("到期日"), result.errors)
        if result.production_date and result.expiry_date and result.expiry_date < result.production_date:
            result.errors.append(gettext("到期日不能早于生产日期"))
        rows.append(result)

    skus = {
        sku.code: sku for sku in Sku.objects.filter(code__in={r.sku_code for r in rows if r.sku_code}).select_related("product")
    }
    supplier_id = _supplier_of(location)
    for result in rows:
        sku = skus.get(result.sku_code)
        if result.sku_code and sku is None:
            result.errors.append(gettext("SKU 编码不存在"))
        elif sku is not None:
            result.sku_id = sku.pk
            if supplier_id is not None and sku.fulfilment_supplier_id != supplier_id:
                result.errors.append(gettext("该 SKU 不由本供应商发货"))
    _check_batch_dates(location, rows)
    return rows


def _check_batch_dates(location: str, rows: list[RowResult]) -> None:
    """A batch number names one batch: its dates must agree across the file and with the batch
    already in stock."""
    numbered = [r for r in rows if r.batch_number and r.sku_id]
    known: dict[tuple[int | None, str], tuple[date | None, date | None]] = {
        (b.stock_record.sku_id, b.batch_number): (b.production_date, b.expiry_date)
        for b in StockBatch.objects.filter(
            stock_record__location=location,
            stock_record__sku_id__in={r.sku_id for r in numbered},
            batch_number__in={r.batch_number for r in numbered},
        ).select_related("stock_record")
    }
    for result in numbered:
        key = (result.sku_id, result.batch_number)
        dates = (result.production_date, result.expiry_date)
        if key not in known:
            known[key] = dates
            continue
        before = known[key]
        if any(new is not None and old is not None and new != old for new, old in zip(dates, before, strict=True)):
            result.errors.append(gettext("批次 %(number)s 的日期与已有的不一致") % {"number": result.batch_number})


def import_stock_file(location: str, file, actor=None) -> ImportResult:
    """Receive the stock a file lists into `location` (a supplier's "supplier:<id>" accepts only
    the SKUs that supplier fulfils). `file` is an uploaded file (or bytes). Every row is checked
    first; with any bad row nothing is received (applied=False) and each row says what is wrong."""
    if isinstance(file, bytes | bytearray):
        name, content = "", bytes(file)
    else:
        name = getattr(file, "name", "") or ""
        if getattr(file, "size", None) is not None and file.size > MAX_FILE_BYTES:
            raise _too_large()
        content = file.read(MAX_FILE_BYTES + 1)
    rows = read_rows(location, name, content)
    if any(not r.ok for r in rows):
        return ImportResult(applied=False, rows=rows)
    with transaction.atomic():
        for r in rows:
            if r.sku_id is None or r.quantity is None:  # a row without errors has both
                raise AssertionError(f"row {r.row} passed the checks without a SKU or a quantity")
            receive_stock(
                sku_id=r.sku_id,
                quantity=r.quantity,
                location=location,
                actor=actor,
                note=gettext("文件导入第 %(row)s 行") % {"row": r.row},
                batch_number=r.batch_number,
                production_date=r.production_date,
                expiry_date=r.expiry_date,
            )
    return ImportResult(applied=True, rows=rows)
