#!/usr/bin/env bash
# Make a PostgreSQL database available for the test suite and print its
# SQLAlchemy URL as the LAST line of stdout. Everything else goes to stderr.
#
#   BERDAYA_TEST_DATABASE=$(scripts/test-postgres.sh) .venv/bin/pytest
#
# - BERDAYA_TEST_PG_URL set: print it and do nothing else.
# - Otherwise (Debian, as root): install `postgresql` if missing, make sure a
#   cluster exists and runs (pg_ctlcluster, no systemd needed), create the
#   SUPERUSER role berdaya/berdaya and the UTF-8 database berdaya_test.
# Idempotent; when everything is already up it only checks a login (fast).
set -euo pipefail

# Keep stdout for the URL alone; send everything else (ours and children's) to stderr.
exec 3>&1 1>&2

ROLE=berdaya
PASSWORD=berdaya
DATABASE=berdaya_test
HOST=127.0.0.1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "test-postgres: $*"; }
die() { echo "test-postgres: error: $*"; exit 1; }
emit() { echo "$1" >&3; }

# Run a command that may leave a server running (pg_ctlcluster, apt postinst)
# with every fd above 2 closed: a postmaster that inherited our stdout pipe
# (fd 3) would keep `url=$(scripts/test-postgres.sh)` waiting forever.
without_extra_fds() {
    (
        if [ -d "/proc/$BASHPID/fd" ]; then
            for fd in $(ls "/proc/$BASHPID/fd"); do
                [ "$fd" -gt 2 ] && eval "exec $fd>&-"
            done
        else
            exec 3>&-
        fi
        exec "$@"
    )
}

url_for() { echo "postgresql+psycopg://$ROLE:$PASSWORD@$HOST:$1/$DATABASE"; }

if [ -n "${BERDAYA_TEST_PG_URL:-}" ]; then
    emit "$BERDAYA_TEST_PG_URL"
    exit 0
fi

# Can we log in as the test role right now? (the fast path)
can_login() {
    command -v psql >/dev/null 2>&1 || return 1
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 \
        psql -X -q -w -h "$HOST" -p "$1" -U "$ROLE" -d "$DATABASE" -tAc 'SELECT 1' \
        >/dev/null 2>&1
}

# Pick the cluster: highest version named "main", else the first listed.
# Sets CL_VER CL_NAME CL_PORT CL_STATUS; returns 1 when there is none.
pick_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local line
    line=$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main"' | sort -k1,1V | tail -n 1)
    [ -n "$line" ] || line=$(pg_lsclusters -h 2>/dev/null | head -n 1)
    [ -n "$line" ] || return 1
    read -r CL_VER CL_NAME CL_PORT CL_STATUS _ <<<"$line"
}

# Fast path: cluster online and the role/database already work.
if pick_cluster && [[ "$CL_STATUS" == online* ]] && can_login "$CL_PORT"; then
    emit "$(url_for "$CL_PORT")"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    die "no usable PostgreSQL test database, and setting one up needs root.
  Either run this as root, or set BERDAYA_TEST_PG_URL, e.g.
    export BERDAYA_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@$HOST:5432/$DATABASE"
fi

# A cluster created here (by pg_createcluster or by the package's postinst)
# gets UTF-8 rather than SQL_ASCII when the environment has no locale.
export LANG=C.UTF-8 LC_ALL=C.UTF-8

without_extra_fds bash "$here/system-packages.sh" postgresql

if ! pick_cluster; then
    ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$ver" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
    log "no cluster found; creating $ver/main"
    without_extra_fds pg_createcluster --locale C.UTF-8 --encoding UTF8 "$ver" main
    pick_cluster || die "pg_createcluster $ver main did not create a cluster"
fi

if [[ "$CL_STATUS" != online* ]]; then
    log "starting cluster $CL_VER/$CL_NAME (port $CL_PORT)"
    if ! without_extra_fds pg_ctlcluster "$CL_VER" "$CL_NAME" start; then
        log "last lines of the server log:"
        tail -n 20 "/var/log/postgresql/postgresql-$CL_VER-$CL_NAME.log" 2>/dev/null || true
        die "could not start cluster $CL_VER/$CL_NAME"
    fi
    pick_cluster
fi

# Wait until it accepts connections (pg_ctl -w usually already did).
for _ in $(seq 1 30); do
    pg_isready -q -h "$HOST" -p "$CL_PORT" && break
    sleep 1
done
pg_isready -q -h "$HOST" -p "$CL_PORT" || die "cluster $CL_VER/$CL_NAME not accepting connections on $HOST:$CL_PORT"

# Run SQL from stdin as the postgres superuser over the local socket.
as_postgres() {
    (cd / && su postgres -s /bin/sh -c "psql -X -q -v ON_ERROR_STOP=1 -p $CL_PORT -d postgres")
}

log "ensuring role $ROLE and database $DATABASE on cluster $CL_VER/$CL_NAME (port $CL_PORT)"
as_postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN SUPERUSER PASSWORD '$PASSWORD';
    ELSE
        ALTER ROLE $ROLE LOGIN SUPERUSER PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L TEMPLATE template0',
              '$DATABASE', '$ROLE', 'UTF8', 'C.UTF-8', 'C.UTF-8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')
\gexec
SQL

# Tests may create further databases from template1: make sure it is UTF-8 too
# (a cluster made in a locale-less container is SQL_ASCII).
if [ "$(echo "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'template1'" \
        | (cd / && su postgres -s /bin/sh -c "psql -X -q -tA -p $CL_PORT -d postgres"))" = SQL_ASCII ]; then
    log "template1 is SQL_ASCII; recreating it as UTF8"
    as_postgres <<'SQL' || log "warning: could not recreate template1 (databases made from it stay SQL_ASCII)"
UPDATE pg_database SET datistemplate = false WHERE datname = 'template1';
DROP DATABASE template1;
CREATE DATABASE template1 WITH TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
UPDATE pg_database SET datistemplate = true WHERE datname = 'template1';
SQL
fi

can_login "$CL_PORT" || die "cannot log in as $ROLE at $HOST:$CL_PORT/$DATABASE with a password;
  check pg_hba.conf of cluster $CL_VER/$CL_NAME allows 'host all all 127.0.0.1/32 scram-sha-256'"

emit "$(url_for "$CL_PORT")"
