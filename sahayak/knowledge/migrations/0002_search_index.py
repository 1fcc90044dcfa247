"""The full-text index tables of the database in use (see knowledge/search/backends.py)."""

from django.db import migrations


def create(apps, schema_editor):
    from sahayak.knowledge.search.backends import PostgresBackend, SqliteBackend

    vendor = schema_editor.connection.vendor
    for backend in (SqliteBackend, PostgresBackend):
        if backend.vendor == vendor:
            with schema_editor.connection.cursor() as cursor:
                backend.create_tables(cursor)


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            for table in ("knowledge_article_fts", "knowledge_message_fts"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_deleted")
        if schema_editor.connection.vendor == "postgresql":
            for table in ("knowledge_article_search", "knowledge_message_search"):
                for suffix in ("deleted", "truncated"):
                    cursor.execute(f"DROP FUNCTION IF EXISTS {table}_{suffix}() CASCADE")
        for table in (
            "knowledge_article_fts",
            "knowledge_message_fts",
            "knowledge_article_search",
            "knowledge_message_search",
        ):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("conversations", "0002_thread_references"),
    ]

    operations = [migrations.RunPython(create, drop)]
