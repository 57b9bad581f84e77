"""Property-based contract test: every operation of the served OpenAPI document, called as every role.

For each operation schemathesis generates requests (valid and invalid ones) from the schema served at
/api/openapi.json; each generated request is sent through the WSGI application once per role
(anonymous, consumer, distributor, each staff group, superuser) and every answer must be no server
error, have a declared status, the declared content type and conform to the declared schema.

The random examples per operation are bounded (FENXIAO_SCHEMATHESIS_EXAMPLES, default 10, on top of
the boundary cases schemathesis derives from the schema); generation is derandomized, nothing is
shrunk and no example database is written.
"""

import os

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fenxiao.accounts.services import STAFF_GROUPS, ensure_staff_groups, issue_token
from tests.factories import DistributorFactory, SkuFactory, StaffFactory, UserFactory

EXAMPLES = int(os.environ.get("FENXIAO_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.django_db

config = SchemathesisConfig.from_dict(
    {"generation": {"max-examples": EXAMPLES, "deterministic": True, "no-shrink": True, "database": "none"}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=config)


@pytest.fixture
def keep_test_connection():
    """The requests run in-process inside the test's transaction: like Django's test client, don't let
    the request signals close that connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(settings, keep_test_connection):
    """`{role: headers}` for anonymous, consumer, distributor, each staff group and the superuser."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    SkuFactory()
    ensure_staff_groups()
    users = {
        "consumer": UserFactory(),
        "distributor": DistributorFactory().user,
        "superuser": StaffFactory(),
    }
    for name in STAFF_GROUPS:
        staff = UserFactory(is_staff=True)
        staff.groups.add(Group.objects.get(name=name))
        users[f"staff:{name}"] = staff
    # The WSGI transport hands the body over as the application sent it, without undoing gzip, so the
    # checks ask for uncompressed answers (compression itself is tested with the pages).
    plain = {"Accept-Encoding": "identity"}
    headers = {"anonymous": dict(plain)}
    headers.update({role: {**plain, "Authorization": f"Bearer {issue_token(user=user)}"} for role, user in users.items()})
    return headers


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role(case, role_headers):
    for headers in role_headers.values():
        case.call_and_validate(headers=headers, checks=CHECKS)
