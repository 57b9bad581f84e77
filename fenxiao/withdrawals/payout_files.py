"""The payout file finance sends to the bank (CSV or Excel) and the result file that comes back.
Pure functions over bytes: no database, no side effects.

The CSV is UTF-8 with a byte-order mark, which is what makes Excel on Windows read Chinese in it.
In the .xlsx, account numbers are text cells: as numbers, Excel would round a 19-digit card number.
Result files may be CSV (UTF-8, with or without BOM, or GB18030 as Excel in China saves it) or .xlsx,
with a header row naming at least the withdrawal number and the result.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from fenxiao.common.money import yuan

from .errors import WithdrawalCode, WithdrawalError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000

PAYOUT_HEADERS = [
    "序号",
    "提现单号",
    "提现方式",
    "收款人姓名",
    "收款账号",
    "账号类型",
    "开户银行",
    "提现金额（元）",
    "手续费（元）",
    "实付金额（元）",
    "附言",
]
RESULT_HEADERS = ["提现单号", "结果", "打款流水号", "失败原因"]

# Header names accepted in a result file (compared lower-cased, without spaces).
_RESULT_COLUMNS = {
    "number": {"提现单号", "单号", "withdrawalnumber", "withdrawal_number", "number"},
    "result": {"结果", "打款结果", "result", "outcome", "status"},
    "reference": {"打款流水号", "流水号", "外部流水号", "银行流水号", "externalreference", "external_reference", "reference"},
    "reason": {"失败原因", "原因", "failurereason", "failure_reason", "reason"},
}
SUCCESS_WORDS = {"成功", "打款成功", "已到账", "success", "succeeded", "ok", "paid"}
FAILED_WORDS = {"失败", "打款失败", "退票", "failed", "fail", "failure"}


@dataclass(frozen=True)
class PayoutRow:
    line: int
    number: str
    channel: str
    payee_name: str
    account: str
    account_kind: str
    bank_name: str
    amount_fen: int
    fee_fen: int
    net_fen: int
    reference: str


@dataclass
class ResultRow:
    row: int  # the row number in the file, the header being row 1
    number: str = ""
    outcome: str = ""  # "success" / "failed"
    external_reference: str = ""
    failure_reason: str = ""
    error: str = ""


def _safe_text(value: str) -> str:
    """A cell that starts like a formula is kept as text, so that opening the file cannot run it."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _row_values(row: PayoutRow) -> list[str]:
    return [
        str(row.line),
        row.number,
        _safe_text(row.channel),
        _safe_text(row.payee_name),
        _safe_text(row.account),
        _safe_text(row.account_kind),
        _safe_text(row.bank_name),
        yuan(row.amount_fen, grouping=False),
        yuan(row.fee_fen, grouping=False),
        yuan(row.net_fen, grouping=False),
        _safe_text(row.reference),
    ]


def build_csv(rows: list[PayoutRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PAYOUT_HEADERS)
    for row in rows:
        writer.writerow(_row_values(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_xlsx(rows: list[PayoutRow], *, title: str = "") -> bytes:
    """The payout sheet, and a second sheet with the withdrawal numbers ready for the results."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = (title or gettext("打款明细"))[:31]
    sheet.append(PAYOUT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = _row_values(row)
        sheet.append(
            [
                row.line,
                *values[1:7],
                *(Decimal(row_fen) / 100 for row_fen in (row.amount_fen, row.fee_fen, row.net_fen)),
                values[10],
            ]
        )
        index = sheet.max_row
        for column in range(2, 8):
            sheet.cell(row=index, column=column).number_format = "@"
        for column in (8, 9, 10):
            sheet.cell(row=index, column=column).number_format = "0.00"
    for letter, width in zip("ABCDEFGHIJK", (6, 24, 10, 12, 26, 10, 20, 14, 12, 14, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    results = book.create_sheet(gettext("结果回传"))
    results.append(RESULT_HEADERS)
    for cell in results[1]:
        cell.font = Font(bold=True)
    for row in rows:
        results.append([row.number, "", "", ""])
        for column in range(1, 5):
            results.cell(row=results.max_row, column=column).number_format = "@"
    for letter, width in zip("ABCD", (24, 8, 28, 30), strict=True):
        results.column_dimensions[letter].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- results ----------------------------------------------------------------------------------------


def _invalid(message: str) -> WithdrawalError:
    return WithdrawalError(WithdrawalCode.INVALID_FILE, message, {"field": "file"})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", str(text or "").replace("\ufeff", "")).lower()


def _columns(header: list[str]) -> dict[str, int] | None:
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for name, accepted in _RESULT_COLUMNS.items():
        for index, key in enumerate(keys):
            if key in accepted:
                found[name] = index
                break
    return found if {"number", "result"} <= set(found) else None


def _outcome(text: str) -> str:
    key = _header_key(text)
    if key in SUCCESS_WORDS:
        return "success"
    if key in FAILED_WORDS:
        return "failed"
    return ""


def _rows_from_table(table: list[list[str]], first_row: int) -> list[ResultRow]:
    columns = _columns(table[0]) if table else None
    if columns is None:
        raise _invalid(gettext("结果文件第一行须为表头，至少包含“提现单号”和“结果”两列"))
    rows: list[ResultRow] = []
    for offset, values in enumerate(table[1:], start=1):
        if not any(values):
            continue

        def value(name: str, values=values) -> str:
            index = columns.get(name)
            return values[index] if index is not None and index < len(values) else ""

        row = ResultRow(
            row=first_row + offset,
            number=value("number"),
            external_reference=value("reference")[:64],
            failure_reason=value("reason")[:200],
        )
        raw_result = value("result")
        row.outcome = _outcome(raw_result)
        if not row.number:
            row.error = gettext("缺少提现单号")
        elif not raw_result:
            row.error = gettext("未填写打款结果")
        elif not row.outcome:
            row.error = gettext("无法识别的结果“%(value)s”，请填写“成功”或“失败”") % {"value": raw_result[:20]}
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise _invalid(gettext("结果文件最多 %(max)s 行") % {"max": MAX_ROWS})
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
    """The first sheet whose header names the result columns (an exported workbook's own result
    sheet qualifies)."""
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
    """The rows of a result file; a row the file gets wrong carries its `error`, the file as a whole
    being refused only when it cannot be read or has no usable header."""
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
    return _rows_from_table(table, first_row=1)
