"""Reading an uploaded table (.xlsx or .csv) into rows of text, and writing the shipping template."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext

from fenxiao.common.errors import CommonCode, DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def invalid_file(message: str) -> DomainError:
    return DomainError(CommonCode.INVALID_INPUT, message, {"field": "file"})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_table(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030", errors="replace")  # what Excel on a Chinese Windows saves
    if "\x00" in text:
        raise invalid_file(gettext("文件不是 CSV 文本，请上传 .csv 或 .xlsx 文件"))
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise invalid_file(gettext("CSV 文件格式有误：%(error)s") % {"error": exc}) from exc


def _xlsx_table(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise invalid_file(gettext("无法读取 Excel 文件，请确认是 .xlsx 格式")) from exc
    try:
        table: list[list[str]] = []
        for values in book.worksheets[0].iter_rows(values_only=True):
            table.append([_cell(v) for v in values])
            if len(table) > MAX_ROWS + 1:
                raise invalid_file(gettext("文件最多 %(max)s 行") % {"max": MAX_ROWS})
        return table
    finally:
        book.close()


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The first sheet of an .xlsx file, or a CSV file (UTF-8 or GB18030), as rows of stripped text."""
    if not content:
        raise invalid_file(gettext("文件是空的"))
    if len(content) > MAX_UPLOAD_BYTES:
        raise invalid_file(gettext("文件不能超过 5 MB"))
    if content[:4] == XLSX_MAGIC:
        table = _xlsx_table(content)
    elif (filename or "").lower().endswith((".xls", ".xlsx")) or content[:8] == XLS_MAGIC:
        raise invalid_file(gettext("请上传 .xlsx 或 .csv 文件（不支持旧版 .xls）"))
    else:
        table = _csv_table(content)
    if len(table) > MAX_ROWS + 1:
        raise invalid_file(gettext("文件最多 %(max)s 行") % {"max": MAX_ROWS})
    return table


def xlsx_file(header: list[str], rows: list[list[str]]) -> bytes:
    """A one-sheet workbook whose cells are all text (order numbers keep their leading zeros)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in range(1, len(header) + 1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 26
        for index in range(2, max(sheet.max_row, 200) + 1):
            sheet.cell(row=index, column=column).number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
