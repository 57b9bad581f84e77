"""The supplier payout file finance sends to the bank (.xlsx, a B2B transfer per statement) and the result
file that comes back (.xlsx or .csv). Pure functions over bytes: no database, no side effects.

Account numbers are text cells (as numbers, Excel would round them); a cell that starts like a
formula is kept as text. Result files name at least the statement number and the result in a header
row; CSV may be UTF-8 (with or without BOM) or GB18030 as Excel in China saves it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from ..errors import SupplyCode, SupplyError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PAYOUT_HEADERS = ["付款批次号", "对账单号", "收款户名", "收款账号", "开户银行", "金额（元）", "用途"]
RESULT_HEADERS = ["对账单号", "结果", "失败原因"]

_RESULT_COLUMNS = {
    "number": {"对账单号", "单号", "statementnumber", "statement_number", "number"},
    "result": {"结果", "打款结果", "result", "outcome", "status"},
    "reason": {"失败原因", "原因", "failurereason", "failure_reason", "reason"},
}
SUCCESS_WORDS = {"成功", "打款成功", "已到账", "success", "succeeded", "ok", "paid"}
FAILED_WORDS = {"失败", "打款失败", "退票", "failed", "fail", "failure"}


@dataclass(frozen=True)
class PayoutRow:
    batch_number: str
    statement_number: str
    payee_name: str
    account: str
    bank_name: str
    amount_fen: int
    purpose: str


@dataclass
class ResultRow:
    row: int  # the row number in the file, the header being row 1
    number: str = ""
    outcome: str = ""  # "success" / "failed"
    failure_reason: str = ""
    error: str = ""


def _safe_text(value: str) -> str:
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def build_xlsx(rows: list[PayoutRow], *, title: str = "") -> bytes:
    """The payout sheet, and a second sheet with the statement numbers ready for the results."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = (title or gettext("打款明细"))[:31]
    sheet.append(PAYOUT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                row.batch_number,
                row.statement_number,
                _safe_text(row.payee_name),
                _safe_text(row.account),
                _safe_text(row.bank_name),
                Decimal(row.amount_fen) / 100,
                _safe_text(row.purpose),
            ]
        )
        index = sheet.max_row
        for column in range(1, 6):
            sheet.cell(row=index, column=column).number_format = "@"
        sheet.cell(row=index, column=6).number_format = "0.00"
    for letter, width in zip("ABCDEFG", (24, 22, 30, 26, 24, 14, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    results = book.create_sheet(gettext("结果回传"))
    results.append(RESULT_HEADERS)
    for cell in results[1]:
        cell.font = Font(bold=True)
    for row in rows:
        results.append([row.statement_number, "", ""])
        for column in range(1, 4):
            results.cell(row=results.max_row, column=column).number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- results ----------------------------------------------------------------------------------------


def _invalid(message: str) -> SupplyError:
    return SupplyError(SupplyCode.INVALID_FILE, message, {"field": "file"}, status=422)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _key(text: str) -> str:
    return re.sub(r"\s+", "", str(text or "").replace("\ufeff", "")).lower()


def _columns(header: list[str]) -> dict[str, int] | None:
    keys = [_key(h) for h in header]
    found: dict[str, int] = {}
    for name, accepted in _RESULT_COLUMNS.items():
        for index, key in enumerate(keys):
            if key in accepted:
                found[name] = index
                break
    return found if {"number", "result"} <= set(found) else None


def _outcome(text: str) -> str:
    key = _key(text)
    if key in SUCCESS_WORDS:
        return "success"
    if key in FAILED_WORDS:
        return "failed"
    return ""


def _rows(table: list[list[str]]) -> list[ResultRow]:
    columns = _columns(table[0]) if table else None
    if columns is None:
        raise _invalid(gettext("结果文件第一行须为表头，至少包含“对账单号”和“结果”两列"))
    rows: list[ResultRow] = []
    for offset, values in enumerate(table[1:], start=2):
        if not any(values):
            continue

        def value(name: str, values=values) -> str:
            index = columns.get(name)
            return values[index] if index is not None and index < len(values) else ""

        row = ResultRow(row=offset, number=value("number")[:24], failure_reason=value("reason")[:200])
        raw = value("result")
        row.outcome = _outcome(raw)
        if not row.number:
            row.error = gettext("缺少对账单号")
        elif not raw:
            row.error = gettext("未填写打款结果")
        elif not row.outcome:
            row.error = gettext("无法识别的结果“%(value)s”，请填写“成功”或“失败”") % {"value": raw[:20]}
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise _invalid(gettext("结果文件最多 %(max)s 行") % {"max": MAX_ROWS})
    if not rows:
        raise _invalid(gettext("结果文件没有数据行"))
    return rows


def _csv_table(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise _invalid(gettext("无法识别文件编码，请另存为 UTF-8 的 CSV 或 .xlsx"))
    if "\x00" in text:
        raise _invalid(gettext("文件不是 CSV 文本，请上传 .csv 或 .xlsx 文件"))
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise _invalid(gettext("CSV 文件格式有误：%(error)s") % {"error": exc}) from exc


def _xlsx_table(content: bytes) -> list[list[str]]:
    """The first sheet whose header names the result columns (an exported workbook's result sheet)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _invalid(gettext("无法读取 Excel 文件，请确认是 .xlsx 格式")) from exc
    try:
        first: list[list[str]] | None = None
        for sheet in book.worksheets:
            table = []
            for values in sheet.iter_rows(values_only=True):
                table.append([_cell(v) for v in values])
                if len(table) > MAX_ROWS + 1:
                    raise _invalid(gettext("结果文件最多 %(max)s 行") % {"max": MAX_ROWS})
            if first is None:
                first = table
            if table and _columns(table[0]) is not None:
                return table
        return first or []
    finally:
        book.close()


def parse_results(filename: str, content: bytes) -> list[ResultRow]:
    """The rows of a result file; a row the file gets wrong carries its `error`, the whole file being
    refused only when it cannot be read or has no usable header."""
    if not content:
        raise _invalid(gettext("文件是空的"))
    if len(content) > MAX_UPLOAD_BYTES:
        raise _invalid(gettext("文件不能超过 5 MB"))
    name = (filename or "").lower()
    if content[:4] == b"PK\x03\x04":
        table = _xlsx_table(content)
    elif name.endswith((".xls", ".xlsx")) or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _invalid(gettext("请上传 .xlsx 或 .csv 文件（不支持旧版 .xls）"))
    else:
        table = _csv_table(content)
    return _rows(table)
