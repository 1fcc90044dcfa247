#!/usr/bin/env bash
# Benchmarks on a small size (run by CI): figures are printed, never asserted.
# PostgreSQL databases are named for this run and dropped at exit, so two runs on one
# server never touch each other's data.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG=postgres://postgres@127.0.0.1:5432
RUN="$(date +%s)_$$"
export LOG_LEVEL=WARNING
DBS=()
TMPS=()

cleanup() {
  for db in "${DBS[@]}"; do
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for dir in "${TMPS[@]}"; do rm -rf "$dir"; done
}
trap cleanup EXIT

# new_db NAME: create a database for this run; its URL is left in $DB. (Not called as
# $(new_db ...): a subshell would not remember the database for the cleanup.)
new_db() {
  local db="sahayak_${1}_${RUN}"
  DBS+=("$db")
  psql -q "$PG/postgres" -c "CREATE DATABASE $db" >/dev/null
  DB="$PG/$db"
}

# new_dir: a temporary data dir removed at exit, left in $DIR
new_dir() {
  DIR="$(mktemp -d)"
  TMPS+=("$DIR")
}

echo "-- generator + list API on PostgreSQL (20,000 conversations)"
new_db bench; LIST_DB=$DB
DATABASE_URL=$LIST_DB .venv/bin/sahayak migrate -v0
DATABASE_URL=$LIST_DB $PY bench/generate.py --conversations 20000
DATABASE_URL=$LIST_DB $PY bench/list_query.py --runs 30
DATABASE_URL=$LIST_DB $PY bench/inbox_page.py --runs 30
echo "-- SLA deadlines, inbox by deadline and assignment (same 20,000 conversations)"
DATABASE_URL=$LIST_DB $PY bench/sla.py --runs 50 --processes 2
echo "-- automation: 200 event rules per inbound message, a time-rule sweep (same data)"
DATABASE_URL=$LIST_DB $PY bench/automation.py --messages 300 --all-pending
echo "-- reports: fact replay, 90-day overview, per-conversation CSV export (same data)"
DATABASE_URL=$LIST_DB $PY bench/reports.py --runs 10

echo "-- conversation creation over HTTP (wrk, 8 in flight)"
new_dir; CREATE_DIR=$DIR
SAHAYAK_DATA_DIR="$CREATE_DIR" $PY bench/api_create.py --seconds 5 --web-workers 1
new_db create
DATABASE_URL=$DB $PY bench/api_create.py --seconds 5 --web-workers 2
echo "-- the same messages 50 to a request (POST /api/v1/inbound/batch)"
new_dir
SAHAYAK_DATA_DIR="$DIR" $PY bench/api_create.py --seconds 5 --web-workers 1 --batch 50
new_db batch
DATABASE_URL=$DB $PY bench/api_create.py --seconds 5 --web-workers 2 --batch 50
echo "-- scale-out: 1 and 2 web processes, in one group and in two (PostgreSQL)"
new_db scale
DATABASE_URL=$DB $PY bench/scale_out.py --processes 1,2 --groups 2 --seconds 3
echo "-- messaging webhooks (WhatsApp, SMS, Telegram, Messenger) on SQLite and PostgreSQL"
$PY bench/messaging_webhooks.py --seconds 3 --web-workers 1 --per-second 400
new_db webhooks
DATABASE_URL=$DB $PY bench/messaging_webhooks.py --seconds 3 --web-workers 2 --per-second 800
echo "-- email ingestion (1,000 generated mails) on SQLite and PostgreSQL"
new_dir; MAIL_DIR=$DIR
SAHAYAK_DATA_DIR="$MAIL_DIR" .venv/bin/sahayak migrate -v0
SAHAYAK_DATA_DIR="$MAIL_DIR" $PY bench/email_ingest.py --mails 1000
new_db mail; MAIL_DB=$DB
DATABASE_URL=$MAIL_DB .venv/bin/sahayak migrate -v0
DATABASE_URL=$MAIL_DB $PY bench/email_ingest.py --mails 1000
echo "-- memory of the embedded default (demo on SQLite): companions as threads, as processes"
$PY bench/memory.py --rest 2
echo "-- live chat: 300 visitor sockets on one server process (SQLite)"
$PY bench/chat_sockets.py --visitors 300 --seconds 10 --interval 10
echo "-- search: 3,000 articles and 30,000 messages on PostgreSQL and SQLite"
new_db search; SEARCH_DB=$DB
DATABASE_URL=$SEARCH_DB .venv/bin/sahayak migrate -v0
DATABASE_URL=$SEARCH_DB $PY bench/generate.py --conversations 10000
DATABASE_URL=$SEARCH_DB $PY bench/search.py --articles 3000 --runs 30
new_dir; SEARCH_DIR=$DIR
SAHAYAK_DATA_DIR="$SEARCH_DIR" .venv/bin/sahayak migrate -v0
SAHAYAK_DATA_DIR="$SEARCH_DIR" $PY bench/generate.py --conversations 10000
SAHAYAK_DATA_DIR="$SEARCH_DIR" .venv/bin/sahayak reindex
SAHAYAK_DATA_DIR="$SEARCH_DIR" $PY bench/search.py --articles 3000 --runs 30
echo "-- search recall on inflected forms in five languages (PostgreSQL and SQLite)"
new_db recall
DATABASE_URL=$DB .venv/bin/sahayak migrate -v0
DATABASE_URL=$DB $PY bench/search_recall.py
new_dir
SAHAYAK_DATA_DIR="$DIR" .venv/bin/sahayak migrate -v0
SAHAYAK_DATA_DIR="$DIR" $PY bench/search_recall.py
