#!/usr/bin/env bash
# Build local base images from Debian packages, for machines that reach no image registry.
#
#   scripts/docker-base.sh [--force] [python|postgres]...     (default: python; root, a running dockerd)
#
#   python    orange-bot-base:local   Debian 12 minbase + python3 (3.11), python3-venv, python3-pip:
#             `docker build --build-arg BASE=orange-bot-base:local .` instead of pulling python:3.11-slim
#   postgres  orange-bot-postgres:local   Debian's postgresql-15 with an entrypoint that honours the official
#             image's POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and PGDATA, a stand-in for postgres:15
#             (docker-compose.yml: POSTGRES_IMAGE=orange-bot-postgres:local)
#
# debootstrap fetches from the Debian mirror apt uses here (/etc/apt/sources.list*, or DEBIAN_MIRROR), then the
# tree goes in with `docker import`. An image that exists is kept unless --force. The certificates this machine
# added to its trust store (/usr/local/share/ca-certificates: a TLS-inspecting proxy in front of the package
# index, say) are added to the python image too, so pip inside a build trusts what pip here trusts; set
# BASE_HOST_CA=0 to leave them out. These images are for local tests: users pull the official ones.
set -euo pipefail

SUITE=${DEBIAN_SUITE:-bookworm}
PYTHON_IMAGE=${BASE_IMAGE:-orange-bot-base:local}
POSTGRES_IMAGE=${POSTGRES_BASE_IMAGE:-orange-bot-postgres:local}

log() { echo "docker-base: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# The first Debian archive apt is configured with (deb822 .sources or one-line .list), else deb.debian.org.
debian_mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local url
  url=$(
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
      awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }'
  )
  if [[ -z $url ]]; then
    url=$(
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):.*\/debian\/?$/) { print $i; exit } }'
    )
  fi
  echo "${url:-http://deb.debian.org/debian}"
}

# debootstrap SUITE into a fresh directory with the packages given; prints the directory.
bootstrap() {
  local root=$1 include=$2 mirror
  mirror=$(debian_mirror)
  log "debootstrap $SUITE (minbase + $include) from $mirror"
  if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$root" "$mirror" >"$root.log" 2>&1; then
    tail -n 30 "$root.log" >&2
    die "debootstrap failed (full log: $root.log)"
  fi
}

# Drop what a container never needs: apt lists and caches, docs, man pages, locales but C.
slim() {
  local root=$1
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/tmp/* "$root"/var/tmp/*
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'C*' -exec rm -rf {} + 2>/dev/null || true
  # the container gets its own hostname, hosts and resolv.conf from docker
  : >"$root/etc/resolv.conf"
  echo localhost >"$root/etc/hostname"
}

import() {
  local root=$1 image=$2
  shift 2
  log "docker import → $image"
  tar --numeric-owner -C "$root" -c . | docker import "$@" - "$image" >/dev/null
  docker image inspect --format "docker-base: $image {{.Id}} {{.Size}} bytes" "$image" >&2
}

build_python() {
  local root=$1
  bootstrap "$root" python3,python3-venv,python3-pip,ca-certificates
  if [[ ${BASE_HOST_CA:-1} != 0 ]] && compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    log "adding this machine's local CA certificates: $(cd /usr/local/share/ca-certificates && echo *.crt)"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1
  fi
  local version
  version=$(chroot "$root" python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  log "python3 $version in the image"
  chroot "$root" python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "python3 $version < 3.11"
  slim "$root"
  import "$root" "$PYTHON_IMAGE" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]'
}

postgres_dockerfile() {
  cat <<DOCKERFILE
FROM $POSTGRES_IMAGE-rootfs
ENV LANG=C.UTF-8 PGDATA=/var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
DOCKERFILE
}

build_postgres() {
  local root=$1
  bootstrap "$root" postgresql-15
  # Debian creates and starts a cluster of its own; the image initialises PGDATA on first start instead.
  chroot "$root" pg_dropcluster 15 main 2>/dev/null || true
  mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  chroot "$root" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
  chmod 700 "$root/var/lib/postgresql/data"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# The official image's contract, in small: first start initialises PGDATA with POSTGRES_USER (default postgres),
# POSTGRES_PASSWORD (required) and POSTGRES_DB (default: the user); then postgres runs as PID 1.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD is required" >&2; exit 1; }
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
    createdb -p 5432 -U "$user" "$db"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "docker-entrypoint: initialised $PGDATA (user $user, database $db)" >&2
fi
[ "${1:-postgres}" = postgres ] && [ $# -gt 0 ] && shift
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  slim "$root"
  import "$root" "$POSTGRES_IMAGE-rootfs"
  # `docker import --change` knows no STOPSIGNAL, so the configuration is a build without context on top.
  # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave), as in the official image.
  postgres_dockerfile | docker build -q -t "$POSTGRES_IMAGE" - >"$root.build.log" 2>&1 ||
    die "docker build failed: $(cat "$root.build.log")"
  docker rmi "$POSTGRES_IMAGE-rootfs" >/dev/null
  docker image inspect --format "docker-base: $POSTGRES_IMAGE {{.Id}} {{.Size}} bytes" "$POSTGRES_IMAGE" >&2
}

# A failed debootstrap may leave proc, sys or dev/pts mounted in the tree: unmount them, and never delete across
# a mount point.
remove_tree() {
  local mount
  for mount in dev/pts proc sys; do
    mountpoint -q "$1/rootfs/$mount" 2>/dev/null && umount -l "$1/rootfs/$mount"
  done
  rm -rf --one-file-system "$1"
}

main() {
  local force=0 targets=() target image
  for arg in "$@"; do
    case $arg in
      --force) force=1 ;;
      python | postgres) targets+=("$arg") ;;
      -h | --help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        return 0
        ;;
      *) die "unknown argument: $arg (python, postgres, --force)" ;;
    esac
  done
  [[ ${#targets[@]} -gt 0 ]] || targets=(python)
  [[ $(id -u) == 0 ]] || die "needs root (debootstrap, chroot)"
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
  docker info >/dev/null 2>&1 || die "no Docker daemon answers (scripts/docker-smoke.sh starts one)"

  for target in "${targets[@]}"; do
    if [[ $target == python ]]; then image=$PYTHON_IMAGE; else image=$POSTGRES_IMAGE; fi
    if [[ $force == 0 ]] && docker image inspect "$image" >/dev/null 2>&1; then
      log "$image exists (--force builds it again)"
      continue
    fi
    local work started=$SECONDS
    work=$(mktemp -d "${TMPDIR:-/var/tmp}/orange-bot-base.XXXXXX")
    # shellcheck disable=SC2064  # expand now: the directory of this iteration
    trap "remove_tree '$work'" EXIT
    "build_$target" "$work/rootfs"
    remove_tree "$work"
    trap - EXIT
    log "$image built in $((SECONDS - started)) s"
  done
}

main "$@"
