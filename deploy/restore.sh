#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into an empty database and data dir, then
# migrate (a backup of an older release is brought up to date).
#
#   deploy/restore.sh SOURCE.tar.gz
set -euo pipefail
source_archive=${1:?usage: restore.sh SOURCE.tar.gz}
data=${SAHAYAK_DATA_DIR:-$PWD/data}
sahayak=${SAHAYAK_BIN:-sahayak}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

tar --extract --gzip --file="$source_archive" --directory="$work"
mkdir -p "$data"
chmod 700 "$data"
tar --extract --file="$work/data.tar" --directory="$data"
url=${DATABASE_URL:-}
if [[ $url == postgres* ]]; then
  pg_restore --no-owner --exit-on-error --dbname="$url" "$work/database.dump"
else
  cp "$work/database.sqlite3" "$data/sahayak.sqlite3"
fi
"$sahayak" migrate --noinput -v0
echo "restored into $data"
