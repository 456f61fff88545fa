"""What every SQLite connection is set to: commits as durable as before
(WAL, synchronous NORMAL, foreign keys checked), the journals that only
roll back within a transaction kept in memory, and a page cache of 16 MB."""

PRAGMAS = {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "temp_store": 2, "cache_size": -16384}


def test_each_connection_keeps_commits_durable_and_rollback_journals_in_memory(sqlite_db):
    with sqlite_db.engine.connect() as connection:
        found = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in PRAGMAS}
    assert found == PRAGMAS


def test_a_savepoint_rolled_back_in_memory_leaves_the_transaction_as_it_was(sqlite_db):
    with sqlite_db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE kept (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO kept VALUES (1)")
        savepoint = connection.begin_nested()
        connection.exec_driver_sql("INSERT INTO kept VALUES (2)")
        savepoint.rollback()
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM kept").scalars().all() == [1]
