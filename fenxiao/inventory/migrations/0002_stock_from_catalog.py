"""Move each SKU's stock_on_hand into a platform-warehouse ("main") stock record, with a receive
movement so the audit trail starts from the figure the catalog held. catalog 0002 drops the old
column after this has run; reversing copies the main figures back."""

from django.db import migrations

NOTE = "catalog stock_on_hand"
BATCH = 500


def forwards(apps, schema_editor):
    Sku = apps.get_model("catalog", "Sku")
    StockRecord = apps.get_model("inventory", "StockRecord")
    StockMovement = apps.get_model("inventory", "StockMovement")
    have = set(StockRecord.objects.filter(location="main").values_list("sku_id", flat=True))
    pending = [(pk, stock) for pk, stock in Sku.objects.order_by("pk").values_list("pk", "stock_on_hand") if pk not in have]
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        StockRecord.objects.bulk_create(StockRecord(sku_id=pk, location="main", on_hand=stock) for pk, stock in chunk)
        records = StockRecord.objects.filter(location="main", sku_id__in=[pk for pk, _ in chunk], on_hand__gt=0)
        StockMovement.objects.bulk_create(
            StockMovement(stock_record_id=record.pk, kind="receive", on_hand_delta=record.on_hand, note=NOTE)
            for record in records
        )


def backwards(apps, schema_editor):
    Sku = apps.get_model("catalog", "Sku")
    StockRecord = apps.get_model("inventory", "StockRecord")
    for sku_id, on_hand in StockRecord.objects.filter(location="main").values_list("sku_id", "on_hand").iterator():
        Sku.objects.filter(pk=sku_id).update(stock_on_hand=on_hand)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("inventory", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
