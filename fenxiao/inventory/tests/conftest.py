import sqlite3

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tests.factories import SkuFactory


@pytest.fixture
def sku(db):
    return SkuFactory(stock=10)


@pytest.fixture
def concurrent_db(transactional_db, tmp_path):
    """A database that threads really share. On SQLite Django tests in a shared-cache memory
    database, where a second writer is refused at once ("table is locked") instead of waiting its
    turn as it does on a file; so the test runs on an on-disk copy opened with the project's own
    options (WAL, BEGIN IMMEDIATE, busy timeout). PostgreSQL needs nothing."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    memory_name = connection.settings_dict["NAME"]
    keeper = sqlite3.connect(memory_name, uri=True)  # the memory database lives while one connection does
    disk = sqlite3.connect(tmp_path / "concurrent.sqlite3")
    keeper.backup(disk)
    disk.close()
    holders = {id(d): d for d in (settings.DATABASES[DEFAULT_DB_ALIAS], connections.settings[DEFAULT_DB_ALIAS], connection.settings_dict)}
    for holder in holders.values():
        holder["NAME"] = str(tmp_path / "concurrent.sqlite3")
    connection.close()  # a file now, so this really closes; the next query opens the copy
    try:
        yield
    finally:
        connection.close()
        for holder in holders.values():
            holder["NAME"] = memory_name
        connection.ensure_connection()  # back on the memory database before the keeper lets go
        keeper.close()
