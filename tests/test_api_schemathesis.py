"""Property-based contract test: every operation of the served OpenAPI document, called as every role.

For each operation schemathesis generates requests (valid and invalid ones) from the schema served at
/api/openapi.json and sends them through the WSGI application as the roles below (anonymous, consumer,
distributor, supplier, each staff group, superuser); every answer must be no server error, have a
declared status, the declared content type and conform to the declared schema.

Each operation's examples are the boundary cases schemathesis derives from the schema plus
FENXIAO_SCHEMATHESIS_EXAMPLES random ones (default 10). Who is sent which, per operation:

- the roles the operation lets in (its rule in `tests/authz_table.py`, asked about the caller's own
  object; anonymous only where the rule is public) get every valid example;
- an invalid example goes to the first of those roles; the others get it too unless that answer was
  the validation refusal (400/422), which comes before anything looks at who is calling;
- every role the operation refuses gets only its first FENXIAO_SCHEMATHESIS_REFUSED_EXAMPLES valid and
  as many invalid examples (default 2 each): enough to check the refusal's status, content type and
  schema. Who is refused where is the authorization matrix's business (`tests/test_authz_matrix.py`).

FENXIAO_SCHEMATHESIS_ALL_ROLES=1 sends every example as every role (the deep run); raise
FENXIAO_SCHEMATHESIS_EXAMPLES for more random examples. Generation is derandomized, nothing is shrunk
and no example database is written. The users and their tokens are made once for the module inside a
transaction rolled back at its end; each operation runs in a savepoint of its own.
"""

import os
import sys
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fenxiao.accounts.services import STAFF_GROUPS, ensure_staff_groups, issue_token
from fenxiao.supply.tests.portal_world import make_supplier
from tests.authz_table import ALLOWED, TABLE
from tests.factories import DistributorFactory, SkuFactory, StaffFactory, UserFactory

EXAMPLES = int(os.environ.get("FENXIAO_SCHEMATHESIS_EXAMPLES", "10"))
REFUSED_EXAMPLES = int(os.environ.get("FENXIAO_SCHEMATHESIS_REFUSED_EXAMPLES", "2"))
ALL_ROLES = os.environ.get("FENXIAO_SCHEMATHESIS_ALL_ROLES", "") not in ("", "0")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ANONYMOUS = "anonymous"
DISTRIBUTOR_STATUS = {"distributor": "approved"}  # the profile status of the roles that have one
VALIDATION_REFUSALS = (400, 422)

pytestmark = pytest.mark.django_db

config = SchemathesisConfig.from_dict(
    {"generation": {"max-examples": EXAMPLES, "deterministic": True, "no-shrink": True, "database": "none"}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=config)


@pytest.fixture(scope="module")
def roles(django_db_setup, django_db_blocker):
    """`{role: (user or None, headers)}`, made once for the module and rolled back at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            SkuFactory()
            ensure_staff_groups()
            users = {
                "consumer": UserFactory(),
                "distributor": DistributorFactory().user,
                "supplier": make_supplier().user,
            }
            for name in STAFF_GROUPS:
                staff = UserFactory(is_staff=True)
                staff.groups.add(Group.objects.get(name=name))
                users[f"staff:{name}"] = staff
            users["superuser"] = StaffFactory()
            # The WSGI transport hands the body over as the application sent it, without undoing gzip, so
            # the checks ask for uncompressed answers (compression itself is tested with the pages).
            plain = {"Accept-Encoding": "identity"}
            found = {ANONYMOUS: (None, dict(plain))}
            for role, user in users.items():
                found[role] = (user, {**plain, "Authorization": f"Bearer {issue_token(user=user)}"})
            yield found
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.close()


@pytest.fixture
def keep_test_connection():
    """The requests run in-process inside the test's transaction: like Django's test client, don't let
    the request signals close that connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class Sweep:
    """One operation's run, shared by all its examples."""

    let_in: list[str] | None = None  # the roles sent every valid example, in the order of `roles`
    sent: Counter = field(default_factory=Counter)  # (role, generation mode) -> examples sent


@pytest.fixture
def sweep(roles, keep_test_connection):
    return Sweep()


def let_in(operation, roles) -> list[str]:
    """The roles the operation's rule lets in, asking about their own object; every role for the deep
    run or an operation without a rule."""
    rule = TABLE.get(f"{operation.method.upper()} {operation.path}")
    if ALL_ROLES or rule is None:
        return list(roles)
    return [
        role
        for role, (user, _headers) in roles.items()
        if rule.expected(user, distributor_status=DISTRIBUTOR_STATUS.get(role), whose="own") == ALLOWED
    ]


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role(case, roles, sweep):
    if sweep.let_in is None:
        sweep.let_in = let_in(case.operation, roles)
    mode = case.meta.generation.mode if case.meta is not None else GenerationMode.POSITIVE
    invalid = mode == GenerationMode.NEGATIVE
    refused_by_validation = False
    for role, (_user, headers) in roles.items():
        if role in sweep.let_in:
            if refused_by_validation and not ALL_ROLES:
                continue
        elif sweep.sent[role, mode] >= REFUSED_EXAMPLES:
            continue
        sweep.sent[role, mode] += 1
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseException:
            # the report shows schemathesis's own account of the failure; this names the caller
            print(f"{case.operation.label} failed as {role}", file=sys.stderr)
            raise
        if invalid and role == next(iter(sweep.let_in), None):
            refused_by_validation = response.status_code in VALIDATION_REFUSALS
