from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_line_product_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("paid_at__isnull", False)), fields=["paid_at", "paid_fen"], name="order_paid_time_amount"
            ),
        ),
    ]
