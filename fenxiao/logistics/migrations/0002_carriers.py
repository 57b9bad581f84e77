from django.db import migrations

from fenxiao.logistics.defaults import ensure_carriers


def add_carriers(apps, schema_editor):
    ensure_carriers(apps.get_model("logistics", "Carrier"))


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial")]

    operations = [migrations.RunPython(add_carriers, migrations.RunPython.noop)]
