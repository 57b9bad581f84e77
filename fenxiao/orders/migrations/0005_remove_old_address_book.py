from django.db import migrations


class Migration(migrations.Migration):
    """Saved addresses live in the address book (fenxiao/addresses); its migration copies these rows first."""

    dependencies = [
        ("orders", "0004_aftersale_photos"),
        ("addresses", "0002_copy_order_addresses"),
    ]

    operations = [
        migrations.DeleteModel(name="Address"),
    ]
