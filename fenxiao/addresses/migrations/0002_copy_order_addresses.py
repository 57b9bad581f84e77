"""Addresses saved before the address book existed (orders' own address table) move into the book:
per user the default first, then the newest, at most MAX_ADDRESSES; names that form a real region of
the division dataset get their codes, others keep their names with empty codes (the buyer picks the
region again when editing). Users who already have a book are left as they are."""

from django.db import migrations

MAX_ADDRESSES = 20


def _region_codes(province: str, city: str, district: str) -> tuple[str, str, str]:
    try:
        from fenxiao.addresses import regions

        region = regions.match_names(province, city, district)
    except Exception:  # the dataset is not installed here: names only
        region = None
    if region is None:
        return "", "", ""
    return region.province.code, region.city.code, region.district.code


def copy_addresses(apps, schema_editor):
    Old = apps.get_model("orders", "Address")
    Book = apps.get_model("addresses", "Address")
    users = Old.objects.order_by().values_list("user_id", flat=True).distinct()
    for user_id in users:
        if Book.objects.filter(user_id=user_id).exists():
            continue
        rows = list(Old.objects.filter(user_id=user_id).order_by("-is_default", "-id")[:MAX_ADDRESSES])
        for index, row in enumerate(rows):
            province_code, city_code, district_code = _region_codes(row.province, row.city, row.district)
            Book.objects.create(
                user_id=user_id,
                receiver=row.receiver,
                phone=row.phone,
                province=row.province,
                province_code=province_code,
                city=row.city,
                city_code=city_code,
                district=row.district,
                district_code=district_code,
                detail=row.detail,
                is_default=index == 0,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("addresses", "0001_address_book"),
        ("orders", "0004_aftersale_photos"),
    ]

    operations = [migrations.RunPython(copy_addresses, migrations.RunPython.noop)]
