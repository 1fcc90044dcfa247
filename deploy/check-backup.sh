#!/usr/bin/env bash
# Proves deploy/backup.sh and deploy/restore.sh on a small data set: the demo plus a
# mailbox with an (encrypted) SMTP password is backed up, restored into a fresh database
# and data dir, and compared. Runs on SQLite, and on PostgreSQL when PG_URL_ROOT is set
# (e.g. postgres://postgres@127.0.0.1:5432). Used by CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SAHAYAK_BIN=${SAHAYAK_BIN:-$here/../.venv/bin/sahayak}
scratch=$(mktemp -d /tmp/sahayak-backup-check.XXXXXX)
dbs=()
cleanup() {
  for db in "${dbs[@]}"; do psql -q "${PG_URL_ROOT}/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

SUMMARY='
from sahayak.accounts.models import User
from sahayak.contacts.models import Contact
from sahayak.conversations.models import Conversation, Inbox, Message
mailbox = Inbox.objects.get(name="Backup check")
admin = User.objects.get(email="admin@example.com")
print("SUMMARY", Contact.objects.count(), Conversation.objects.count(), Message.objects.count(),
      mailbox.config["smtp"]["password"], admin.check_password("sahayak-demo"))
'

summary() { "$SAHAYAK_BIN" shell -c "$SUMMARY" | grep '^SUMMARY'; }

check() {  # $1: label, $2/$3: DATABASE_URL of the original and the restored installation
  local label=$1
  export SAHAYAK_DATA_DIR=$scratch/$label-original DATABASE_URL=$2
  "$SAHAYAK_BIN" migrate --noinput -v0
  "$SAHAYAK_BIN" demo >/dev/null
  "$SAHAYAK_BIN" shell -c '
from sahayak.conversations.models import Inbox
Inbox.objects.create(name="Backup check", channel="email", config={"address": "b@shop.example",
    "smtp": {"host": "smtp.shop.example", "port": 587, "security": "starttls", "username": "b", "password": "pw-kept-secret"}})
'
  local before; before=$(summary)
  "$here/backup.sh" "$scratch/$label.tar.gz" >/dev/null
  export SAHAYAK_DATA_DIR=$scratch/$label-restored DATABASE_URL=$3
  "$here/restore.sh" "$scratch/$label.tar.gz" >/dev/null
  local after; after=$(summary)
  echo "$label: original  $before"
  echo "$label: restored  $after"
  if [[ "$before" != "$after" || "$after" != *"pw-kept-secret True"* ]]; then
    echo "$label: the restored installation differs" >&2
    exit 1
  fi
}

check sqlite "" ""
if [[ -n ${PG_URL_ROOT:-} ]]; then
  stamp=$(date +%s)_$$
  for role in original restored; do
    db=sahayak_backup_${role}_$stamp
    psql -q "${PG_URL_ROOT}/postgres" -c "CREATE DATABASE $db" >/dev/null
    dbs+=("$db")
  done
  check postgres "$PG_URL_ROOT/${dbs[0]}" "$PG_URL_ROOT/${dbs[1]}"
fi
echo "backup and restore: OK"
