"""The payout file finance sends to the bank (CSV or Excel) and the result file that comes back.
Pure functions over bytes: no database, no side effects.

The CSV is UTF-8 with a byte-order mark, which is what makes Excel on Windows read Chinese in it.
In the .xlsx, account numbers are text cells: as numbers, Excel would round a 19-digit card number.
Result files may be CSV (UTF-8, with or without BOM, or GB18030 as Excel in China saves it) or .xlsx,
with a header row naming at least the withdrawal number and the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from fenxiao.common import payout_files as common
from fenxiao.common.money import yuan
from fenxiao.common.payout_files import MAX_ROWS, MAX_UPLOAD_BYTES, ResultRow
from fenxiao.common.spreadsheets import Sheet, csv_bytes, safe_text, xlsx_bytes

from .errors import WithdrawalCode, WithdrawalError

__all__ = [
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "PAYOUT_HEADERS",
    "RESULT_HEADERS",
    "PayoutRow",
    "ResultRow",
    "build_csv",
    "build_xlsx",
    "parse_results",
]

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


def _invalid(message: str) -> WithdrawalError:
    return WithdrawalError(WithdrawalCode.INVALID_FILE, message, {"field": "file"})


RESULTS = common.ResultLayout(
    columns={
        "number": frozenset({"提现单号", "单号", "withdrawalnumber", "withdrawal_number", "number"}),
        "result": common.RESULT_WORDS,
        "reference": common.REFERENCE_WORDS,
        "reason": common.REASON_WORDS,
    },
    invalid=_invalid,
    header_message=gettext_lazy("结果文件第一行须为表头，至少包含“提现单号”和“结果”两列"),
    missing_number_message=gettext_lazy("缺少提现单号"),
)


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


def _texts(row: PayoutRow) -> list[str]:
    """The text columns between the withdrawal number and the amounts."""
    return [safe_text(v) for v in (row.channel, row.payee_name, row.account, row.account_kind, row.bank_name)]


def build_csv(rows: list[PayoutRow]) -> bytes:
    return csv_bytes(
        PAYOUT_HEADERS,
        (
            [
                str(row.line),
                row.number,
                *_texts(row),
                *(yuan(fen, grouping=False) for fen in (row.amount_fen, row.fee_fen, row.net_fen)),
                safe_text(row.reference),
            ]
            for row in rows
        ),
    )


def build_xlsx(rows: list[PayoutRow], *, title: str = "") -> bytes:
    """The payout sheet, and a second sheet with the withdrawal numbers ready for the results."""
    payout = Sheet(
        header=PAYOUT_HEADERS,
        rows=[
            [
                row.line,
                row.number,
                *_texts(row),
                *(Decimal(fen) / 100 for fen in (row.amount_fen, row.fee_fen, row.net_fen)),
                safe_text(row.reference),
            ]
            for row in rows
        ],
        title=title or gettext("打款明细"),
        widths=(6, 24, 10, 12, 26, 10, 20, 14, 12, 14, 30),
        formats=(None, *["@"] * 6, *["0.00"] * 3, None),
    )
    results = common.result_sheet(RESULT_HEADERS, [row.number for row in rows], widths=(24, 8, 28, 30))
    return xlsx_bytes(payout, results)


def parse_results(filename: str, content: bytes) -> list[ResultRow]:
    """The rows of a result file; a row the file gets wrong carries its `error`, the file as a whole
    being refused only when it cannot be read or has no usable header."""
    return common.parse_results(filename, content, RESULTS)
