"""The address book's rules: validation, one default, at most 20, only one's own."""

import pytest
from django.db import IntegrityError, transaction

from fenxiao.addresses import selectors, services
from fenxiao.addresses.errors import AddressError
from fenxiao.addresses.models import MAX_ADDRESSES, Address


def test_the_first_address_is_the_default_and_keeps_names_and_codes(buyer, book_address):
    address = services.add_address(user=buyer, data=book_address)
    assert address.is_default
    assert (address.province, address.city, address.district) == ("浙江省", "杭州市", "西湖区")
    assert (address.province_code, address.city_code, address.district_code) == ("33", "3301", "330106")
    second = services.add_address(user=buyer, data={**book_address, "receiver": "李四"})
    assert not second.is_default
    assert selectors.default_address(buyer) == address


def test_input_is_checked(buyer, book_address):
    cases = [
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"receiver": "   "}, "invalid_address", "receiver"),
        ({"detail": "路" * 121}, "invalid_address", "detail"),
        ({"city_code": "3201"}, "invalid_region", "city"),
        ({"district_code": "110105"}, "invalid_region", "district"),
    ]
    for change, code, field in cases:
        with pytest.raises(AddressError) as exc:
            services.add_address(user=buyer, data={**book_address, **change})
        assert (exc.value.code, exc.value.detail["field"]) == (code, field)
    assert not Address.objects.filter(user=buyer).exists()
    saved = services.add_address(user=buyer, data={**book_address, "phone": "+86 138-1234-5678", "receiver": " 王  小明 "})
    assert (saved.phone, saved.receiver) == ("13812345678", "王 小明")


def test_at_most_one_default_per_user(buyer, other_buyer, book_address):
    first = services.add_address(user=buyer, data=book_address)
    second = services.add_address(user=buyer, data=book_address, make_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    services.set_default(user=buyer, address_id=first.pk)
    assert list(Address.objects.filter(user=buyer, is_default=True)) == [first]
    services.add_address(user=other_buyer, data=book_address)  # another user's default is its own
    # the database refuses a second default whatever the code does
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.filter(pk=second.pk).update(is_default=True)


def test_deleting_the_default_hands_it_to_the_newest_remaining(buyer, book_address):
    oldest = services.add_address(user=buyer, data=book_address)
    services.add_address(user=buyer, data={**book_address, "receiver": "甲"})
    newest = services.add_address(user=buyer, data={**book_address, "receiver": "乙"})
    services.delete_address(user=buyer, address_id=oldest.pk)
    newest.refresh_from_db()
    assert newest.is_default
    assert Address.objects.filter(user=buyer).count() == 2
    services.delete_address(user=buyer, address_id=Address.objects.get(user=buyer, receiver="甲").pk)
    services.delete_address(user=buyer, address_id=newest.pk)
    assert selectors.default_address(buyer) is None


def test_at_most_twenty_addresses(buyer, book_address):
    for i in range(MAX_ADDRESSES):
        services.add_address(user=buyer, data={**book_address, "receiver": f"收货人{i}"})
    with pytest.raises(AddressError) as exc:
        services.add_address(user=buyer, data=book_address)
    assert exc.value.code == "address_limit" and exc.value.detail == {"max": MAX_ADDRESSES}
    assert Address.objects.filter(user=buyer).count() == MAX_ADDRESSES


def test_update_changes_the_region_and_may_make_it_default(buyer, book_address):
    services.add_address(user=buyer, data=book_address)
    second = services.add_address(user=buyer, data=book_address)
    updated = services.update_address(
        user=buyer,
        address_id=second.pk,
        data={**book_address, "province_code": "11", "city_code": "1101", "district_code": "110105"},
        make_default=True,
    )
    assert (updated.province, updated.city, updated.district, updated.is_default) == ("北京市", "市辖区", "朝阳区", True)
    assert updated.for_order()["city"] == "北京市"


def test_another_users_address_is_not_found(buyer, other_buyer, book_address):
    theirs = services.add_address(user=other_buyer, data=book_address)
    for call in (
        lambda: services.update_address(user=buyer, address_id=theirs.pk, data={}),
        lambda: services.delete_address(user=buyer, address_id=theirs.pk),
        lambda: services.set_default(user=buyer, address_id=theirs.pk),
    ):
        with pytest.raises(AddressError) as exc:
            call()
        assert (exc.value.code, exc.value.status) == ("address_not_found", 404)
    assert selectors.address_of(buyer, theirs.pk) is None
    theirs.refresh_from_db()
    assert theirs.receiver == "王小明" and theirs.is_default
