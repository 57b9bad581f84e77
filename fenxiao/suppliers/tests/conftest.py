import itertools

import pytest
from django.contrib.auth.models import Group
from stdnum.cn import uscc

from fenxiao.accounts.services import ensure_staff_groups
from fenxiao.suppliers import services
from tests.factories import UserFactory

_codes = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    """A well-formed 统一社会信用代码 (its check character computed), a new one each call."""
    body = f"9133010{n if n is not None else next(_codes):010d}"
    return body + uscc.calc_check_digit(body)


def application(**overrides) -> dict:
    n = next(_codes)
    data = {
        "name": f"供应商{n}",
        "company_name": f"杭州某某食品有限公司{n}",
        "credit_code": credit_code(n),
        "licence_number": "SC10633010600123",
        "category": "食品",
        "production_scale": "厂房 5000 平方米，日产 2 万件",
        "quality_system": "ISO 9001、HACCP",
        "contact_name": "李经理",
        "contact_phone": "13800001111",
        "return_receiver": "仓库收货组",
        "return_phone": "13800002222",
        "return_province": "浙江省",
        "return_city": "杭州市",
        "return_district": "余杭区",
        "return_detail": "仓前街道 88 号 2 号仓",
        "bank_account_name": f"杭州某某食品有限公司{n}",
        "bank_account_number": "1202021209000123456",
        "bank_name": "工商银行杭州余杭支行",
        "settlement_cycle": "monthly",
    }
    data.update(overrides)
    return data


@pytest.fixture
def supply_staff(db):
    """A member of 供应链, the group that reviews suppliers."""
    ensure_staff_groups()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="供应链"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def applicant(db):
    return UserFactory()


@pytest.fixture
def applied(applicant):
    return services.apply(applicant, **application())


@pytest.fixture
def approved(applied, supply_staff):
    return services.approve(applied.pk, supply_staff)
