"""Tables people exchange with the shop as files: an uploaded .xlsx or .csv read into rows of text, and
.xlsx / .csv files written from a header and rows.

Reading accepts the first sheet of an .xlsx workbook (or the first sheet a caller recognises by its
header) and CSV in UTF-8 (with or without BOM) or GB18030, which is what Excel on a Chinese Windows
saves. The old binary .xls is refused. Every refusal is raised through the caller's own error
factory, so that each part of the shop answers with its own error type and code.

Writing keeps text as text: a cell that starts like a formula is prefixed with an apostrophe by
`safe_text`, and columns given the "@" format stay text when someone types into them in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")
BLANK_ROWS_FACTOR = 10  # a sheet may run this many times the row limit, most of it blank

Table = list[list[str]]
ErrorFactory = Callable[[str], Exception]


def cell_text(value: object) -> str:
    """A cell as text: empty for nothing, a whole number without ".0", a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def safe_text(value: object) -> str:
    """A cell that starts like a formula is kept as text, so that opening the file cannot run it."""
    text = str(value or "")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def is_blank(row: Sequence[str]) -> bool:
    return not any(row)


# --- reading ------------------------------------------------------------------------------------


def _too_many(invalid: ErrorFactory, max_rows: int) -> Exception:
    return invalid(gettext("文件最多 %(max)s 行") % {"max": max_rows})


def _csv_table(content: bytes, invalid: ErrorFactory) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030", errors="replace")
    if "\x00" in text:
        raise invalid(gettext("文件不是 CSV 文本，请上传 .csv 或 .xlsx 文件"))
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise invalid(gettext("CSV 文件格式有误：%(error)s") % {"error": exc}) from exc


def _xlsx_table(content: bytes, invalid: ErrorFactory, max_rows: int, wanted: Callable[[list[str]], bool] | None) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise invalid(gettext("无法读取 Excel 文件，请确认是 .xlsx 格式")) from exc
    try:
        first: Table | None = None
        for sheet in book.worksheets:
            table: Table = []
            filled = 0
            for values in sheet.iter_rows(values_only=True):
                row = [cell_text(v) for v in values]
                table.append(row)
                filled += not is_blank(row)
                # Blank rows Excel keeps for their formatting do not count, up to a bound on the work.
                if filled > max_rows + 1 or len(table) > BLANK_ROWS_FACTOR * (max_rows + 1):
                    raise _too_many(invalid, max_rows)
            if first is None:
                first = table
            if wanted is None or (table and wanted(table[0])):
                return table
        return first or []
    finally:
        book.close()


def read_table(
    filename: str,
    content: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    invalid: ErrorFactory,
    too_large: Callable[[], Exception],
    sheet: Callable[[list[str]], bool] | None = None,
) -> Table:
    """The rows of an uploaded .xlsx or .csv file as stripped text, blank rows kept (row numbers stay
    those of the file). At most `max_bytes`, and `max_rows` rows that are not blank besides the
    header. `sheet`, given a header row, says whether that sheet of a workbook is the one to read;
    without it, or when no sheet qualifies, the first sheet is read."""
    if not content:
        raise invalid(gettext("文件是空的"))
    if len(content) > max_bytes:
        raise too_large()
    if content[:4] == XLSX_MAGIC:
        table = _xlsx_table(content, invalid, max_rows, sheet)
    elif (filename or "").lower().endswith((".xls", ".xlsx")) or content[:8] == XLS_MAGIC:
        raise invalid(gettext("请上传 .xlsx 或 .csv 文件（不支持旧版 .xls）"))
    else:
        table = _csv_table(content, invalid)
    if sum(1 for row in table if not is_blank(row)) > max_rows + 1:
        raise _too_many(invalid, max_rows)
    return table


# --- writing ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One sheet to write: a bold header row over `rows`.

    `widths` and `formats` are one value for every column or one per column (None leaves Excel's
    default); `formats` are number formats of the cells under the header ("@" is text, "0.00" two
    decimals), reaching down to row `format_to_row` at least, so that a sheet to fill in keeps them."""

    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    title: str = ""
    widths: int | Sequence[int | None] | None = None
    formats: str | Sequence[str | None] | None = None
    format_to_row: int = 0
    freeze_header: bool = True


def _per_column(value: Any, count: int) -> list[Any]:
    if value is None or isinstance(value, int | str):
        return [value] * count
    if len(value) != count:
        raise ValueError(f"{len(value)} settings for {count} columns")
    return list(value)


def _write_sheet(sheet: Any, spec: Sheet) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if spec.title:
        sheet.title = spec.title[:31]
    sheet.append(list(spec.header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in spec.rows:
        sheet.append(list(row))
    count = len(spec.header)
    last_row = max(sheet.max_row, spec.format_to_row)
    for column, (width, number_format) in enumerate(
        zip(_per_column(spec.widths, count), _per_column(spec.formats, count), strict=True), start=1
    ):
        if width is not None:
            sheet.column_dimensions[get_column_letter(column)].width = width
        if number_format is not None:
            for index in range(2, last_row + 1):
                sheet.cell(row=index, column=column).number_format = number_format
    if spec.freeze_header:
        sheet.freeze_panes = "A2"


def xlsx_bytes(*sheets: Sheet) -> bytes:
    """A workbook of the given sheets, in order."""
    from openpyxl import Workbook

    book = Workbook()
    for index, spec in enumerate(sheets):
        _write_sheet(book.active if index == 0 else book.create_sheet(), spec)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (what makes Excel on Windows read Chinese) and CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
