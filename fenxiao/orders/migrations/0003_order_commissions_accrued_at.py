from django.db import migrations, models
from django.db.models import F


def mark_paid_orders_accrued(apps, schema_editor):
    """Until now a paid order's commissions were accrued in the payment's own transaction: every order
    ever paid has them already."""
    Order = apps.get_model("orders", "Order")
    Order.objects.filter(paid_at__isnull=False).update(commissions_accrued_at=F("paid_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_duty_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="commissions_accrued_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="佣金入账时间"),
        ),
        migrations.RunPython(mark_paid_orders_accrued, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("commissions_accrued_at__isnull", True), ("paid_at__isnull", False)),
                fields=["id"],
                name="order_accrual_due",
            ),
        ),
    ]
