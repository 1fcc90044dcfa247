#!/usr/bin/env bash
# Back up a Sahayak installation: the database and the data dir (encryption keys, secret
# key, uploaded files, kept mail). Without the encryption keys the stored mail passwords
# and webhook secrets cannot be read back, so both go into one archive.
#
#   deploy/backup.sh DEST.tar.gz
#
# Reads the same environment as Sahayak (DATABASE_URL, SAHAYAK_DATA_DIR, SAHAYAK_BIN).
set -euo pipefail
dest=${1:?usage: backup.sh DEST.tar.gz}
data=${SAHAYAK_DATA_DIR:-$PWD/data}
sahayak=${SAHAYAK_BIN:-sahayak}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

url=${DATABASE_URL:-}
if [[ $url == postgres* ]]; then
  pg_dump --format=custom --no-owner --dbname="$url" --file="$work/database.dump"
else
  # SQLite: an online, consistent copy (the running server may keep writing).
  "$sahayak" shell -c "
import sqlite3
from django.conf import settings
source = sqlite3.connect(settings.DATABASES['default']['NAME'])
target = sqlite3.connect('$work/database.sqlite3')
source.backup(target)
target.close()
"
fi
# Everything in the data dir except the live SQLite files (copied above) and caches.
tar --create --file="$work/data.tar" --directory="$data" \
  --exclude='./sahayak.sqlite3*' --exclude='./test.sqlite3*' --exclude='./static' .
tar --create --gzip --file="$dest" --directory="$work" .
echo "backup written to $dest"
