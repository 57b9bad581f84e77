import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_keepdb):
    """The SQLite test database keeps its stable name (test settings) with --reuse-db; a run without
    it works on a file of its own, so two runs at once in one checkout never share one."""
    if django_db_keepdb:
        return
    from django.conf import settings

    for database in settings.DATABASES.values():
        name = database.get("TEST", {}).get("NAME")
        if database["ENGINE"].endswith("sqlite3") and name and name != ":memory:":
            path = Path(name)
            database["TEST"]["NAME"] = str(path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """The browser tests share one Chromium (tests/chromium.py) only while they follow each other: it is
    shut down, after this test's own fixtures, as soon as the next test does not use it."""
    try:
        return (yield)
    finally:
        last = nextitem is None or item.session.shouldstop or item.session.shouldfail
        if last or "browser" not in nextitem.fixturenames:
            from tests import chromium

            chromium.shut_down()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Login and sign-up attempts are counted in the shared cache; each test starts with none counted."""
    import uuid

    settings.FENXIAO_RATELIMIT_PREFIX = f"rl-test-{uuid.uuid4().hex}"


@pytest.fixture(scope="session", autouse=True)
def _books_balance_after_the_suite(request, django_db_setup, django_db_blocker):
    """Whatever the tests left in the test database, the ledger must still pass every check."""
    from pytest_django.fixtures import _get_databases_for_setup

    used_database = "default" in _get_databases_for_setup(request.session.items)[0]
    yield
    from fenxiao.commissions.selectors import reconciliation
    from fenxiao.ledger.selectors import violations

    if not used_database:
        return  # no test used the database, so none was created: nothing to check (and never the real one)
    with django_db_blocker.unblock():
        problems = [v.message for v in violations()]
        books = reconciliation()
        _end_other_sessions()
    assert not problems, f"ledger_check fails after the test suite: {problems[:5]}"
    assert books.ok, f"the commission reconciliation fails after the test suite: {books}"


def _end_other_sessions() -> None:
    """A browser test's keep-alive request thread may still hold its own connection, and PostgreSQL
    will not drop a database in use: end those sessions before pytest-django drops the test database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
