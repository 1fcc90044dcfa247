"""PostgreSQL: article titles get an index of their own (``title_document``), so that title
matches are ranked without reading every matching body; existing rows are indexed again
(articles are few). SQLite's FTS5 index has a title column already: nothing to do."""

from django.db import migrations


def add_title_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from sahayak.knowledge.search import keyset_batches, translation_rows
    from sahayak.knowledge.search.backends import PostgresBackend

    with schema_editor.connection.cursor() as cursor:
        for ddl in PostgresBackend.title_ddl("knowledge_article_search"):
            cursor.execute(ddl)
    translation = apps.get_model("knowledge", "ArticleTranslation")
    engine = PostgresBackend()
    for batch in keyset_batches(translation.objects.select_related("article"), 500):
        engine.index_articles(translation_rows(batch))


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_reindex_articles_with_stems")]

    operations = [migrations.RunPython(add_title_index, migrations.RunPython.noop)]
