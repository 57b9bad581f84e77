"""The migration that moves orders' old saved addresses into the address book."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("addresses", "0001_address_book"), ("orders", "0004_aftersale_photos")]
AFTER = [("addresses", "0002_copy_order_addresses")]


@pytest.mark.django_db(transaction=True)
def test_old_addresses_are_copied_into_the_book_with_their_region_codes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("accounts", "User")
    Old = old_apps.get_model("orders", "Address")
    buyer = User.objects.create(username="old-book", phone="13900000077")
    other = User.objects.create(username="no-region", phone="13900000078")
    common = {"receiver": "张三", "phone": "13900000077", "detail": "文三路 1 号"}
    Old.objects.create(user=buyer, province="浙江省", city="杭州市", district="西湖区", is_default=False, **common)
    Old.objects.create(user=buyer, province="北京市", city="北京市", district="朝阳区", is_default=True, **common)
    Old.objects.create(user=other, province="火星省", city="某市", district="某区", is_default=True, **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    Book = new_apps.get_model("addresses", "Address")
    rows = list(Book.objects.filter(user_id=buyer.pk).order_by("-is_default", "id"))
    assert [(r.province, r.district, r.is_default) for r in rows] == [("北京市", "朝阳区", True), ("浙江省", "西湖区", False)]
    assert rows[1].province_code == "33" and rows[1].city_code == "3301" and rows[1].district_code == "330106"
    unknown = Book.objects.get(user_id=other.pk)
    assert (unknown.province, unknown.province_code, unknown.is_default) == ("火星省", "", True)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state for the other tests
