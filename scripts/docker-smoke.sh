#!/usr/bin/env bash
# The Docker image, tested end to end: `make docker-smoke` (root, Docker, curl, openssl).
#
# Builds the image on a local base (scripts/docker-base.sh; no image registry needed), runs the bot in HTTP mode
# against the carrier sandbox and the Slack simulator (both from the same image), and checks: /healthz and the
# image's HEALTHCHECK, /metrics on METRICS_PORT and not on PORT, signed slash commands (HMAC v0, signed here with
# openssl), a forged one refused, a non-root process, `docker stop` within 10 s with exit code 0; then
# docker-compose.yml: `config`, and bring-up with two replicas on PostgreSQL when a postgres image can be had.
# Every container uses the host's network and loopback ports. One PASS/FAIL line per check; exits 1 on any FAIL;
# removes what it started.
#
# Settings (environment):
#   SMOKE_BASE        base image (default orange-bot-base:local, built when missing); python:3.11-slim works too
#   SMOKE_IMAGE       tag to build (default orange-bot:smoke)
#   SMOKE_COMPOSE_UP  1 (default): bring compose up when a postgres image exists or can be built; 0: config only
#   POSTGRES_IMAGE    postgres image for the bring-up (default: postgres:15 if present, else orange-bot-postgres:local,
#                     built by scripts/docker-base.sh postgres)
#   STOP_LIMIT        seconds `docker stop` may take (default 10)
set -euo pipefail

cd "$(dirname "$0")/.."

BASE=${SMOKE_BASE:-orange-bot-base:local}
IMAGE=${SMOKE_IMAGE:-orange-bot:smoke}
STOP_LIMIT=${STOP_LIMIT:-10}
[[ $STOP_LIMIT =~ ^[1-9][0-9]*$ ]] || {
  echo "docker-smoke: STOP_LIMIT must be a whole number of seconds, not '$STOP_LIMIT'" >&2
  exit 2
}
RUN_ID=orange-bot-smoke-$$
TOKEN=xoxb-smoke
SECRET=smoke-signing-secret-$RANDOM$RANDOM
WORK=$(mktemp -d "${TMPDIR:-/tmp}/orange-bot-smoke.XXXXXX")
CONTAINERS=()
COMPOSE=()
COMPOSE_ARGS=()
FAILED=0

say() { echo "docker-smoke: $*" >&2; }
pass() { echo "PASS $*"; }
fail() {
  echo "FAIL $*"
  FAILED=$((FAILED + 1))
}
check() { # check NAME COMMAND...: PASS or FAIL by the command's status
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

cleanup() {
  local status=$?
  set +e
  if [[ ${#COMPOSE_ARGS[@]} -gt 0 ]]; then
    "${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" down -v --timeout 10 >/dev/null 2>&1
  fi
  for c in "${CONTAINERS[@]}"; do docker rm -f -v "$c" >/dev/null 2>&1; done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    local p
    while :; do
      p=$((20000 + RANDOM % 20000))
      ss -Htln "sport = :$p" 2>/dev/null | grep -q . || {
        echo "$p"
        return
      }
    done
  fi
}

# wait_http URL SECONDS [STATUS]: until URL answers STATUS (default 200); the last status in $WORK/status
wait_http() {
  local url=$1 limit=$2 want=${3:-200} started code
  started=$(now)
  while :; do
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 3 "$url" || true)
    echo "$code" >"$WORK/status"
    [[ $code == "$want" ]] && return 0
    awk -v s="$(since "$started")" -v l="$limit" 'BEGIN { exit !(s >= l) }' && return 1
    sleep 0.3
  done
}

logs_of() { # the last lines a container printed, indented, on standard error
  docker logs --tail 40 "$1" 2>&1 | sed 's/^/    | /' >&2 || true
}

ensure_dockerd() {
  if docker info >/dev/null 2>&1; then
    say "Docker daemon answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return 0
  fi
  command -v dockerd >/dev/null || {
    say "no Docker daemon and no dockerd: apt-get install -y docker.io"
    return 1
  }
  say "starting dockerd --bridge=none --iptables=false (log: /tmp/dockerd.log)"
  setsid nohup dockerd --bridge=none --iptables=false >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 20 /tmp/dockerd.log >&2
  return 1
}

# pip's index as configured here, passed into the build when the image can reach it: an http(s) index (a local
# mirror, with --network host) yes; a file:// index or find-links directory on this machine's disk no.
pip_build_args() {
  local key value url kept
  for key in index-url extra-index-url trusted-host; do
    local var="PIP_${key//-/_}"
    var=${var^^}
    value=${!var:-}
    if [[ -z $value ]] && command -v python3 >/dev/null; then
      value=$(python3 -m pip config get "global.$key" 2>/dev/null || true)
    fi
    [[ -n $value ]] || continue
    kept=()
    for url in $value; do
      if [[ $key == trusted-host || $url == http://* || $url == https://* ]]; then
        kept+=("$url")
      else
        say "pip $key $url is on this machine's disk, not in the build: left out"
      fi
    done
    if [[ ${#kept[@]} -gt 0 ]]; then
      say "build uses pip $key ${kept[*]}"
      printf -- '--build-arg\n%s=%s\n' "$var" "${kept[*]}"
    fi
  done
}

# The Slack side, run in a container of the image: the simulator's Web API and response_urls, plus two routes
# for this script: /_smoke/command?text=… (a slash command's form body, its response_url bound on the simulator)
# and /_smoke/response?token=… (what the bot posted to that response_url, rendered as text; waits up to 15 s).
SIMULATOR_PY=$(
  cat <<'EOF'
import asyncio, os, signal
from urllib.parse import urlencode
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from bot.simulator import FakeSlack, render_message, serve_asgi
from bot.simulator.client import VERIFICATION_TOKEN
from bot.simulator.team import APP_ID, TEAM_DOMAIN, TEAM_ID

async def main():
    fake = FakeSlack(bot_token=os.environ["SLACK_BOT_TOKEN"])

    async def command(request):
        user, channel = "U_ALICE", "C_GENERAL"
        url = fake.new_response_url(channel=channel, user=user)
        form = {
            "token": VERIFICATION_TOKEN, "team_id": TEAM_ID, "team_domain": TEAM_DOMAIN,
            "channel_id": channel, "channel_name": fake.channels[channel].name, "user_id": user,
            "user_name": fake.users[user].name, "command": request.query_params.get("command", "/orange"),
            "text": request.query_params.get("text", ""), "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": url, "trigger_id": fake.new_trigger_id(user),
        }
        return PlainTextResponse(url + "\n" + urlencode(form) + "\n")

    async def response(request):
        token = request.query_params["token"]
        try:
            posts = await fake.wait_for_responses(token, timeout=15)
        except Exception as err:
            return PlainTextResponse(f"nothing posted to {token}: {type(err).__name__}", status_code=504)
        body = posts[-1].body
        return PlainTextResponse(str(render_message(body.get("text"), body.get("blocks"))) + "\n")

    async def health(request):
        return PlainTextResponse("ok\n")

    app = Starlette(routes=[
        Route("/_smoke/health", health), Route("/_smoke/command", command), Route("/_smoke/response", response),
        Mount("/", app=fake.app),
    ])
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with serve_asgi(app, host="127.0.0.1", port=int(os.environ["SIM_PORT"])) as url:
        fake.base_url = url
        print(f"Slack simulator on {url}", flush=True)
        await stop.wait()

asyncio.run(main())
EOF
)

# slash_command BOT_URL TEXT [SIGNING]: POST a slash command signed like Slack (v0, HMAC-SHA256 of
# "v0:<timestamp>:<body>" with the signing secret); SIGNING=forged signs with another secret.
# Sets ACK (HTTP status of the ack) and TOKEN_URL (the command's response_url).
slash_command() {
  local bot=$1 text=$2 signing=${3:-valid} key=$SECRET ts sig body
  ACK=000 TOKEN_URL=
  curl -fsS --get --data-urlencode "text=$text" "$SIM/_smoke/command" >"$WORK/command" || return 0
  { read -r TOKEN_URL && read -r body; } <"$WORK/command"
  [[ $signing == forged ]] && key="$SECRET-forged"
  ts=$(date +%s)
  sig=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$key" -r | cut -d' ' -f1)
  ACK=$(curl -sS -o "$WORK/ack" -w '%{http_code}' --max-time 10 \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$sig" \
    --data-binary "$body" "$bot/slack/events" || echo 000)
}

# reply_contains FRAGMENT...: what the bot posted to the last command's response_url shows every FRAGMENT
reply_contains() {
  local token=${TOKEN_URL##*/response/} fragment
  curl -sS --max-time 20 --get --data-urlencode "token=$token" "$SIM/_smoke/response" >"$WORK/reply" || return 1
  for fragment in "$@"; do
    grep -qF -- "$fragment" "$WORK/reply" || {
      say "reply lacks '$fragment':"
      sed 's/^/    > /' "$WORK/reply" >&2
      return 1
    }
  done
}

# command_check NAME BOT_URL TEXT FRAGMENT...: a signed command acked 200 whose reply shows the fragments
command_check() {
  local name=$1 bot=$2 text=$3 started
  shift 3
  started=$(now)
  slash_command "$bot" "$text"
  if [[ $ACK == 200 ]] && reply_contains "$@"; then
    pass "$name (ack 200, reply in $(since "$started") s: $(grep -m1 -v '^\s*$' "$WORK/reply" | cut -c1-70))"
  else
    fail "$name (ack $ACK)"
  fi
}

# stop_container NAME: `docker stop --time STOP_LIMIT` (SIGTERM, then SIGKILL); sets TOOK (seconds) and CODE (the
# exit code, or "running" when it did not stop); fails unless it stopped within STOP_LIMIT
stop_container() {
  local started
  started=$(now)
  docker stop --time "$STOP_LIMIT" "$1" >/dev/null || true
  TOOK=$(since "$started")
  CODE=$(docker inspect -f '{{if .State.Running}}running{{else}}{{.State.ExitCode}}{{end}}' "$1" 2>&1 || true)
  [[ $CODE =~ ^[0-9]+$ ]] && awk -v t="$TOOK" -v l="$STOP_LIMIT" 'BEGIN { exit !(t < l) }'
}

run_container() { # run_container NAME DOCKER-RUN-ARGS...: detached, host network, remembered for cleanup
  local name=$1
  shift
  CONTAINERS+=("$name")
  docker run -d --name "$name" --network host "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------- the image

image_checks() {
  local started
  if ensure_dockerd; then pass "docker daemon"; else
    fail "docker daemon"
    return 1
  fi

  if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    if [[ $BASE == orange-bot-base:local ]]; then
      started=$(now)
      if scripts/docker-base.sh python; then pass "base image $BASE built in $(since "$started") s"; else
        fail "base image $BASE"
        return 1
      fi
    else
      say "$BASE is not here; the build will try to pull it"
    fi
  fi

  local build_args=()
  mapfile -t build_args < <(pip_build_args)
  started=$(now)
  if docker build --network host --build-arg "BASE=$BASE" "${build_args[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1
  then
    local size
    size=$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }')
    pass "image $IMAGE built on $BASE in $(since "$started") s ($size)"
  else
    tail -n 30 "$WORK/build.log" >&2
    fail "image build"
    return 1
  fi

  local meta
  meta=$(docker image inspect "$IMAGE" \
    -f '{{.Config.User}} {{json .Config.Volumes}} {{if .Config.Healthcheck}}health{{end}} {{json .Config.Cmd}}')
  check "image config: user 10001, /data volume, HEALTHCHECK, CMD orange-bot run ($meta)" \
    [ "$meta" = '10001:10001 {"/data":{}} health ["orange-bot","run"]' ]
  check "manifest.yml in the image, orange-bot on PATH" \
    docker run --rm --network host "$IMAGE" sh -c 'test -f /app/manifest.yml && orange-bot --help >/dev/null'

  local sandbox_port sim_port bot_port metrics_port bot sandbox=$RUN_ID-sandbox sim=$RUN_ID-slack app=$RUN_ID-bot
  sandbox_port=$(free_port)
  sim_port=$(free_port)
  bot_port=$(free_port)
  metrics_port=$(free_port)
  SANDBOX=http://127.0.0.1:$sandbox_port
  SIM=http://127.0.0.1:$sim_port
  bot=http://127.0.0.1:$bot_port

  run_container "$sandbox" "$IMAGE" orange-bot sandbox --host 127.0.0.1 --port "$sandbox_port" --step-seconds 3600
  run_container "$sim" -e "SLACK_BOT_TOKEN=$TOKEN" -e "SIM_PORT=$sim_port" "$IMAGE" python -c "$SIMULATOR_PY"
  if wait_http "$SANDBOX/_sandbox/health" 30 && wait_http "$SIM/_smoke/health" 30; then
    pass "carrier sandbox ($SANDBOX) and Slack simulator ($SIM) up, from the image"
  else
    logs_of "$sandbox"
    logs_of "$sim"
    fail "carrier sandbox and Slack simulator"
    return 1
  fi

  started=$(now)
  run_container "$app" \
    -e "SLACK_BOT_TOKEN=$TOKEN" -e "SLACK_SIGNING_SECRET=$SECRET" -e "SLACK_API_URL=$SIM/api/" \
    -e "ORANGE_SANDBOX_URL=$SANDBOX" -e "PORT=$bot_port" -e "METRICS_PORT=$metrics_port" \
    -e POLL_INTERVAL_SECONDS=5 --health-interval 2s --health-start-period 30s \
    "$IMAGE"
  if wait_http "$bot/healthz" 60; then
    pass "GET /healthz 200 after $(since "$started") s: $(cat "$WORK/body")"
  else
    logs_of "$app"
    fail "GET /healthz (last status $(cat "$WORK/status"))"
    return 1
  fi
  check "GET /metrics on PORT: 404 (not public)" wait_http "$bot/metrics" 5 404
  if wait_http "http://127.0.0.1:$metrics_port/metrics" 10 && grep -q '^orange_bot_' "$WORK/body"; then
    pass "GET /metrics on METRICS_PORT: Prometheus text"
  else
    fail "GET /metrics on METRICS_PORT (last status $(cat "$WORK/status"))"
  fi

  local health=starting
  for _ in $(seq 40); do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$app")
    [[ $health == starting ]] || break
    sleep 0.5
  done
  check "image HEALTHCHECK: $health after $(since "$started") s" [ "$health" = healthy ]

  slash_command "$bot" help forged
  check "forged signature refused (HTTP $ACK)" [ "$ACK" = 401 ]
  command_check "signed /orange help" "$bot" help "/orange watch"
  command_check "signed /orange order carrier:11 (through the sandbox)" "$bot" "order carrier:11" "carrier:11" "EUR"

  local uid
  uid=$(docker exec "$app" id -u || true)
  check "process runs as uid $uid (not root)" [ "${uid:-0}" != 0 ]
  check "database on the /data volume, written by uid $uid" \
    docker exec "$app" sh -c 'test -s /data/orange-bot.db && test -w /data'

  if stop_container "$app"; then pass "docker stop (SIGTERM) took $TOOK s (limit $STOP_LIMIT s)"; else
    fail "docker stop (SIGTERM) took $TOOK s (limit $STOP_LIMIT s; then SIGKILL), state: $CODE"
  fi
  check "exit code after SIGTERM: $CODE" [ "$CODE" = 0 ]
  if docker logs "$app" 2>&1 | grep -q Traceback; then
    logs_of "$app"
    fail "no traceback in the bot's log"
  else
    pass "no traceback in the bot's log"
  fi

  # SIGTERM before the bot has installed its handler: PID 1 ignores a signal it has no handler for, so run under
  # an init (docker run --init, compose `init: true`), which the README asks for; then the process ends at once.
  local early=$RUN_ID-early
  run_container "$early" --init \
    -e "SLACK_BOT_TOKEN=$TOKEN" -e "SLACK_SIGNING_SECRET=$SECRET" -e "SLACK_API_URL=$SIM/api/" \
    -e "ORANGE_SANDBOX_URL=$SANDBOX" -e "PORT=$(free_port)" "$IMAGE"
  sleep 0.2
  if stop_container "$early" && [[ $CODE == 0 || $CODE == 143 ]]; then
    pass "docker stop during start-up, with --init: $TOOK s, exit code $CODE"
  else
    fail "docker stop during start-up, with --init: $TOOK s (limit $STOP_LIMIT s), exit code $CODE"
  fi
}

# ---------------------------------------------------------------------------------------------- compose

env_example_check() {
  # Docker's --env-file and compose's env_file take a value literally, up to the end of the line.
  local n
  n=$(grep -cE '^[A-Z_]+=[^#]*[[:space:]]#' .env.example || true)
  if [[ $n -gt 0 ]]; then
    say "NOTE .env.example: $n settings carry a trailing '# …' comment, which docker --env-file and compose"
    say "     pass on as part of the value (an empty SLACK_APP_TOKEN= then reads as '# xapp-…')"
  fi
}

service_container() { # service_container PROJECT SERVICE: the container's id, running or not
  docker ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$2" |
    head -n 1
}

compose_checks() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  else
    say "SKIP compose: neither 'docker compose' nor 'docker-compose' is installed"
    return 0
  fi
  say "compose: ${COMPOSE[*]} $("${COMPOSE[@]}" version --short 2>/dev/null || true)"

  # A clean env file for the bots: the compose file reads .env by default, which a checkout may not have.
  cat >"$WORK/bot.env" <<EOF
SLACK_BOT_TOKEN=$TOKEN
SLACK_SIGNING_SECRET=$SECRET
SLACK_API_URL=$SIM/api/
ORANGE_SANDBOX_URL=$SANDBOX
POLL_INTERVAL_SECONDS=5
EOF
  local project=$RUN_ID
  export BOT_ENV_FILE=$WORK/bot.env BOT_IMAGE=$IMAGE BASE
  if "${COMPOSE[@]}" -p "$project" -f docker-compose.yml config >"$WORK/compose.yml" 2>"$WORK/compose.err"; then
    local services
    services=$("${COMPOSE[@]}" -p "$project" -f docker-compose.yml config --services | sort | tr '\n' ' ')
    check "docker-compose.yml config valid (services: $services)" [ "$services" = "bot-1 bot-2 postgres " ]
  else
    cat "$WORK/compose.err" >&2
    fail "docker-compose.yml config"
    return 0
  fi

  if [[ ${SMOKE_COMPOSE_UP:-1} == 0 ]]; then
    say "SKIP compose bring-up: SMOKE_COMPOSE_UP=0"
    return 0
  fi
  local pg_image=${POSTGRES_IMAGE:-}
  if [[ -z $pg_image ]]; then
    if docker image inspect postgres:15 >/dev/null 2>&1; then
      pg_image=postgres:15
    else
      pg_image=orange-bot-postgres:local
      if ! docker image inspect "$pg_image" >/dev/null 2>&1; then
        say "postgres:15 cannot be pulled without a registry: building the stand-in $pg_image"
        scripts/docker-base.sh postgres || {
          say "SKIP compose bring-up: no postgres image (set POSTGRES_IMAGE to one that is here)"
          return 0
        }
      fi
    fi
  fi
  if ! docker image inspect "$pg_image" >/dev/null 2>&1; then
    say "SKIP compose bring-up: POSTGRES_IMAGE=$pg_image is not here and no registry can be reached"
    return 0
  fi

  # Here every container shares the host's network (dockerd runs with --bridge=none, and nothing but loopback is
  # to be used): the resolved configuration loses its published ports and networks (host networking refuses
  # both), and an override gives each service a free loopback port instead of compose's bridge network.
  awk '/^    (ports|networks):$/ { skip = 1; next }
       skip && /^(    -|      )/ { next }
       { skip = 0; print }' "$WORK/compose.yml" >"$WORK/compose-host.yml"
  local pg_port port1 port2
  pg_port=$(free_port)
  port1=$(free_port)
  port2=$(free_port)
  local url="postgresql+psycopg://orange_bot:orange_bot@127.0.0.1:$pg_port/orange_bot"
  cat >"$WORK/host-network.yml" <<EOF
services:
  postgres:
    image: $pg_image
    network_mode: host
    environment:
      PGPORT: "$pg_port"
    command: ["postgres", "-c", "listen_addresses=127.0.0.1"]
  bot-1:
    network_mode: host
    environment:
      DATABASE_URL: $url
      PORT: "$port1"
    healthcheck:
      interval: 2s
  bot-2:
    network_mode: host
    environment:
      DATABASE_URL: $url
      PORT: "$port2"
    healthcheck:
      interval: 2s
EOF
  COMPOSE_ARGS=(-p "$project" -f "$WORK/compose-host.yml" -f "$WORK/host-network.yml")
  local started
  started=$(now)
  if ! "${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" up -d --no-build >"$WORK/up.log" 2>&1; then
    cat "$WORK/up.log" >&2
    fail "compose up (postgres $pg_image + bot-1 + bot-2)"
    return 0
  fi
  local ok=1 service
  if wait_http "http://127.0.0.1:$port1/healthz" 90 && wait_http "http://127.0.0.1:$port2/healthz" 30; then
    pass "compose up: bot-1 and bot-2 /healthz 200 on PostgreSQL ($pg_image) after $(since "$started") s"
  else
    ok=0
    fail "compose up: /healthz of both replicas (last status $(cat "$WORK/status"))"
  fi
  local states=""
  for service in postgres bot-1 bot-2; do
    local id health=starting
    id=$(service_container "$project" "$service")
    for _ in $(seq 60); do
      health=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo missing)
      [[ $health == starting ]] || break
      sleep 0.5
    done
    states+="$service=$health "
    [[ $health == healthy ]] || {
      ok=0
      logs_of "$id"
    }
  done
  check "compose healthchecks: ${states% }" [ "$ok" = 1 ]
  if [[ $ok == 1 ]]; then
    command_check "signed /orange help on bot-1" "http://127.0.0.1:$port1" help "/orange watch"
    command_check "signed /orange order carrier:11 on bot-2" "http://127.0.0.1:$port2" "order carrier:11" "carrier:11"
  fi
  local tables query="select count(*) from information_schema.tables where table_schema = 'public'"
  tables=$(docker exec "$(service_container "$project" postgres)" psql -U orange_bot -d orange_bot -tAc "$query" 2>&1 ||
    true)
  check "schema in PostgreSQL, shared by both replicas ($tables tables)" [ "${tables:-0}" -gt 1 ] 2>/dev/null
  local volume
  volume=$(docker volume ls -q --filter "label=com.docker.compose.project=$project" | tr '\n' ' ')
  check "named volume for PostgreSQL: ${volume% }" [ -n "$volume" ]

  started=$(now)
  "${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" stop >/dev/null 2>&1
  local took
  took=$(since "$started")
  local codes=""
  for service in bot-1 bot-2 postgres; do
    codes+="$service=$(docker inspect -f '{{.State.ExitCode}}' "$(service_container "$project" "$service")") "
  done
  check "compose stop took $took s (limit ${STOP_LIMIT} s)" \
    awk -v t="$took" -v l="$STOP_LIMIT" 'BEGIN { exit !(t < l) }'
  check "compose exit codes: ${codes% }" [ "$codes" = "bot-1=0 bot-2=0 postgres=0 " ]
}

started_all=$(now)
# Each check reports its own FAIL; a step that cannot go on returns early, and the rest still runs.
image_checks || true
env_example_check
if [[ -n ${SIM:-} ]]; then compose_checks || true; else fail "compose checks (no image to run)"; fi
if [[ $FAILED -gt 0 ]]; then
  echo "docker-smoke: $FAILED check(s) failed in $(since "$started_all") s"
  exit 1
fi
echo "docker-smoke: all checks passed in $(since "$started_all") s"
