"""The seeded carriers' number formats, unknown carriers, and the carrier services."""

import pytest

from fenxiao.logistics import selectors, services
from fenxiao.logistics.errors import LogisticsError
from fenxiao.logistics.models import Carrier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("carriers")]

# code -> (numbers in the carrier's format, numbers that are not)
NUMBERS = {
    "shunfeng": (["SF1234567890123", "123456789012", " SF 1234567890123 "], ["SF12345", "YT1234567890123", "12345678901a"]),
    "zhongtong": (["ZTO123456789012", "78912345678901"], ["ZTO12345", "SF123456789012"]),
    "yuantong": (["YT1234567890", "YT123456789012345"], ["YT123", "JT1234567890123"]),
    "shentong": (["STO773012345678", "773012345678"], ["STO77", "ZTO773012345678"]),
    "yunda": (["4312345678901", "431234567890123"], ["43123456789", "YD4312345678901"]),
    "jtexpress": (["JT1234567890123"], ["JT123456789012", "1234567890123"]),
    "jd": (["JDVA12345678901", "JD0012345678"], ["JD123", "JDva12345678901!"]),
    "ems": (["EA123456789CN", "1123456789012"], ["E123456789CN", "2123456789012"]),
    "youzhengguonei": (["9876543210123", "RR123456789CN"], ["98765432101", "R123456789CN"]),
}


def test_every_seeded_carrier_is_covered():
    assert set(Carrier.objects.values_list("code", flat=True)) >= set(NUMBERS)


@pytest.mark.parametrize("code", sorted(NUMBERS))
def test_check_number_per_carrier(code):
    carrier = Carrier.objects.get(code=code)
    good, bad = NUMBERS[code]
    for number in good:
        assert services.check_number(carrier, number) == number.replace(" ", "").strip()
    for number in bad:
        with pytest.raises(LogisticsError) as caught:
            services.check_number(carrier, number)
        assert (caught.value.code, caught.value.status) == ("invalid_tracking_number", 422), number


def test_a_carrier_without_a_pattern_takes_6_to_40_letters_and_digits():
    carrier = Carrier.objects.create(code="local", name="同城配送")
    assert services.check_number(carrier, "AB1234") == "AB1234"
    for number in ("AB123", "A" * 41, "AB-1234", ""):
        with pytest.raises(LogisticsError):
            services.check_number(carrier, number)


def test_unknown_and_inactive_carriers_are_refused():
    Carrier.objects.filter(code="ems").update(is_active=False)
    for name in ("nosuch", "ems", "", 987654, None, True):
        with pytest.raises(LogisticsError) as caught:
            services.active_carrier(name)
        assert (caught.value.code, caught.value.status) == ("unknown_carrier", 422)
    zto = Carrier.objects.get(code="zhongtong")
    assert services.active_carrier("zhongtong") == zto
    assert services.active_carrier("中通快递") == zto
    assert services.active_carrier(zto.pk) == zto


def test_create_update_deactivate():
    carrier = services.create_carrier(code="Kuayue", name="跨越速运", number_pattern=r"KY\d{10}", sort_order=20)
    assert carrier.code == "kuayue" and carrier.is_active
    assert services.check_number(carrier, "KY0123456789")
    carrier = services.update_carrier(carrier.pk, tracking_url_template="https://example.com/q?no={number}", name=None)
    assert carrier.name == "跨越速运"
    assert carrier.tracking_url("KY0123456789") == "https://example.com/q?no=KY0123456789"
    carrier = services.deactivate_carrier(carrier.pk)
    assert not carrier.is_active
    assert carrier not in selectors.active_carriers()
    assert carrier in selectors.all_carriers()


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"code": "bad code", "name": "x"}, "invalid_carrier", "code"),
        ({"code": "ok", "name": "x", "number_pattern": "(unclosed"}, "invalid_carrier", "number_pattern"),
        ({"code": "ok", "name": "x", "number_pattern": "a{99999999999}"}, "invalid_carrier", "number_pattern"),
        (
            {"code": "ok", "name": "x", "tracking_url_template": "javascript:alert({number})"},
            "invalid_carrier",
            "tracking_url_template",
        ),
        (
            {"code": "ok", "name": "x", "tracking_url_template": "https://example.com/"},
            "invalid_carrier",
            "tracking_url_template",
        ),
        ({"code": "ok", "name": "  "}, "invalid_carrier", "name"),
        ({"code": "zhongtong", "name": "新中通"}, "carrier_taken", "code"),
        ({"code": "zto2", "name": "中通快递"}, "carrier_taken", "name"),
    ],
)
def test_bad_carriers_are_refused(data, code, field):
    with pytest.raises(LogisticsError) as caught:
        services.create_carrier(**data)
    assert (caught.value.code, caught.value.detail["field"]) == (code, field)


def test_update_of_a_missing_carrier_is_404():
    with pytest.raises(LogisticsError) as caught:
        services.update_carrier(987654, name="x")
    assert (caught.value.code, caught.value.status) == ("carrier_not_found", 404)
