#!/usr/bin/env bash
# Stockade: a PostgreSQL backup that either finishes whole or leaves nothing behind.
#
#   BACKUP_DATABASE_URL=postgres://stockade_backup:…@db.example/stockade deploy/backup.sh /var/backups/stockade
#
# Connects as the backup role (LOGIN BYPASSRLS + pg_read_all_data; docs/operations.md "Back up and
# restore"): the owner cannot dump items, movements and idempotency keys, which are under FORCE ROW LEVEL
# SECURITY, and `--enable-row-security` would "succeed" with those tables empty. pg_dump writes a
# temporary file in the target directory; only when pg_dump exits 0 and pg_restore can read the archive
# back (with every table's data in it) is the file renamed to stockade-<UTC time>.dump. Prints that path
# on stdout. Exit 0 done; 1 the backup failed (the partial file is removed); 2 usage.
#
# The dump holds password hashes and hashed session tokens: it is written mode 0600 (umask 077). Keep it
# as you keep the database.
set -euo pipefail
umask 077

if [[ $# -ne 1 || -z "${BACKUP_DATABASE_URL:-}" ]]; then
  echo "usage: BACKUP_DATABASE_URL=postgres://… $0 DIRECTORY" >&2
  exit 2
fi
dir=$1
if [[ ! -d "$dir" || ! -w "$dir" ]]; then
  echo "backup: $dir is not a writable directory" >&2
  exit 2
fi

fail() {
  echo "backup: $*" >&2
  exit 1
}

# Keep the password off the command lines of psql and pg_dump (ps shows them to every local user):
# libpq reads it from PGPASSWORD instead, percent-decoded as a URL's password is.
url=$BACKUP_DATABASE_URL
if [[ $url =~ ^(postgres(ql)?://[^:@/?]*):([^@/?]*)@(.*)$ ]]; then
  encoded=${BASH_REMATCH[3]}
  encoded=${encoded//\\/\\\\} # a literal backslash stays one
  PGPASSWORD=$(printf '%b' "${encoded//%/\\x}")
  export PGPASSWORD
  url="${BASH_REMATCH[1]}@${BASH_REMATCH[4]}"
fi

# A role that row-level security would filter gives a dump without other tenants' rows: refuse early,
# with a message that names the fix, rather than leave it to pg_dump's error.
bypasses=$(psql --no-psqlrc --no-password --tuples-only --no-align --dbname="$url" \
  --command="SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user") ||
  fail "cannot connect with BACKUP_DATABASE_URL"
[[ "$bypasses" == "t" ]] ||
  fail "the backup role must bypass row-level security (CREATE ROLE … BYPASSRLS; GRANT pg_read_all_data TO …)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/stockade-$stamp.dump"
partial=$(mktemp "$dir/.stockade-$stamp.XXXXXX.partial")
trap 'rm -f "$partial"' EXIT

# --no-password: a missing password fails at once instead of waiting for a prompt under cron/systemd.
pg_dump --format=custom --no-password --file="$partial" --dbname="$url" ||
  fail "pg_dump failed (exit $?); nothing was kept"

# The archive must read back and hold the data of the tables that matter.
listing=$(pg_restore --list "$partial") || fail "pg_restore cannot read the archive back; nothing was kept"
for table in users sessions items movements audit_events install_secrets schema_migrations; do
  grep -Eq "TABLE DATA public $table " <<<"$listing" || fail "the archive has no data for table $table; nothing was kept"
done

mv -- "$partial" "$final"
trap - EXIT
echo "$final"
