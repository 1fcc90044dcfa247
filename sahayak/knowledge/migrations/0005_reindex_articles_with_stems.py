"""Articles are indexed with word stems from now on: rebuild their index rows (few rows)
and learn their words for typo correction.
Messages indexed before keep working by their words; ``sahayak reindex`` adds their stems."""

from django.db import migrations


def reindex_articles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sahayak.knowledge.search import keyset_batches, translation_rows
    from sahayak.knowledge.search.backends import backend
    from sahayak.conversations.text import html_to_text
    from sahayak.knowledge.search.vocabulary import words_of

    word = apps.get_model("knowledge", "SearchWord")

    translation = apps.get_model("knowledge", "ArticleTranslation")
    engine = backend()
    for batch in keyset_batches(translation.objects.select_related("article"), 500):
        engine.index_articles(translation_rows(batch))
        words = sorted(words_of(t.title + "\n" + html_to_text(t.body_html) for t in batch))
        word.objects.bulk_create(
            [word(word=w, initial=w[0], length=len(w)) for w in words], ignore_conflicts=True
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_search_vocabulary")]

    operations = [migrations.RunPython(reindex_articles, migrations.RunPython.noop)]
