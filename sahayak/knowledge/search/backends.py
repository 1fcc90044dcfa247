"""Full-text search on the database we run on: SQLite FTS5 or PostgreSQL (tsvector + GIN).

Both index the output of :func:`sahayak.knowledge.search.text.document`, so they agree on
words in every script; ranking puts title matches above body matches in both (FTS5 bm25
with column weights, ``ts_rank`` with weight A for titles and D for bodies).

The index lives beside the searched tables (created by the knowledge app's migrations):
- SQLite: ``knowledge_article_fts(title, body)`` and ``knowledge_message_fts(text)``,
  FTS5 tables whose rowid is the translation's or the message's id (triggers delete index
  rows with their source rows);
- PostgreSQL: ``knowledge_article_search`` and ``knowledge_message_search``, one tsvector
  per row with a GIN index; triggers delete index rows with their source rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from .text import word_marks

# A query term: its alternatives (the word, its stems), each (text, matched as a prefix).
Alternative = tuple[str, bool]
Group = tuple[Alternative, ...]


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


@dataclass(frozen=True)
class ArticleFilter:
    locales: Sequence[str] = ()
    published_only: bool = True
    public_only: bool = True


@dataclass(frozen=True)
class MessageFilter:
    """Conversations of these private teams are hidden unless assigned to ``user_id``."""

    hidden_team_ids: Sequence[int] = ()
    user_id: int | None = None


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _article_conditions(flt: ArticleFilter) -> tuple[str, list[Any]]:
    sql, params = [], []  # type: list[str], list[Any]
    if flt.published_only:
        sql.append("t.status = 'published'")
    if flt.public_only:
        sql.append("a.visibility = 'public'")
    if flt.locales:
        sql.append(f"t.locale IN ({_placeholders(flt.locales)})")
        params.extend(flt.locales)
    return "".join(f" AND {s}" for s in sql), params


def _message_conditions(flt: MessageFilter) -> tuple[str, list[Any], bool]:
    """SQL on ``c`` (the conversation), its params, and whether the join is needed at all."""
    if not flt.hidden_team_ids:
        return "", [], False
    sql = (
        f" AND (c.team_id IS NULL OR c.team_id NOT IN ({_placeholders(flt.hidden_team_ids)})"
        " OR c.assignee_id = %s)"
    )
    return sql, [*flt.hidden_team_ids, flt.user_id], True


class SqliteBackend:
    vendor = "sqlite"

    @staticmethod
    def create_tables(cursor: object) -> None:
        tokenize = f"unicode61 remove_diacritics 0 tokenchars '{word_marks()}'"
        for ddl in (
            "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_article_fts USING fts5("
            f"title, body, tokenize=\"{tokenize}\", prefix='2 3')",
            "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_message_fts USING fts5("
            f"text, tokenize=\"{tokenize}\", prefix='2 3')",
        ):
            cursor.execute(ddl)  # type: ignore[attr-defined]
        # Index rows go with their source rows.
        for fts, source in (
            ("knowledge_article_fts", "knowledge_articletranslation"),
            ("knowledge_message_fts", "conversations_message"),
        ):
            cursor.execute(  # type: ignore[attr-defined]
                f"CREATE TRIGGER IF NOT EXISTS {fts}_deleted AFTER DELETE ON {source}"
                f" BEGIN DELETE FROM {fts} WHERE rowid = old.id; END"
            )

    @staticmethod
    def match(groups: Sequence[Group], any_term: bool) -> str:
        # Terms are folded words (letters, digits, marks): no quote or operator inside.
        def group(alternatives: Group) -> str:
            parts = [f'"{text}"' + ("*" if prefix else "") for text, prefix in alternatives]
            return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

        return (" OR " if any_term else " AND ").join(group(g) for g in groups)

    def index_articles(self, rows: Iterable[tuple[int, str, str]]) -> None:
        rows = list(rows)
        with connection.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM knowledge_article_fts WHERE rowid = %s", [(r[0],) for r in rows]
            )
            cursor.executemany(
                "INSERT INTO knowledge_article_fts(rowid, title, body) VALUES (%s, %s, %s)", rows
            )

    def search_articles(
        self, groups: Sequence[Group], flt: ArticleFilter, *, any_term: bool, limit: int
    ) -> list[Hit]:
        where, params = _article_conditions(flt)
        sql = (
            "SELECT f.rowid, bm25(knowledge_article_fts, 10.0, 1.0) AS score"
            " FROM knowledge_article_fts f"
            " JOIN knowledge_articletranslation t ON t.id = f.rowid"
            " JOIN knowledge_article a ON a.id = t.article_id"
            f" WHERE knowledge_article_fts MATCH %s{where}"
            " ORDER BY score, f.rowid DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match(groups, any_term), *params, limit])
            return [Hit(row[0], -row[1]) for row in cursor.fetchall()]

    def index_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        rows = list(rows)
        with connection.cursor() as cursor:
            cursor.executemany(
                "DELETE FROM knowledge_message_fts WHERE rowid = %s", [(r[0],) for r in rows]
            )
            cursor.executemany(
                "INSERT INTO knowledge_message_fts(rowid, text) VALUES (%s, %s)", rows
            )

    def search_messages(
        self, groups: Sequence[Group], flt: MessageFilter, *, any_term: bool, limit: int
    ) -> list[Hit]:
        where, params, join = _message_conditions(flt)
        joins = (
            " JOIN conversations_message m ON m.id = f.rowid"
            " JOIN conversations_conversation c ON c.id = m.conversation_id"
            if join
            else ""
        )
        sql = (
            "SELECT f.rowid, bm25(knowledge_message_fts) AS score"
            f" FROM knowledge_message_fts f{joins}"
            f" WHERE knowledge_message_fts MATCH %s{where}"
            " ORDER BY score, f.rowid DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match(groups, any_term), *params, limit])
            return [Hit(row[0], -row[1]) for row in cursor.fetchall()]

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_article_fts")
            cursor.execute("DELETE FROM knowledge_message_fts")

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        """FTS5 builds its index as rows arrive: nothing to set aside."""
        yield


class PostgresBackend:
    vendor = "postgresql"

    # (index table, its key column, the indexed table): index rows go with their source
    # rows, deleted or truncated (a foreign key would block TRUNCATE of the source).
    TABLES = (
        ("knowledge_article_search", "translation_id", "knowledge_articletranslation"),
        ("knowledge_message_search", "message_id", "conversations_message"),
    )

    @staticmethod
    def index_ddl(table: str) -> str:
        return f"CREATE INDEX IF NOT EXISTS {table}_gin ON {table} USING gin(document)"

    @staticmethod
    def title_ddl(table: str) -> list[str]:
        """Articles keep their title's terms apart too (small, stored in the row): title
        matches are found and ranked without reading every matching body."""
        if table != "knowledge_article_search":
            return []
        return [
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS title_document tsvector",
            f"CREATE INDEX IF NOT EXISTS {table}_title_gin ON {table} USING gin(title_document)",
        ]

    @classmethod
    def create_tables(cls, cursor: object) -> None:
        for table, key, source in cls.TABLES:
            for ddl in (
                f"CREATE TABLE IF NOT EXISTS {table} ("
                f" {key} bigint PRIMARY KEY, document tsvector NOT NULL)",
                cls.index_ddl(table),
                *cls.title_ddl(table),
                f"CREATE OR REPLACE FUNCTION {table}_deleted() RETURNS trigger"
                f" LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {table} s USING gone"
                f" WHERE s.{key} = gone.id; RETURN NULL; END $$",
                f"CREATE OR REPLACE TRIGGER {table}_deleted AFTER DELETE ON {source}"
                f" REFERENCING OLD TABLE AS gone FOR EACH STATEMENT"
                f" EXECUTE FUNCTION {table}_deleted()",
                f"CREATE OR REPLACE FUNCTION {table}_truncated() RETURNS trigger"
                f" LANGUAGE plpgsql AS $$ BEGIN TRUNCATE {table}; RETURN NULL; END $$",
                f"CREATE OR REPLACE TRIGGER {table}_truncated AFTER TRUNCATE ON {source}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {table}_truncated()",
            ):
                cursor.execute(ddl)  # type: ignore[attr-defined]

    @staticmethod
    def tsquery(groups: Sequence[Group], any_term: bool) -> str:
        # Terms are folded words (letters, digits, marks): no quote or operator inside.
        def group(alternatives: Group) -> str:
            parts = [f"'{text}'" + (":*" if prefix else "") for text, prefix in alternatives]
            return "(" + " | ".join(parts) + ")"

        return (" | " if any_term else " & ").join(group(g) for g in groups)

    def index_articles(self, rows: Iterable[tuple[int, str, str]]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO knowledge_article_search(translation_id, document, title_document)"
                " SELECT id, setweight(title, 'A') || setweight(to_tsvector('simple', %s), 'D'),"
                " title FROM (SELECT %s::bigint AS id, to_tsvector('simple', %s) AS title) r"
                " ON CONFLICT (translation_id) DO UPDATE SET document = EXCLUDED.document,"
                " title_document = EXCLUDED.title_document",
                [(body, pk, title) for pk, title, body in rows],
            )

    # Body-only matches ranked at most: a word found in thousands of articles would
    # otherwise have every one of their (large, out-of-line) documents read to rank them.
    BODY_CANDIDATES = 400

    def search_articles(
        self, groups: Sequence[Group], flt: ArticleFilter, *, any_term: bool, limit: int
    ) -> list[Hit]:
        """Articles whose title matches come first, ranked among themselves; the rest of
        the page is filled from body-only matches, the newest ``BODY_CANDIDATES`` of them
        ranked. In ``ts_rank`` a title term weighs ten body terms, so the order is the one
        ranking everything would give, bar a body that repeats the word many times."""
        where, params = _article_conditions(flt)
        query = self.tsquery(groups, any_term)
        source = (
            " FROM knowledge_article_search s"
            " JOIN knowledge_articletranslation t ON t.id = s.translation_id"
            " JOIN knowledge_article a ON a.id = t.article_id,"
            " to_tsquery('simple', %s) q"
        )
        titled = (
            f"SELECT s.translation_id, ts_rank(s.document, q) AS score{source}"
            f" WHERE s.title_document @@ q{where}"
            " ORDER BY score DESC, s.translation_id DESC LIMIT %s"
        )
        bodies = (
            "SELECT c.translation_id, ts_rank(c.document, q) AS score FROM ("
            f"SELECT s.translation_id, s.document{source}"
            f" WHERE s.document @@ q AND NOT coalesce(s.title_document @@ q, false){where}"
            " ORDER BY s.translation_id DESC LIMIT %s) c, to_tsquery('simple', %s) q"
            " ORDER BY score DESC, c.translation_id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(titled, [query, *params, limit])
            hits = [Hit(row[0], row[1]) for row in cursor.fetchall()]
            if len(hits) < limit:
                cursor.execute(
                    bodies,
                    [query, *params, self.BODY_CANDIDATES, query, limit - len(hits)],
                )
                hits += [Hit(row[0], row[1]) for row in cursor.fetchall()]
        return hits

    # From this many rows on, COPY into a scratch table and one INSERT ... SELECT beat a
    # statement per row (about three times as fast on the database's side).
    COPY_FROM = 200

    def index_messages(self, rows: Iterable[tuple[int, str]]) -> None:
        rows = list(rows)
        upsert = (
            "INSERT INTO knowledge_message_search(message_id, document) {source}"
            " ON CONFLICT (message_id) DO UPDATE SET document = EXCLUDED.document"
        )
        if len(rows) < self.COPY_FROM:
            with connection.cursor() as cursor:
                cursor.executemany(
                    upsert.format(source="VALUES (%s, to_tsvector('simple', %s))"), rows
                )
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS knowledge_index_scratch"
                " (id bigint, body text) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE knowledge_index_scratch")
            with cursor.cursor.copy(  # type: ignore[attr-defined]
                "COPY knowledge_index_scratch (id, body) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                upsert.format(
                    source="SELECT id, to_tsvector('simple', body) FROM knowledge_index_scratch"
                )
            )

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        """A whole rebuild: the GIN indexes are dropped while rows pour in and built once
        at the end (several times faster than growing them row by row). Searches during
        the rebuild still work, on a table scan. Should the process be killed meanwhile,
        the next rebuild or ``migrate`` creates them again."""
        with connection.cursor() as cursor:
            for table, _key, _source in self.TABLES:
                cursor.execute(f"DROP INDEX IF EXISTS {table}_gin")
                cursor.execute(f"DROP INDEX IF EXISTS {table}_title_gin")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table, _key, _source in self.TABLES:
                    for ddl in (self.index_ddl(table), *self.title_ddl(table)):
                        cursor.execute(ddl)

    def search_messages(
        self, groups: Sequence[Group], flt: MessageFilter, *, any_term: bool, limit: int
    ) -> list[Hit]:
        where, params, join = _message_conditions(flt)
        joins = (
            " JOIN conversations_message m ON m.id = s.message_id"
            " JOIN conversations_conversation c ON c.id = m.conversation_id"
            if join
            else ""
        )
        sql = (
            "SELECT s.message_id, ts_rank(s.document, q) AS score"
            f" FROM knowledge_message_search s{joins}, to_tsquery('simple', %s) q"
            f" WHERE s.document @@ q{where}"
            " ORDER BY score DESC, s.message_id DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.tsquery(groups, any_term), *params, limit])
            return [Hit(row[0], row[1]) for row in cursor.fetchall()]

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE knowledge_article_search, knowledge_message_search")


Backend = SqliteBackend | PostgresBackend


def backend() -> Backend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"no full-text search for {connection.vendor}")
