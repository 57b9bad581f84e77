"""Files of the portal: reading an uploaded table (.xlsx or .csv) into rows of text, and writing a
workbook (the pick list)."""

from __future__ import annotations

from django.utils.translation import gettext

from fenxiao.common import spreadsheets
from fenxiao.common.errors import CommonCode

from ..errors import SupplyCode, SupplyError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000


def bad_file(message: str) -> SupplyError:
    return SupplyError(SupplyCode.INVALID_FILE, message, {"field": "file"}, status=400)


def _too_large() -> SupplyError:
    return SupplyError(
        CommonCode.PAYLOAD_TOO_LARGE, gettext("文件不能超过 2 MB"), {"field": "file", "max_bytes": MAX_BYTES}, status=413
    )


def read_rows(filename: str, content: bytes) -> list[list[str]]:
    """The rows of the first sheet of an .xlsx file or of a CSV file (UTF-8 or GB18030), blank rows
    left out; at most 2 MB and 2,000 rows besides the header."""
    table = spreadsheets.read_table(
        filename, content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, invalid=bad_file, too_large=_too_large
    )
    return [row for row in table if not spreadsheets.is_blank(row)]


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
    return spreadsheets.xlsx_bytes(
        spreadsheets.Sheet(
            header=header,
            rows=[["" if value is None else str(value) for value in row] for row in rows],
            title=title,
            widths=20,
            formats="@",
        )
    )
