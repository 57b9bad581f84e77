from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_remove_old_address_book"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(fields=["product_id"], name="order_line_product_idx"),
        ),
    ]
