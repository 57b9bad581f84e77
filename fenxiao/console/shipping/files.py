"""Reading an uploaded table (.xlsx or .csv) into rows of text, and writing the shipping template."""

from __future__ import annotations

from django.utils.translation import gettext

from fenxiao.common import spreadsheets
from fenxiao.common.errors import CommonCode, DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
TEMPLATE_ROWS = 200  # the template keeps its cells text down to this row, for typing into


def invalid_file(message: str) -> DomainError:
    return DomainError(CommonCode.INVALID_INPUT, message, {"field": "file"})


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The first sheet of an .xlsx file, or a CSV file (UTF-8 or GB18030), as rows of stripped text."""
    return spreadsheets.read_table(
        filename,
        content,
        max_bytes=MAX_UPLOAD_BYTES,
        max_rows=MAX_ROWS,
        invalid=invalid_file,
        too_large=lambda: invalid_file(gettext("文件不能超过 5 MB")),
    )


def xlsx_file(header: list[str], rows: list[list[str]]) -> bytes:
    """A one-sheet workbook whose cells are all text (order numbers keep their leading zeros)."""
    return spreadsheets.xlsx_bytes(
        spreadsheets.Sheet(header=header, rows=rows, widths=26, formats="@", format_to_row=TEMPLATE_ROWS)
    )
