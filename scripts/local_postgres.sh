#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for `make test-engines` (README,
# "Other engines"): Debian's package, installed when missing.
#
#   scripts/local_postgres.sh start   install if needed, start the cluster, create the
#                                     role and database of the postgres target
#   scripts/local_postgres.sh stop    stop the cluster if `start` started it
#
# The role, password and database come from the environment, as in profiles.yml:
# LEADSCORE_PG_USER (leadscore), LEADSCORE_PG_PASSWORD (required),
# LEADSCORE_PG_DATABASE (leadscore), LEADSCORE_PG_PORT (5432). Needs root (apt-get,
# su postgres), as on the CI machine.
set -euo pipefail

state_file="${LEADSCORE_PG_STATE_FILE:-output/local_postgres.started}"
user="${LEADSCORE_PG_USER:-leadscore}"
database="${LEADSCORE_PG_DATABASE:-leadscore}"
port="${LEADSCORE_PG_PORT:-5432}"

cluster_version() {
    ls /usr/lib/postgresql | sort -n | tail -1
}

as_postgres() {
    su postgres -c "$1"
}

start() {
    : "${LEADSCORE_PG_PASSWORD:?set LEADSCORE_PG_PASSWORD}"
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "installing postgresql (Debian)"
        mkdir -p output
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
            >output/apt-postgresql.log 2>&1 || { echo "could not install postgresql: see output/apt-postgresql.log" >&2; exit 1; }
    fi
    local version
    version="$(cluster_version)"
    if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
        pg_createcluster --port "$port" "$version" main >/dev/null
    fi
    mkdir -p "$(dirname "$state_file")"
    if pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
        # Left as found: `stop` stops it only if an earlier `start` started it.
        echo "postgresql $version/main is already running"
    else
        # Loopback only: nothing outside this machine can connect.
        pg_ctlcluster "$version" main start -- -o "-c listen_addresses=127.0.0.1" 2>/dev/null \
            || pg_ctlcluster "$version" main start
        echo "$version" > "$state_file"
        echo "started postgresql $version/main on 127.0.0.1:$port"
    fi
    local password_sql="${LEADSCORE_PG_PASSWORD//\'/\'\'}"
    if [ "$(as_postgres "psql -p $port -tAc \"select 1 from pg_roles where rolname = '$user'\"")" != "1" ]; then
        as_postgres "psql -p $port -q -c \"create role \\\"$user\\\" login createdb password '$password_sql'\""
    else
        as_postgres "psql -p $port -q -c \"alter role \\\"$user\\\" login password '$password_sql'\""
    fi
    # Hash joins for the warehouse queries (README, "PostgreSQL"): estimates on
    # materialized CTEs are often far too low, and nested loops over them stall.
    as_postgres "psql -p $port -q -c \"alter role \\\"$user\\\" set enable_nestloop = off\""
    # A role without login for BI readers: the marts are granted to it with
    # --vars '{bi_readers: [leadscore_bi]}' (README, "Privacy and access").
    if [ "$(as_postgres "psql -p $port -tAc \"select 1 from pg_roles where rolname = 'leadscore_bi'\"")" != "1" ]; then
        as_postgres "psql -p $port -q -c \"create role leadscore_bi nologin\""
    fi
    if [ "$(as_postgres "psql -p $port -tAc \"select 1 from pg_database where datname = '$database'\"")" != "1" ]; then
        as_postgres "createdb -p $port -O \"$user\" \"$database\""
    fi
}

stop() {
    if [ -f "$state_file" ]; then
        pg_ctlcluster "$(cat "$state_file")" main stop
        rm -f "$state_file"
        echo "stopped postgresql $(cluster_version)/main"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
