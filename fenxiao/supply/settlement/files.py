"""The supplier payout file finance sends to the bank (.xlsx, a B2B transfer per statement) and the result
file that comes back (.xlsx or .csv). Pure functions over bytes: no database, no side effects.

Account numbers are text cells (as numbers, Excel would round them); a cell that starts like a
formula is kept as text. Result files name at least the statement number and the result in a header
row; CSV may be UTF-8 (with or without BOM) or GB18030 as Excel in China saves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from fenxiao.common import payout_files as common
from fenxiao.common.payout_files import MAX_ROWS, MAX_UPLOAD_BYTES, ResultRow
from fenxiao.common.spreadsheets import XLSX_CONTENT_TYPE, Sheet, safe_text, xlsx_bytes

from ..errors import SupplyCode, SupplyError

__all__ = [
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "PAYOUT_HEADERS",
    "RESULT_HEADERS",
    "XLSX_CONTENT_TYPE",
    "PayoutRow",
    "ResultRow",
    "build_xlsx",
    "parse_results",
]

PAYOUT_HEADERS = ["付款批次号", "对账单号", "收款户名", "收款账号", "开户银行", "金额（元）", "用途"]
RESULT_HEADERS = ["对账单号", "结果", "失败原因"]


def _invalid(message: str) -> SupplyError:
    return SupplyError(SupplyCode.INVALID_FILE, message, {"field": "file"}, status=422)


RESULTS = common.ResultLayout(
    columns={
        "number": frozenset({"对账单号", "单号", "statementnumber", "statement_number", "number"}),
        "result": common.RESULT_WORDS,
        "reason": common.REASON_WORDS,
    },
    invalid=_invalid,
    header_message=gettext_lazy("结果文件第一行须为表头，至少包含“对账单号”和“结果”两列"),
    missing_number_message=gettext_lazy("缺少对账单号"),
    number_max=24,
)


@dataclass(frozen=True)
class PayoutRow:
    batch_number: str
    statement_number: str
    payee_name: str
    account: str
    bank_name: str
    amount_fen: int
    purpose: str


def build_xlsx(rows: list[PayoutRow], *, title: str = "") -> bytes:
    """The payout sheet, and a second sheet with the statement numbers ready for the results."""
    payout = Sheet(
        header=PAYOUT_HEADERS,
        rows=[
            [
                row.batch_number,
                row.statement_number,
                safe_text(row.payee_name),
                safe_text(row.account),
                safe_text(row.bank_name),
                Decimal(row.amount_fen) / 100,
                safe_text(row.purpose),
            ]
            for row in rows
        ],
        title=title or gettext("打款明细"),
        widths=(24, 22, 30, 26, 24, 14, 30),
        formats=(*["@"] * 5, "0.00", None),
    )
    return xlsx_bytes(payout, common.result_sheet(RESULT_HEADERS, [row.statement_number for row in rows]))


def parse_results(filename: str, content: bytes) -> list[ResultRow]:
    """The rows of a result file; a row the file gets wrong carries its `error`, the whole file being
    refused only when it cannot be read, has no usable header or no data row."""
    rows = common.parse_results(filename, content, RESULTS)
    if not rows:
        raise _invalid(gettext("结果文件没有数据行"))
    return rows
