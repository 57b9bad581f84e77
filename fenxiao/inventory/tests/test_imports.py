"""Stock files: a good file is received whole, in its batches; any bad row (each kind) leaves
nothing received and says which row and why; file-level problems are refused outright."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import StockBatch, StockMovement, StockRecord
from fenxiao.inventory.selectors import batch_violations
from fenxiao.inventory.services import import_stock_file, receive_stock
from fenxiao.suppliers.models import Supplier
from tests.factories import SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "SKU编码,数量,批次号,生产日期,到期日"


@pytest.fixture
def supplier():
    return Supplier.objects.create(name="山里果园", status=Supplier.Status.APPROVED, user=UserFactory())


@pytest.fixture
def skus(supplier):
    mine = SkuFactory(code="NUT-1", stock=0, supplier=supplier)
    via_product = SkuFactory(code="NUT-2", stock=0, product__supplier=supplier)
    platform = SkuFactory(code="TEA-1", stock=0)
    return mine, via_product, platform


def csv_file(*lines: str, name="stock.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))


def test_a_good_csv_is_received_into_its_batches(supplier, skus):
    mine, via_product, _ = skus
    where = f"supplier:{supplier.pk}"
    result = import_stock_file(
        where,
        csv_file("NUT-1,10,B1,2026-11-01,2027-05-01", "NUT-2,4,,,", "NUT-1,5,B1,2026-11-01,2027-05-01"),
        actor=None,
    )
    assert result.applied and result.error_count == 0 and result.units == 19
    assert [r.row for r in result.rows] == [2, 3, 4]
    record = StockRecord.objects.get(sku=mine, location=where)
    assert record.on_hand == 15
    b1 = StockBatch.objects.get(stock_record=record, batch_number="B1")
    assert (b1.on_hand, b1.production_date, b1.expiry_date) == (15, date(2026, 11, 1), date(2027, 5, 1))
    assert StockRecord.objects.get(sku=via_product, location=where).on_hand == 4
    assert StockMovement.objects.filter(kind="receive").count() == 3
    assert batch_violations() == []


def test_a_good_xlsx_with_date_cells(supplier, skus):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["NUT-1", 3, "X7", date(2026, 10, 1), date(2027, 1, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_stock_file(f"supplier:{supplier.pk}", SimpleUploadedFile("stock.xlsx", buffer.getvalue()))
    assert result.applied
    batch = StockBatch.objects.get(batch_number="X7")
    assert (batch.on_hand, batch.expiry_date) == (3, date(2027, 1, 1))


def test_the_platform_warehouse_takes_any_sku(skus):
    result = import_stock_file("main", csv_file("TEA-1,8,T1,,2027-01-01"))
    assert result.applied
    assert StockRecord.objects.get(sku=skus[2], location="main").on_hand == 8


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("NOPE-9,1,B,,", "SKU 编码不存在"),
        (",1,B,,", "缺少 SKU 编码"),
        ("NUT-1,abc,B,,", "数量必须是正整数"),
        ("NUT-1,0,B,,", "数量必须是正整数"),
        ("NUT-1,-3,B,,", "数量必须是正整数"),
        ("NUT-1,1,B,2026/01/01,", "生产日期不是 YYYY-MM-DD 格式的日期"),
        ("NUT-1,1,B,,2027-02-30", "到期日不是 YYYY-MM-DD 格式的日期"),
        ("NUT-1,1,B,2027-01-02,2027-01-01", "到期日不能早于生产日期"),
        ("TEA-1,1,B,,", "该 SKU 不由本供应商发货"),
        ("NUT-1,1," + "x" * 41 + ",,", "批次号最多 40 个字符"),
        ("NUT-1,1,OLD,,2028-01-01", "批次 OLD 的日期与已有的不一致"),
    ],
)
def test_any_bad_row_receives_nothing(supplier, skus, line, error):
    where = f"supplier:{supplier.pk}"
    receive_stock(sku_id=skus[0].pk, quantity=1, location=where, batch_number="OLD", expiry_date=date(2027, 1, 1))
    before = StockMovement.objects.count()
    result = import_stock_file(where, csv_file("NUT-1,10,GOOD,,", line))
    assert not result.applied and result.error_count == 1
    good, bad = result.rows
    assert good.ok and good.as_dict()["ok"] is True
    assert bad.row == 3 and bad.errors == [error]
    assert StockMovement.objects.count() == before
    assert StockRecord.objects.get(sku=skus[0], location=where).on_hand == 1


def test_rows_of_one_batch_must_agree_on_its_dates(supplier, skus):
    result = import_stock_file(f"supplier:{supplier.pk}", csv_file("NUT-1,1,B2,,2027-01-01", "NUT-1,1,B2,,2027-02-01"))
    assert not result.applied
    assert [r.ok for r in result.rows] == [True, False]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "a.csv", "文件是空的"),
        ("名称,数量\nNUT-1,1\n".encode(), "a.csv", "表头必须是"),
        (f"{HEADER}\n".encode(), "a.csv", "没有数据行"),
        (b"\xd0\xcf\x11\xe0old", "a.xls", "不支持旧版 .xls"),
        (b"PK\x03\x04broken", "a.xlsx", "无法读取 Excel 文件"),
        (("\n".join([HEADER] + ["NUT-1,1,,,"] * 2001)).encode(), "a.csv", "文件最多 2000 行"),
        (b"x" * (2 * 1024 * 1024 + 1), "a.csv", "文件不能超过 2 MB"),
    ],
)
def test_file_level_problems_are_refused(supplier, skus, content, name, message):
    with pytest.raises(InventoryError) as exc:
        import_stock_file(f"supplier:{supplier.pk}", SimpleUploadedFile(name, content))
    assert exc.value.code == "invalid_file" and exc.value.status == 400
    assert message in exc.value.message
    assert not StockMovement.objects.exists()
