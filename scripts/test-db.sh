# Sourced by `make test`: make a PostgreSQL test database available and export
# TEST_DATABASE_URL. POSIX sh. Never fails the build: when no server can be had,
# TEST_DATABASE_URL stays unset and the PostgreSQL tests skip with that reason.
_pg_user=orange_bot_test
_pg_pass=orange_bot_test
_pg_db=orange_bot_test
_pg_port=${PGPORT_TEST:-5432}

_pg_log() { echo "test-db: $*" >&2; }

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  _pg_log "using TEST_DATABASE_URL from the environment"
elif ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_lsclusters >/dev/null 2>&1; then
  _pg_log "no PostgreSQL installed here; PostgreSQL tests will skip"
else
  _pg_ver=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
  _pg_cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $2}')
  _pg_status=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $4}')
  _pg_port=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $3}')
  if [ -z "$_pg_ver" ]; then
    _pg_log "no PostgreSQL cluster found; PostgreSQL tests will skip"
  else
    if [ "$_pg_status" != "online" ]; then
      _pg_log "starting PostgreSQL $_pg_ver/$_pg_cluster"
      pg_ctlcluster --skip-systemctl-redirect "$_pg_ver" "$_pg_cluster" start >&2 || _pg_log "could not start the cluster"
    fi
    _pg_psql() { su postgres -c "psql -p $_pg_port -v ON_ERROR_STOP=1 -tAq $*" 2>/dev/null; }
    if [ "$(id -u)" = "0" ] && _pg_psql "-c 'select 1'" >/dev/null; then
      if [ "$(_pg_psql "-c \"select 1 from pg_roles where rolname='$_pg_user'\"")" != "1" ]; then
        _pg_psql "-c \"create role $_pg_user login createdb password '$_pg_pass'\"" && _pg_log "created role $_pg_user"
      fi
      if [ "$(_pg_psql "-c \"select 1 from pg_database where datname='$_pg_db'\"")" != "1" ]; then
        _pg_psql "-c \"create database $_pg_db owner $_pg_user\"" && _pg_log "created database $_pg_db"
      fi
      TEST_DATABASE_URL="postgresql+psycopg://$_pg_user:$_pg_pass@127.0.0.1:$_pg_port/$_pg_db"
      export TEST_DATABASE_URL
      _pg_log "PostgreSQL ready on 127.0.0.1:$_pg_port"
    else
      _pg_log "cannot reach PostgreSQL as the postgres user; PostgreSQL tests will skip"
    fi
  fi
fi
