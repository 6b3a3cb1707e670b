"""The migrated schema must be exactly what the models describe, on SQLite and MariaDB."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from crm.db import APP_LABEL, tortoise_config


async def test_migrations_are_in_step_with_the_models(db: str) -> None:
    """makemigrations would create nothing: the models and migrations/ agree."""
    apps_config = tortoise_config(db)["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    pending = [op for w in writers for op in w.operations]
    assert not pending, f"models changed without a migration: {pending}"


async def test_every_model_table_column_and_index_exists(db: str) -> None:
    conn = Tortoise.get_connection("default")
    sqlite = db.startswith("sqlite")
    for model in Tortoise.apps[APP_LABEL].values():
        description = model.describe()
        table = description["table"]
        expected = {description["pk_field"]["db_column"]}
        expected |= {f["db_column"] for f in description["data_fields"]}
        if sqlite:
            rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
            actual = {r["name"] for r in rows}
        else:
            rows = await conn.execute_query_dict(f"SHOW COLUMNS FROM `{table}`")
            actual = {r["Field"] for r in rows}
        assert expected == actual, f"{table}: models {expected ^ actual} differ"
        wanted = [tuple(index.fields) for index in model._meta.indexes]
        present = await _index_columns(conn, table, sqlite)
        for columns in wanted:
            assert columns in present, f"{table} has no index on {columns}"


async def _index_columns(conn, table: str, sqlite: bool) -> set[tuple[str, ...]]:
    result: set[tuple[str, ...]] = set()
    if sqlite:
        for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
            cols = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            result.add(tuple(c["name"] for c in sorted(cols, key=lambda c: c["seqno"])))
        return result
    by_name: dict[str, list[tuple[int, str]]] = {}
    for row in await conn.execute_query_dict(f"SHOW INDEX FROM `{table}`"):
        by_name.setdefault(row["Key_name"], []).append((row["Seq_in_index"], row["Column_name"]))
    return {tuple(c for _, c in sorted(cols)) for cols in by_name.values()}
