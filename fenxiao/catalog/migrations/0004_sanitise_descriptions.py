"""Descriptions written before rich text are plain text: store them in the sanitised form the
product page now shows as it is (plain text becomes paragraphs)."""

from django.db import migrations


def sanitise(apps, schema_editor):
    from fenxiao.catalog.content import clean_description

    Product = apps.get_model("catalog", "Product")
    for product in Product.objects.exclude(description="").only("pk", "description").iterator():
        cleaned = clean_description(product.description)
        if cleaned != product.description:
            Product.objects.filter(pk=product.pk).update(description=cleaned)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_product_rich_description_banners")]

    operations = [migrations.RunPython(sanitise, migrations.RunPython.noop)]
