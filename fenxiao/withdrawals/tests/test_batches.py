"""Payout batches: made from approved withdrawals, exported for the bank as CSV (UTF-8 with BOM) and
.xlsx with the full account numbers, and closed by result files whose lines are each applied once."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from fenxiao.commissions.services import CASH_ACCOUNT, WITHDRAWAL_FEE_ACCOUNT, available_account, withdrawing_account
from fenxiao.ledger.models import Transaction
from fenxiao.withdrawals import payout_files, services
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import PayoutBatch, PayoutBatchEvent, PayoutResult, Withdrawal
from fenxiao.withdrawals.services import payouts
from tests.factories import DistributorFactory

from .conftest import OTHER_ID, approve_batch, balance, fund

pytestmark = pytest.mark.usefixtures("ledger_sound")
W = Withdrawal.Status
B = PayoutBatch.Status
CARD = "6222021202041234567"


@pytest.fixture
def approved(funded, finance):
    """Three approved withdrawals of one distributor (bank ¥100, alipay ¥50, wechat ¥20; fee 1%) and
    one still waiting for review."""
    services.update_settings(fee_bp=100)
    made = [
        services.request_withdrawal(distributor=funded, amount_fen=10000, channel="bank", account=CARD, bank_name="工商银行"),
        services.request_withdrawal(distributor=funded, amount_fen=5000, channel="alipay", account="wang@example.com"),
        services.request_withdrawal(distributor=funded, amount_fen=2000, channel="wechat"),
    ]
    for w in made:
        services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    services.request_withdrawal(distributor=funded, amount_fen=1000, channel="bank", account=CARD, bank_name="工商银行")
    return made


@pytest.fixture
def exported(approved, finance):
    batch = approve_batch(payouts.create_batch(actor=finance))
    payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="csv")
    batch.refresh_from_db()
    return batch


def result_csv(*rows: tuple, header=("提现单号", "结果", "打款流水号", "失败原因"), encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def import_csv(batch, finance, *rows, **kwargs):
    return payouts.import_results(batch_id=batch.pk, actor=finance, filename="results.csv", content=result_csv(*rows, **kwargs))


# --- making a batch -------------------------------------------------------------------------------


def test_a_batch_takes_the_approved_withdrawals_not_in_a_batch(approved, finance):
    batch = payouts.create_batch(actor=finance)
    assert batch.status == B.OPEN and batch.created_by == finance
    lines = list(batch.lines.order_by("batch_line"))
    assert [w.pk for w in lines] == [w.pk for w in approved]
    assert [w.batch_line for w in lines] == [1, 2, 3]
    assert (batch.line_count, batch.amount_fen, batch.fee_fen, batch.net_fen) == (3, 17000, 170, 16830)
    assert "加入打款批次" in lines[0].events.last().note
    assert PayoutBatchEvent.objects.get(batch=batch).to_status == B.OPEN
    # nothing left for a second batch
    with pytest.raises(WithdrawalError) as caught:
        payouts.create_batch(actor=finance)
    assert caught.value.code == "nothing_to_pay" and caught.value.status == 409


def test_a_batch_of_one_channel_or_of_chosen_withdrawals(approved, finance):
    bank = approve_batch(payouts.create_batch(actor=finance, channel="bank"))
    assert list(bank.lines.values_list("channel", flat=True)) == ["bank"]
    chosen = approve_batch(payouts.create_batch(actor=finance, withdrawal_ids=[approved[2].pk]))
    assert list(chosen.lines.values_list("pk", flat=True)) == [approved[2].pk]
    with pytest.raises(WithdrawalError) as caught:
        payouts.create_batch(actor=finance, channel="paypal")
    assert caught.value.code == "invalid_channel"


# --- export -------------------------------------------------------------------------------------


def test_the_csv_has_a_bom_and_what_the_bank_needs(approved, funded, finance):
    batch = approve_batch(payouts.create_batch(actor=finance))
    exported = payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert exported.filename == f"payout-{batch.number}.csv" and exported.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == payout_files.PAYOUT_HEADERS
    assert rows[1] == [
        "1",
        approved[0].number,
        "银行卡",
        "王小明",
        CARD,
        "银行卡号",
        "工商银行",
        "100.00",
        "1.00",
        "99.00",
        f"佣金提现 {approved[0].number}",
    ]
    assert rows[2][4:6] == ["wang@example.com", "邮箱"] and rows[2][7:10] == ["50.00", "0.50", "49.50"]
    assert rows[3][4:6] == [funded.user.phone, "手机号"]  # wechat: no openid, the verified mobile
    assert len(rows) == 4
    batch.refresh_from_db()
    assert batch.status == B.EXPORTED and batch.exported_at
    assert batch.events.last().note == "导出打款文件（CSV）"


def test_the_xlsx_keeps_account_numbers_as_text_and_amounts_as_numbers(approved, finance):
    batch = approve_batch(payouts.create_batch(actor=finance))
    exported = payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="xlsx")
    assert exported.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(exported.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == payout_files.PAYOUT_HEADERS
    assert rows[1][:7] == (1, approved[0].number, "银行卡", "王小明", CARD, "银行卡号", "工商银行")
    assert isinstance(rows[1][4], str)  # a 19-digit card number must not become a float
    assert [Decimal(str(v)) for v in rows[1][7:10]] == [Decimal("100"), Decimal("1"), Decimal("99")]
    assert sheet.cell(row=2, column=8).number_format == "0.00"
    results = book.worksheets[1]
    assert [r[0] for r in results.iter_rows(values_only=True)] == ["提现单号", *(w.number for w in approved)]


def test_every_export_is_recorded_and_only_the_first_changes_the_status(exported, finance):
    payouts.export_batch(batch_id=exported.pk, actor=finance, fmt="xlsx")
    exported.refresh_from_db()
    assert exported.status == B.EXPORTED
    assert list(exported.events.order_by("id").values_list("to_status", "note")) == [
        ("open", exported.events.order_by("id").first().note),
        ("open", "复核通过，可以导出打款文件"),
        ("exported", "导出打款文件（CSV）"),
        ("exported", "导出打款文件（XLSX）"),
    ]


def test_cells_that_look_like_formulas_stay_text():
    row = payout_files.PayoutRow(1, "W1", "银行卡", "=cmd|' /C calc'!A0", "+123", "x", "-x", 100, 0, 100, "@ref")
    text = payout_files.build_csv([row]).decode("utf-8-sig")
    assert "'=cmd" in text and "'+123" in text and "'-x" in text and "'@ref" in text
    sheet = load_workbook(io.BytesIO(payout_files.build_xlsx([row]))).worksheets[0]
    assert sheet.cell(row=2, column=4).value == "'=cmd|' /C calc'!A0"
    assert sheet.cell(row=2, column=4).data_type == "s"


# --- results ------------------------------------------------------------------------------------


def test_results_are_applied_and_close_the_batch(exported, approved, funded, finance):
    bank, alipay, wechat = approved
    summary = import_csv(
        exported,
        finance,
        (bank.number, "成功", "B-001", ""),
        (alipay.number, "失败", "", "账户不存在"),
        (wechat.number, "success", "B-003", ""),
    )
    assert summary.counts() == {"applied": 3, "already_applied": 0, "conflicts": 0, "errors": 0}
    assert [line.row for line in summary.lines] == [2, 3, 4]
    statuses = dict(Withdrawal.objects.filter(batch=exported).values_list("number", "status"))
    assert statuses == {bank.number: W.PAID, alipay.number: W.FAILED, wechat.number: W.PAID}
    assert Withdrawal.objects.get(pk=bank.pk).external_reference == "B-001"
    assert Withdrawal.objects.get(pk=alipay.pk).failure_reason == "账户不存在"
    assert summary.batch.status == B.CLOSED and summary.batch.closed_at
    # 100 + 50 + 20 + 10 requested; the ¥50 came back; ¥100 and ¥20 paid with 1% fee
    assert balance(available_account(funded.pk)) == 100000 - 17000 - 1000 + 5000
    assert balance(withdrawing_account(funded.pk)) == 1000
    assert balance(CASH_ACCOUNT) == -(9900 + 1980)
    assert balance(WITHDRAWAL_FEE_ACCOUNT) == 120
    result = PayoutResult.objects.get(withdrawal=bank)
    assert (result.outcome, result.source_name, result.source_row, result.created_by) == ("success", "results.csv", 2, finance)


def test_importing_the_same_file_again_applies_nothing(exported, approved, finance):
    rows = [(w.number, "成功", f"B-{w.pk}", "") for w in approved]
    import_csv(exported, finance, *rows)
    posted = Transaction.objects.count()
    again = import_csv(exported, finance, *rows)
    assert again.counts() == {"applied": 0, "already_applied": 3, "conflicts": 0, "errors": 0}
    assert all("已于" in line.message for line in again.lines)
    assert Transaction.objects.count() == posted
    assert PayoutResult.objects.count() == 3


def test_a_contradicting_result_is_a_conflict_and_changes_nothing(exported, approved, funded, finance):
    first = approved[0]
    import_csv(exported, finance, (first.number, "失败", "", "户名不符"))
    available = balance(available_account(funded.pk))
    posted = Transaction.objects.count()
    summary = import_csv(exported, finance, (first.number, "成功", "B-1", ""), (first.number, "失败", "", "户名不符"))
    assert summary.counts() == {"applied": 0, "already_applied": 1, "conflicts": 1, "errors": 0}
    conflict = summary.conflicts[0]
    assert conflict.row == 2 and "矛盾" in conflict.message and "失败" in conflict.message
    assert Withdrawal.objects.get(pk=first.pk).status == W.FAILED
    assert PayoutResult.objects.get(withdrawal=first).outcome == "failed"
    assert (balance(available_account(funded.pk)), Transaction.objects.count()) == (available, posted)


def test_a_line_repeated_within_one_file(exported, approved, finance):
    number = approved[0].number
    summary = import_csv(exported, finance, (number, "成功", "", ""), (number, "成功", "", ""), (number, "失败", "", ""))
    assert [line.outcome for line in summary.lines] == ["applied", "already_applied", "conflict"]


def test_bad_lines_are_reported_with_their_row_numbers(exported, approved, funded, finance):
    outsider = services.request_withdrawal(distributor=funded, amount_fen=1000, channel="wechat")
    summary = import_csv(
        exported,
        finance,
        ("W000", "成功", "", ""),
        (outsider.number, "成功", "", ""),
        (approved[0].number, "也许", "", ""),
        ("", "", "", ""),  # blank lines are skipped
        (approved[1].number, "", "", ""),
        ("", "成功", "", ""),
        (approved[2].number, "成功", "", ""),
    )
    errors = {line.row: line.message for line in summary.errors}
    assert errors == {
        2: "提现单号不存在",
        3: "该提现不在本批次中",
        4: "无法识别的结果“也许”，请填写“成功”或“失败”",
        6: "未填写打款结果",
        7: "缺少提现单号",
    }
    assert [line.row for line in summary.applied] == [8]
    assert summary.batch.status == B.EXPORTED  # two lines still without a result
    assert Withdrawal.objects.get(pk=outsider.pk).status == W.REQUESTED


def test_results_in_an_xlsx_and_in_gb18030(exported, approved, finance):
    book = Workbook()
    sheet = book.active
    sheet.append(["提现单号", "打款结果", "银行流水号", "失败原因"])
    sheet.append([approved[0].number, "成功", 20260301001, None])
    out = io.BytesIO()
    book.save(out)
    summary = payouts.import_results(batch_id=exported.pk, actor=finance, filename="回单.xlsx", content=out.getvalue())
    assert summary.counts()["applied"] == 1
    assert Withdrawal.objects.get(pk=approved[0].pk).external_reference == "20260301001"
    gbk = result_csv((approved[1].number, "失败", "", "姓名不符"), encoding="gb18030")
    summary = payouts.import_results(batch_id=exported.pk, actor=finance, filename="回单.csv", content=gbk)
    assert summary.counts()["applied"] == 1
    assert Withdrawal.objects.get(pk=approved[1].pk).failure_reason == "姓名不符"


def test_the_exported_workbook_comes_back_with_its_result_sheet_filled(exported, approved, finance):
    content = payouts.export_batch(batch_id=exported.pk, actor=finance, fmt="xlsx").content
    book = load_workbook(io.BytesIO(content))
    results = book.worksheets[1]
    for row in range(2, 5):
        results.cell(row=row, column=2).value = "成功"
    out = io.BytesIO()
    book.save(out)
    summary = payouts.import_results(batch_id=exported.pk, actor=finance, filename="filled.xlsx", content=out.getvalue())
    assert summary.counts()["applied"] == 3 and summary.batch.status == B.CLOSED


def test_results_need_an_exported_batch(approved, finance):
    batch = approve_batch(payouts.create_batch(actor=finance))
    with pytest.raises(WithdrawalError) as caught:
        import_csv(batch, finance, (approved[0].number, "成功", "", ""))
    assert caught.value.code == "batch_not_exported" and caught.value.status == 409
    with pytest.raises(WithdrawalError) as caught:
        payouts.import_results(batch_id=999999, actor=finance, filename="x.csv", content=b"x")
    assert caught.value.code == "batch_not_found"


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        ("r.csv", b"", "空"),
        ("r.csv", "单号,金额\nW1,100\n".encode(), "表头"),
        ("r.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xlsx"),
        ("r.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("r.csv", b"a\x00b", "CSV"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(exported, finance, name, content, fragment):
    with pytest.raises(WithdrawalError) as caught:
        payouts.import_results(batch_id=exported.pk, actor=finance, filename=name, content=content)
    assert caught.value.code == "invalid_file" and fragment in caught.value.message


def test_english_headers_and_words_are_understood():
    rows = payout_files.parse_results(
        "r.csv", b"Withdrawal Number,Result,Reference,Failure Reason\nW1,Success,R1,\nW2,FAILED,,closed\n"
    )
    assert [(r.number, r.outcome, r.external_reference, r.failure_reason) for r in rows] == [
        ("W1", "success", "R1", ""),
        ("W2", "failed", "", "closed"),
    ]


def test_another_distributors_withdrawals_can_share_a_batch(approved, finance):
    other = DistributorFactory()
    services.submit_kyc(distributor=other, real_name="李四", id_number=OTHER_ID, mobile=other.user.phone)
    fund(other, 5000)
    w = services.request_withdrawal(distributor=other, amount_fen=5000, channel="wechat")
    services.approve_withdrawal(withdrawal_id=w.pk, actor=finance)
    batch = approve_batch(payouts.create_batch(actor=finance))
    assert batch.line_count == 4
    rows = payouts.payout_rows(batch)
    assert [r.payee_name for r in rows] == ["王小明", "王小明", "王小明", "李四"]
