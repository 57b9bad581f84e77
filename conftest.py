import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _books_balance_after_the_suite(request, django_db_setup, django_db_blocker):
    """Whatever the tests left in the test database, the ledger must still pass every check."""
    from pytest_django.fixtures import _get_databases_for_setup

    used_database = "default" in _get_databases_for_setup(request.session.items)[0]
    yield
    from fenxiao.ledger.selectors import violations

    if not used_database:
        return  # no test used the database, so none was created: nothing to check (and never the real one)
    with django_db_blocker.unblock():
        problems = [v.message for v in violations()]
    assert not problems, f"ledger_check fails after the test suite: {problems[:5]}"
