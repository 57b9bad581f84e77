"""Uploaded tables and written workbooks: CSV (UTF-8 or GB18030) and .xlsx read back as the text they
hold, formula-looking text kept inert, and every unreadable file refused through the caller's error;
and a result file of a bank payout read row by row."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from fenxiao.common import payout_files, spreadsheets
from fenxiao.common.spreadsheets import Sheet


class RefusedFile(Exception):
    pass


class TooLarge(Exception):
    pass


def read(content: bytes, name: str = "t.csv", **options) -> list[list[str]]:
    limits = {"max_bytes": 64 * 1024, "max_rows": 5, **options}
    return spreadsheets.read_table(name, content, invalid=RefusedFile, too_large=TooLarge, **limits)


def workbook_bytes(*sheets: list[list]) -> bytes:
    book = Workbook()
    for index, rows in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_round_trip_keeps_chinese_and_a_bom():
    content = spreadsheets.csv_bytes(["单号", "备注"], [["A001", "你好, 世界"], ["A002", ""]])
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content
    assert read(content) == [["单号", "备注"], ["A001", "你好, 世界"], ["A002", ""]]


def test_a_gbk_csv_is_read_as_excel_in_china_saves_it():
    content = "订单号,快递公司\n0012,顺丰\n".encode("gbk")
    assert read(content) == [["订单号", "快递公司"], ["0012", "顺丰"]]


def test_xlsx_round_trip_keeps_text_cells_and_number_formats():
    content = spreadsheets.xlsx_bytes(
        Sheet(
            header=["单号", "金额"],
            rows=[["0012", Decimal("1.50")], ["0013", Decimal("20")]],
            title="明细",
            widths=(20, None),
            formats=("@", "0.00"),
        ),
        Sheet(header=["单号"], rows=[["0012"]], title="回传", formats="@", format_to_row=10, freeze_header=False),
    )
    book = load_workbook(io.BytesIO(content))
    first, second = book.worksheets
    assert (first.title, second.title) == ("明细", "回传")
    assert first.freeze_panes == "A2" and second.freeze_panes is None
    assert first["A1"].font.bold and first["B2"].number_format == "0.00" and first["A3"].number_format == "@"
    assert first.column_dimensions["A"].width == 20
    assert second["A10"].number_format == "@"
    assert read(content, "t.xlsx") == [["单号", "金额"], ["0012", "1.5"], ["0013", "20"]]


def test_cells_read_from_a_workbook_become_plain_text():
    moment = datetime(2027, 1, 2, 8, 30)  # noqa: DTZ001 - an Excel cell has no time zone
    content = workbook_bytes([["a", "b", "c", "d"], [12.0, None, moment, date(2027, 3, 4)]])
    assert read(content, "t.xlsx")[1] == ["12", "", "2027-01-02", "2027-03-04"]


def test_the_sheet_a_caller_recognises_is_read_else_the_first():
    content = workbook_bytes([["说明"], ["x"]], [["单号", "结果"], ["A1", "成功"]])
    assert read(content, "t.xlsx", sheet=lambda header: "结果" in header) == [["单号", "结果"], ["A1", "成功"]]
    assert read(content, "t.xlsx", sheet=lambda header: False) == [["说明"], ["x"]]
    assert read(content, "t.xlsx") == [["说明"], ["x"]]


def test_formula_looking_text_is_neutralised():
    assert [spreadsheets.safe_text(v) for v in ("=SUM(A1)", "+1", "-1", "@x", "ok", None)] == [
        "'=SUM(A1)",
        "'+1",
        "'-1",
        "'@x",
        "ok",
        "",
    ]
    content = spreadsheets.xlsx_bytes(Sheet(header=["名称"], rows=[[spreadsheets.safe_text("=cmd|' /C calc'!A0")]]))
    cell = load_workbook(io.BytesIO(content)).worksheets[0]["A2"]
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"


def test_blank_rows_are_kept_but_not_counted_against_the_limit():
    content = b"h\n1\n\n2\n,\n3\n4\n5\n"
    table = read(content)
    assert table[2] == [] and len([row for row in table if not spreadsheets.is_blank(row)]) == 6


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        ("t.csv", b"", "空"),
        ("t.csv", b"h\n" + b"x\n" * 6, "最多 5 行"),
        ("t.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 10, ".xls"),
        ("t.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 10, ".xls"),
        ("t.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("t.csv", b"a\x00b", "CSV"),
    ],
)
def test_unreadable_files_raise_the_callers_error(name, content, fragment):
    with pytest.raises(RefusedFile) as caught:
        read(content, name)
    assert fragment in str(caught.value)


def test_a_malformed_csv_raises_the_callers_error():
    limit = csv.field_size_limit(100)
    try:
        with pytest.raises(RefusedFile, match="CSV 文件格式有误"):
            read(b'"a' + b"x" * 200 + b"\n")
    finally:
        csv.field_size_limit(limit)


def test_an_oversized_file_raises_the_callers_too_large_error():
    with pytest.raises(TooLarge):
        read(b"x" * 1025, max_bytes=1024)


def test_blank_rows_a_workbook_keeps_for_their_format_do_not_count_up_to_a_bound():
    def formatted_down_to(last_row: int) -> bytes:
        return spreadsheets.xlsx_bytes(Sheet(header=["单号"], rows=[["A1"], ["A2"]], formats="@", format_to_row=last_row))

    table = read(formatted_down_to(40), "t.xlsx")
    assert len(table) == 40 and table[:3] == [["单号"], ["A1"], ["A2"]] and all(spreadsheets.is_blank(row) for row in table[3:])
    with pytest.raises(RefusedFile, match="最多 5 行"):
        read(formatted_down_to(61), "t.xlsx")


def test_a_workbook_longer_than_the_limit_is_refused_while_reading():
    content = workbook_bytes([["h"], *[[str(i)] for i in range(6)]])
    with pytest.raises(RefusedFile, match="最多 5 行"):
        read(content, "t.xlsx")


# --- result files of a payout -------------------------------------------------------------------

LAYOUT = payout_files.ResultLayout(
    columns={
        "number": frozenset({"单号"}),
        "result": payout_files.RESULT_WORDS,
        "reference": payout_files.REFERENCE_WORDS,
        "reason": payout_files.REASON_WORDS,
    },
    invalid=RefusedFile,
    header_message="no header",
    missing_number_message="no number",
    number_max=4,
)


def test_result_rows_carry_their_outcome_or_their_error():
    content = "单号, 打款 结果 ,流水号,原因\nA1,成功,R1,\n\nA2,退票,,户名不符\nA3,也许,,\n,成功,,\nA5,,,\nA123456,OK,,\n".encode()
    rows = payout_files.parse_results("r.csv", content, LAYOUT)
    assert [(r.row, r.number, r.outcome, r.external_reference, r.failure_reason, r.error[:8]) for r in rows] == [
        (2, "A1", "success", "R1", "", ""),
        (4, "A2", "failed", "", "户名不符", ""),
        (5, "A3", "", "", "", "无法识别的结果“"),
        (6, "", "success", "", "", "no numbe"),
        (7, "A5", "", "", "", "未填写打款结果"),
        (8, "A123", "success", "", "", ""),
    ]


def test_a_result_file_without_its_header_is_refused():
    with pytest.raises(RefusedFile, match="no header"):
        payout_files.parse_results("r.csv", b"number,amount\nA1,1\n", LAYOUT)
