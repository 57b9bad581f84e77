"""What every bank payout file of the shop shares: the sheet the bank's results are typed into, and
reading the result file that comes back (.xlsx or .csv) into one `ResultRow` per line.

A result file has a header row naming at least the number column (withdrawal, statement, …) and the
result; the words accepted for a column and for an outcome are compared lower-cased and without
spaces. Each kind of payout file says its own columns and messages in a `ResultLayout`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext

from .spreadsheets import ErrorFactory, Sheet, read_table

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000

SUCCESS, FAILED = "success", "failed"
SUCCESS_WORDS = frozenset({"成功", "打款成功", "已到账", "success", "succeeded", "ok", "paid"})
FAILED_WORDS = frozenset({"失败", "打款失败", "退票", "failed", "fail", "failure"})
RESULT_WORDS = frozenset({"结果", "打款结果", "result", "outcome", "status"})
REFERENCE_WORDS = frozenset(
    {"打款流水号", "流水号", "外部流水号", "银行流水号", "externalreference", "external_reference", "reference"}
)
REASON_WORDS = frozenset({"失败原因", "原因", "failurereason", "failure_reason", "reason"})


@dataclass
class ResultRow:
    row: int  # the row number in the file, the header being row 1
    number: str = ""
    outcome: str = ""  # "success" / "failed"
    external_reference: str = ""
    failure_reason: str = ""
    error: str = ""


@dataclass(frozen=True)
class ResultLayout:
    """One kind of result file. `columns` maps "number", "result" and optionally "reference" and
    "reason" to the header words accepted for them; the messages may be lazy translations."""

    columns: Mapping[str, frozenset[str]]
    invalid: ErrorFactory
    header_message: str
    missing_number_message: str
    number_max: int | None = None


def header_key(text: object) -> str:
    return re.sub(r"\s+", "", str(text or "").replace("\ufeff", "")).lower()


def find_columns(header: list[str], columns: Mapping[str, frozenset[str]]) -> dict[str, int] | None:
    """Where each known column is in `header`, or None without both the number and the result."""
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for name, accepted in columns.items():
        for index, key in enumerate(keys):
            if key in accepted:
                found[name] = index
                break
    return found if {"number", "result"} <= set(found) else None


def outcome_of(text: str) -> str:
    """ "success" or "failed" for the words the bank or finance may write, "" for anything else."""
    key = header_key(text)
    if key in SUCCESS_WORDS:
        return SUCCESS
    if key in FAILED_WORDS:
        return FAILED
    return ""


def result_sheet(header: Sequence[str], numbers: Sequence[str], *, widths: Sequence[int] | None = None) -> Sheet:
    """The sheet of an exported workbook finance fills in with the results: the numbers, and text
    cells for the rest."""
    return Sheet(
        header=header,
        rows=[[number, *[""] * (len(header) - 1)] for number in numbers],
        title=gettext("结果回传"),
        widths=widths,
        formats="@",
        freeze_header=False,
    )


def parse_results(filename: str, content: bytes, layout: ResultLayout) -> list[ResultRow]:
    """The rows of a result file, blank lines left out; a row the file gets wrong carries its `error`,
    the file as a whole being refused only when it cannot be read or has no usable header."""
    table = read_table(
        filename,
        content,
        max_bytes=MAX_UPLOAD_BYTES,
        max_rows=MAX_ROWS,
        invalid=layout.invalid,
        too_large=lambda: layout.invalid(gettext("文件不能超过 5 MB")),
        sheet=lambda header: find_columns(header, layout.columns) is not None,
    )
    columns = find_columns(table[0], layout.columns) if table else None
    if columns is None:
        raise layout.invalid(str(layout.header_message))
    rows: list[ResultRow] = []
    for index, values in enumerate(table[1:], start=2):
        if not any(values):
            continue

        def value(name: str, values: list[str] = values) -> str:
            at = columns.get(name)
            return values[at] if at is not None and at < len(values) else ""

        number = value("number")
        row = ResultRow(
            row=index,
            number=number[: layout.number_max] if layout.number_max else number,
            external_reference=value("reference")[:64],
            failure_reason=value("reason")[:200],
        )
        raw_result = value("result")
        row.outcome = outcome_of(raw_result)
        if not row.number:
            row.error = str(layout.missing_number_message)
        elif not raw_result:
            row.error = gettext("未填写打款结果")
        elif not row.outcome:
            row.error = gettext("无法识别的结果“%(value)s”，请填写“成功”或“失败”") % {"value": raw_result[:20]}
        rows.append(row)
    return rows
