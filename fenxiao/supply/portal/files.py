"""Files of the portal: reading an uploaded table (.xlsx or .csv) into rows of text, and writing a
workbook (the pick list)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext

from fenxiao.common.errors import CommonCode

from ..errors import SupplyCode, SupplyError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def bad_file(message: str) -> SupplyError:
    return SupplyError(SupplyCode.INVALID_FILE, message, {"field": "file"}, status=400)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _too_many() -> SupplyError:
    return bad_file(gettext("文件最多 %(max)s 行") % {"max": MAX_ROWS})


def _from_csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030", errors="replace")
    if "\x00" in text:
        raise bad_file(gettext("文件不是 CSV 文本，请上传 .csv 或 .xlsx 文件"))
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise bad_file(gettext("CSV 文件格式有误")) from exc


def _from_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a damaged file raises many kinds of error
        raise bad_file(gettext("无法读取 Excel 文件，请确认是 .xlsx 格式")) from exc
    try:
        rows: list[list[str]] = []
        for values in book.worksheets[0].iter_rows(values_only=True):
            rows.append([_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                raise _too_many()
        return rows
    finally:
        book.close()


def read_rows(filename: str, content: bytes) -> list[list[str]]:
    """The rows of the first sheet of an .xlsx file or of a CSV file (UTF-8 or GB18030), blank rows
    left out; at most 2 MB and 2,000 rows besides the header."""
    if not content:
        raise bad_file(gettext("文件是空的"))
    if len(content) > MAX_BYTES:
        raise SupplyError(
            CommonCode.PAYLOAD_TOO_LARGE, gettext("文件不能超过 2 MB"), {"field": "file", "max_bytes": MAX_BYTES}, status=413
        )
    if content[:4] == XLSX_MAGIC:
        rows = _from_xlsx(content)
    elif (filename or "").lower().endswith((".xls", ".xlsx")) or content[:8] == XLS_MAGIC:
        raise bad_file(gettext("请上传 .xlsx 或 .csv 文件（不支持旧版 .xls）"))
    else:
        rows = _from_csv(content)
    rows = [row for row in rows if any(cell for cell in row)]
    if len(rows) > MAX_ROWS + 1:
        raise _too_many()
    return rows


def header_index(header: list[str], columns: tuple[str, ...]) -> dict[str, int]:
    """Where each of `columns` is in the header row; the whole file is refused naming a missing one."""
    names = [value.replace("\ufeff", "").strip() for value in header]
    missing = [column for column in columns if column not in names]
    if missing:
        raise SupplyError(
            SupplyCode.INVALID_FILE,
            gettext("文件缺少列：%(columns)s") % {"columns": "、".join(missing)},
            {"field": "file", "missing": missing},
            status=400,
        )
    return {column: names.index(column) for column in columns}


def workbook(title: str, header: list[str], rows: list[list]) -> bytes:
    """A one-sheet workbook; every cell is text so that order numbers and phones keep their digits."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if value is None else str(value) for value in row])
    for column in range(1, len(header) + 1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 20
        for index in range(2, sheet.max_row + 1):
            sheet.cell(row=index, column=column).number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
