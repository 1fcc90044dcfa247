#!/usr/bin/env bash
# Benchmarks on a small size (run by CI): figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG=postgres://postgres@127.0.0.1:5432
export LOG_LEVEL=WARNING

echo "-- generator + list API on PostgreSQL (20,000 conversations)"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_bench_ci WITH (FORCE)" -c "CREATE DATABASE sahayak_bench_ci"
DATABASE_URL=$PG/sahayak_bench_ci .venv/bin/sahayak migrate -v0
DATABASE_URL=$PG/sahayak_bench_ci $PY bench/generate.py --conversations 20000
DATABASE_URL=$PG/sahayak_bench_ci $PY bench/list_query.py --runs 30
DATABASE_URL=$PG/sahayak_bench_ci $PY bench/inbox_page.py --runs 30

echo "-- conversation creation over HTTP (wrk, 8 in flight)"
SAHAYAK_DATA_DIR="$(mktemp -d)" $PY bench/api_create.py --seconds 5 --web-workers 1
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_create_ci WITH (FORCE)" -c "CREATE DATABASE sahayak_create_ci"
DATABASE_URL=$PG/sahayak_create_ci $PY bench/api_create.py --seconds 5 --web-workers 2
echo "-- email ingestion (1,000 generated mails) on SQLite and PostgreSQL"
MAIL_DIR="$(mktemp -d)"
SAHAYAK_DATA_DIR="$MAIL_DIR" .venv/bin/sahayak migrate -v0
SAHAYAK_DATA_DIR="$MAIL_DIR" $PY bench/email_ingest.py --mails 1000
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_mail_ci WITH (FORCE)" -c "CREATE DATABASE sahayak_mail_ci"
DATABASE_URL=$PG/sahayak_mail_ci .venv/bin/sahayak migrate -v0
DATABASE_URL=$PG/sahayak_mail_ci $PY bench/email_ingest.py --mails 1000
rm -rf "$MAIL_DIR"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_bench_ci WITH (FORCE)" -c "DROP DATABASE IF EXISTS sahayak_create_ci WITH (FORCE)" -c "DROP DATABASE IF EXISTS sahayak_mail_ci WITH (FORCE)"
echo "-- live chat: 300 visitor sockets on one server process (SQLite)"
$PY bench/chat_sockets.py --visitors 300 --seconds 10 --interval 10
echo "-- search: 3,000 articles and 30,000 messages on PostgreSQL and SQLite"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_search_ci WITH (FORCE)" -c "CREATE DATABASE sahayak_search_ci"
DATABASE_URL=$PG/sahayak_search_ci .venv/bin/sahayak migrate -v0
DATABASE_URL=$PG/sahayak_search_ci $PY bench/generate.py --conversations 10000
DATABASE_URL=$PG/sahayak_search_ci $PY bench/search.py --articles 3000 --runs 30
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS sahayak_search_ci WITH (FORCE)"
SEARCH_DIR="$(mktemp -d)"
SAHAYAK_DATA_DIR="$SEARCH_DIR" .venv/bin/sahayak migrate -v0
SAHAYAK_DATA_DIR="$SEARCH_DIR" $PY bench/generate.py --conversations 10000
SAHAYAK_DATA_DIR="$SEARCH_DIR" .venv/bin/sahayak reindex
SAHAYAK_DATA_DIR="$SEARCH_DIR" $PY bench/search.py --articles 3000 --runs 30
rm -rf "$SEARCH_DIR"
