#!/usr/bin/env bash
# OrleansSocial build entry point.
#   ./build.sh test            install what is missing, build, run every test project, print "N passed, N failed[, N skipped]"
#   ./build.sh run [args...]   start the host (silo + front end) on the embedded default configuration
#   ./build.sh cluster N       PostgreSQL, Redis, N silos and one front end as processes, until Ctrl-C
#   ./build.sh bench runtime   run the grain runtime benchmark (Release, about 10 seconds)
#   ./build.sh bench cluster   silo-to-silo calls and PostgreSQL state writes (Release, about 20 seconds)
#   ./build.sh bench social    likes over HTTP vs raw inserts, post reads vs a bare endpoint (about 2 minutes)
#   ./build.sh bench feeds     fan-out to 10,000 followers, post accept p99, home timeline reads (about 3 minutes)
#   ./build.sh bench messaging DM sends over HTTP, send-to-SignalR delivery p99 at 500 msg/s, hub Typing calls/s (about 2 minutes)
#   ./build.sh bench frontend  HTTP requests/s (bare Kestrel vs authenticated grain read) and SignalR fan-out latency (about 1 minute)
#   ./build.sh bench failover  a silo killed under reads: time until its grains answer elsewhere (about 1 minute)
#   ./build.sh bench mixed     sustained mixed load at 400 requests/s for 10 minutes, 1,000 SignalR connections, then rising
#                              rates to find the highest whose fan-out keeps up (about 20 minutes; MIXED_MINUTES shortens it)
#   ./build.sh bench media     2 MP photo uploads end to end, media serving vs bare static files, peak memory of 20 12 MP uploads (about 2 minutes)
#   ./build.sh bench stories   story trays (200 followed, 50 with stories) vs a bare endpoint, story views per second (about 2 minutes)
#   ./build.sh bench analytics home timeline reads with impression counting on vs off, impressions recorded per second (about 2 minutes)
#   ./build.sh bench export    the data archive of an account with 50,000 posts: time and managed heap growth (about 1 minute)
#   ./build.sh bench web       the web client in Chromium: first-load JS (gzipped), navigation to the first home post, the
#                              50th page of a 1,000-post timeline (about 2 minutes)
#   ./build.sh keys list|rotate|retire <kid>   the access-token signing key ring of the embedded run (.data/keys)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests need: PostgreSQL (data, grain state; private test servers) and Redis (Orleans membership
# of multi-process tests). Tests start their own servers from these binaries on loopback ports. The embedded run
# needs PostgreSQL and ffmpeg (RUN_PACKAGES). ffmpeg/ffprobe identify video, make posters and turn animated GIFs into MP4.
DEBIAN_PACKAGES=(postgresql redis-server ffmpeg chromium)
RUN_PACKAGES=(postgresql ffmpeg)

log() { printf '[build] %s\n' "$*" >&2; }

ensure_dotnet() {
  if command -v dotnet >/dev/null 2>&1; then return; fi
  for candidate in "$HOME/.dotnet/dotnet" /usr/share/dotnet/dotnet /usr/lib/dotnet/dotnet; do
    if [ -x "$candidate" ]; then export PATH="$(dirname "$candidate"):$PATH"; return; fi
  done
  log "the .NET SDK (10.0) is required but 'dotnet' was not found on PATH"
  exit 1
}

# Installs the Debian packages named (default: DEBIAN_PACKAGES) that are missing. When another package manager holds
# the dpkg lock, apt waits for it (up to 10 minutes) and says so.
ensure_packages() {
  local wanted=("$@")
  if [ "${#wanted[@]}" -eq 0 ]; then wanted=("${DEBIAN_PACKAGES[@]}"); fi
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ "${#missing[@]}" -eq 0 ]; then return; fi
  log "installing missing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if command -v fuser >/dev/null 2>&1 && fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
    log "another package manager is running; waiting for it to finish (up to 10 minutes; or stop it and run this again)"
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    ensure_packages nodejs npm
  fi
}

# The web client (web/, React + Vite, versions pinned in web/package-lock.json), built into web/dist, which the front
# end serves at /.
build_web() {
  ensure_node
  if [ ! -f web/node_modules/vite/package.json ]; then
    log "installing the web client's packages"
    npm ci --prefix web --no-audit --no-fund --loglevel=error >&2
  fi
  log "building the web client"
  npm run build --prefix web --silent -- --logLevel warn >&2
}

# The SignalR tests drive the real @microsoft/signalr client under node, and the S3 media tests run s3rver, a real S3
# protocol peer, under node (versions pinned in each package-lock.json).
ensure_node_packages() {
  ensure_node
  if [ ! -d tests/signalr-client/node_modules/@microsoft/signalr ]; then
    log "installing the SignalR JavaScript client for the tests"
    npm ci --prefix tests/signalr-client --no-audit --no-fund --loglevel=error >&2
  fi
  if [ ! -f tests/s3-server/node_modules/s3rver/bin/s3rver.js ]; then
    log "installing s3rver (an S3 protocol peer) for the tests"
    npm ci --prefix tests/s3-server --no-audit --no-fund --loglevel=error >&2
  fi
}

# Reads the <Counters .../> element of a .trx file and prints "total passed failed notExecuted".
trx_counts() {
  local counters
  counters="$(grep -o '<Counters [^>]*>' "$1" | head -n 1)"
  local total passed failed skipped
  total="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  failed="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  skipped="$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")"
  echo "${total:-0} ${passed:-0} ${failed:-0} ${skipped:-0}"
}

# Prints each failed test of a .trx file with the first lines of its message, so the end of a run says what failed.
trx_failures() {
  awk '
    /<UnitTestResult / {
      failed = ($0 ~ /outcome="Failed"/)
      if (failed) { name = $0; sub(/.*testName="/, "", name); sub(/".*/, "", name); print "FAILED " name }
      lines = 0
    }
    failed && /<Message>/ { inmsg = 1 }
    failed && inmsg && lines < 6 { line = $0; gsub(/<\/?Message>/, "", line); print "    " line; lines++ }
    /<\/Message>/ { inmsg = 0 }
  ' "$1" | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' >&2
}

cmd_test() {
  ensure_dotnet
  ensure_packages
  ensure_node_packages
  build_web
  log "building"
  dotnet build OrleansSocial.sln -c Debug -v quiet -nologo

  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"

  local passed=0 failed=0 skipped=0 broken=0

  # The web client's own logic (vitest), counted with the rest.
  log "testing the web client"
  set +e
  (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$results/web-vitest.json")
  set -e
  if [ -f "$results/web-vitest.json" ]; then
    local wp wf
    read -r wp wf < <(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (!r.success && r.numFailedTests === 0 ? 1 : 0))' "$results/web-vitest.json")
    passed=$((passed + wp)); failed=$((failed + wf))
  else
    log "the web client's tests produced no results"
    broken=$((broken + 1))
  fi
  local projects
  mapfile -t projects < <(find tests -name '*.Tests.csproj' | sort)
  if [ "${#projects[@]}" -eq 0 ]; then
    log "no test projects found"
    echo "0 passed, 0 failed"
    exit 1
  fi

  for project in "${projects[@]}"; do
    local name
    name="$(basename "$project" .csproj)"
    log "testing $name"
    set +e
    dotnet test "$project" -c Debug --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
      --results-directory "$results" --blame-hang-timeout 10m
    local code=$?
    set -e
    if [ ! -f "$results/$name.trx" ]; then
      log "$name produced no results (exit code $code)"
      broken=$((broken + 1))
      continue
    fi
    read -r t p f s < <(trx_counts "$results/$name.trx")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
      log "$name exited with code $code although no test failed"
      broken=$((broken + 1))
    fi
  done

  failed=$((failed + broken))
  if [ "$failed" -gt 0 ]; then
    for trx in "$results"/*.trx; do trx_failures "$trx"; done
  fi
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
}

# The embedded default of `./build.sh run`: a private PostgreSQL cluster under .data/postgres, created on first run,
# started for the lifetime of the host and stopped after it. Set ConnectionStrings__Postgres to use your own instead.
# .data belongs to the user running the host (mode 0711: the database's OS user may only pass through to its own
# directory); the access-token signing keys live in .data/keys (0700, written by the host). The server listens on
# 127.0.0.1 and its Unix socket in its own private directory, and asks every client, local or TCP, for a password
# generated on first run into .data/postgres-password (0600): no other local user can connect.
DATA_DIR="${ORLEANSSOCIAL_DATA:-$ROOT/.data}"
PG_DATA="$DATA_DIR/postgres"
PG_PASSWORD_FILE="$DATA_DIR/postgres-password"
PG_PORT="${ORLEANSSOCIAL_PG_PORT:-55432}"

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ]; then log "PostgreSQL binaries not found under /usr/lib/postgresql"; exit 1; fi
  echo "$dir"
}

as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# .data: ours, closed to others but passable, so the database's OS user reaches .data/postgres (its own, 0700).
prepare_data_dir() {
  mkdir -p "$DATA_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown "$(id -u):$(id -g)" "$DATA_DIR"; fi
  chmod 711 "$DATA_DIR"
  if [ -d "$DATA_DIR/keys" ] && [ "$(id -u)" -eq 0 ]; then chown -R "$(id -u):$(id -g)" "$DATA_DIR/keys"; fi
  if [ -f "$DATA_DIR/jwt-signing-key" ] && [ "$(id -u)" -eq 0 ]; then chown "$(id -u):$(id -g)" "$DATA_DIR/jwt-signing-key"; fi
  if [ ! -s "$PG_PASSWORD_FILE" ]; then
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$PG_PASSWORD_FILE")
  fi
  chmod 600 "$PG_PASSWORD_FILE"
}

# Clusters made by earlier versions trusted every local connection: give the superuser the generated password and
# ask for it from then on (the server is reached through its private socket for that, as its OS user).
require_pg_password() {
  local bin="$1"
  if ! grep -qE '^[^#]*[[:space:]]trust([[:space:]]|$)' "$PG_DATA/pg_hba.conf"; then return; fi
  log "PostgreSQL in $PG_DATA trusted local connections: switching it to a password"
  as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -w -l "$PG_DATA/server.log" -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=" start >/dev/null
  as_pg_user "$bin/psql" -h "$PG_DATA" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "ALTER USER postgres PASSWORD '$(cat "$PG_PASSWORD_FILE")'" >/dev/null
  as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  as_pg_user sh -c "printf '%s\n' 'local all all scram-sha-256' 'host all all 127.0.0.1/32 scram-sha-256' 'host all all ::1/128 scram-sha-256' > '$PG_DATA/pg_hba.conf'"
}

start_embedded_postgres() {
  local bin
  bin="$(pg_bin)"
  prepare_data_dir
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA (first run)"
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DATA"; fi
    chmod 700 "$PG_DATA"
    local pwfile
    pwfile="$(mktemp)"
    cp "$PG_PASSWORD_FILE" "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_pg_user "$bin/initdb" -D "$PG_DATA" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" -E UTF8 --no-locale >/dev/null
    rm -f "$pwfile"
  fi
  require_pg_password "$bin"
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (password in .data/postgres-password)"
  as_pg_user "$bin/pg_ctl" -D "$PG_DATA" -w -l "$PG_DATA/server.log" \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1" start >/dev/null
  trap 'as_pg_user "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true' EXIT
  export PGPASSWORD
  PGPASSWORD="$(cat "$PG_PASSWORD_FILE")"
  if ! "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'orleanssocial'" | grep -q 1; then
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE orleanssocial" >/dev/null
  fi
  unset PGPASSWORD
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$(cat "$PG_PASSWORD_FILE");Database=orleanssocial"
}

cmd_run() {
  ensure_dotnet
  ensure_packages "${RUN_PACKAGES[@]}"
  if [ -z "${ConnectionStrings__Postgres:-}" ]; then start_embedded_postgres; fi
  if [ -z "${Accounts__RequireVerifiedEmail:-}" ] && [ -z "${Email__Smtp__Host:-}" ]; then
    # No mail leaves this machine, so nobody could confirm an address: new accounts may post at once. Production keeps it on.
    export Accounts__RequireVerifiedEmail=false
    log "local run: Accounts:RequireVerifiedEmail is OFF (no SMTP relay; verification links are in the email_outbox table)."
    log "           set Accounts__RequireVerifiedEmail=true (or Email__Smtp__Host) to require confirmed addresses."
  fi
  export Auth__KeyDirectory="${Auth__KeyDirectory:-$DATA_DIR/keys}"
  build_web
  dotnet build src/OrleansSocial.Host -c Release -v quiet -nologo >&2
  dotnet src/OrleansSocial.Host/bin/Release/net10.0/OrleansSocial.Host.dll --contentRoot "$ROOT/src/OrleansSocial.Host" "$@"
}

# `./build.sh cluster N [front-end args]`: the production topology as processes on this machine — the embedded
# PostgreSQL, a private Redis (membership), N silos (Role=silo) and one front end (Role=frontend, an Orleans cluster
# client) — until Ctrl-C, which stops the front end, then each silo gracefully, then Redis and PostgreSQL. Logs and
# the settings another silo needs to join (cluster/env) are under the data directory (.data, or ORLEANSSOCIAL_DATA).
cmd_cluster() {
  local count="${1:-}"
  if ! [[ "$count" =~ ^[1-9]$ ]]; then
    echo "usage: ./build.sh cluster N [front-end args]   (N silos, 1 to 9)" >&2
    exit 2
  fi
  shift
  ensure_dotnet
  ensure_packages postgresql redis-server ffmpeg
  local redis_port="${ORLEANSSOCIAL_REDIS_PORT:-56379}"
  local silo_port="${ORLEANSSOCIAL_SILO_PORT:-21111}"
  local gateway_port="${ORLEANSSOCIAL_GATEWAY_PORT:-31000}"
  local http_port="${ORLEANSSOCIAL_SILO_HTTP_PORT:-5180}"
  local dir="$DATA_DIR/cluster"
  dotnet build src/OrleansSocial.Host -c Release -v quiet -nologo >&2
  start_embedded_postgres
  mkdir -p "$dir"
  rm -f "$dir"/*.log
  local pids=()
  stop_cluster() {
    trap - INT TERM EXIT
    log "stopping the cluster"
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    as_pg_user "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  }
  trap stop_cluster INT TERM EXIT
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
  local redis_pid=$!
  export ConnectionStrings__Redis="127.0.0.1:$redis_port,abortConnect=false"
  export Cluster__ClusterId="${Cluster__ClusterId:-local}"
  export Auth__KeyDirectory="${Auth__KeyDirectory:-$DATA_DIR/keys}"
  export Accounts__RequireVerifiedEmail="${Accounts__RequireVerifiedEmail:-false}"
  (umask 077; {
    echo "ConnectionStrings__Postgres=$ConnectionStrings__Postgres"
    echo "ConnectionStrings__Redis=$ConnectionStrings__Redis"
    echo "Cluster__ClusterId=$Cluster__ClusterId"
    echo "Auth__KeyDirectory=$Auth__KeyDirectory"
  } > "$dir/env")
  local host=(dotnet src/OrleansSocial.Host/bin/Release/net10.0/OrleansSocial.Host.dll --contentRoot "$ROOT/src/OrleansSocial.Host")
  local i
  for i in $(seq 1 "$count"); do
    Role=silo Silo__Port=$((silo_port + i)) Silo__GatewayPort=$((gateway_port + i)) Urls="http://127.0.0.1:$((http_port + i))" \
      supervise "silo $i" "$dir/silo$i.log" "${host[@]}"
    pids=("$!" "${pids[@]}")
  done
  for i in $(seq 1 "$count"); do
    wait_ready "http://127.0.0.1:$((http_port + i))/health/ready" "silo $i" "$dir/silo$i.log"
  done
  Role=frontend supervise "front end" "$dir/frontend.log" "${host[@]}" "$@"
  pids=("$!" "${pids[@]}")
  local url
  for _ in $(seq 1 120); do
    url="$(sed -n 's/^OrleansSocial (frontend) is listening on \([^ ,]*\).*/\1/p' "$dir/frontend.log" | head -n 1)"
    if [ -n "$url" ]; then break; fi
    sleep 0.5
  done
  if [ -z "$url" ]; then log "the front end did not start; see $dir/frontend.log"; exit 1; fi
  wait_ready "$url/health/ready" "front end" "$dir/frontend.log"
  pids+=("$redis_pid")
  echo "cluster ready: $url ($count silos, Redis 127.0.0.1:$redis_port, PostgreSQL 127.0.0.1:$PG_PORT; logs and env in $dir)"
  echo "another silo joins with: set -a; . $dir/env; set +a; Role=silo Silo__Port=<port> Silo__GatewayPort=<port> Urls=http://127.0.0.1:<port> ${host[*]}"
  echo "Ctrl-C stops everything."
  wait "${pids[0]}" || true
}

# Runs a command in the background as a supervisor would: started again a second after it exits with a failure (a silo
# exits with 75 when its membership table is lost), not after a clean exit; SIGTERM stops it gracefully. $! is the
# supervisor's pid.
supervise() {
  local name="$1" logfile="$2"
  shift 2
  (
    child=""
    trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 0' TERM
    while true; do
      "$@" >>"$logfile" 2>&1 &
      child=$!
      code=0
      wait "$child" || code=$?
      if [ "$code" -eq 0 ]; then exit 0; fi
      echo "[cluster] $name exited with code $code; starting it again" >>"$logfile"
      sleep 1
    done
  ) &
}

# Waits until a URL answers 2xx (two minutes at most), asking with the host's own `health` command (no curl needed).
wait_ready() {
  local i
  for i in $(seq 1 120); do
    if dotnet src/OrleansSocial.Host/bin/Release/net10.0/OrleansSocial.Host.dll health "$1" >/dev/null 2>&1; then return; fi
    sleep 0.5
  done
  log "$2 did not become ready; see $3"
  exit 1
}

cmd_bench() {
  ensure_dotnet
  local suite="${1:-}"
  case "$suite" in
    runtime|cluster|frontend|social|feeds|messaging|failover|mixed|media|stories|analytics|export|web)
      if [ "$suite" != runtime ]; then ensure_packages; fi
      if [ "$suite" = frontend ] || [ "$suite" = messaging ]; then ensure_node_packages; fi
      if [ "$suite" = web ]; then build_web; fi
      if [ "$suite" = failover ] || [ "$suite" = frontend ] || [ "$suite" = web ]; then
        # These run the product's own executable as silo and front-end processes too.
        dotnet build src/OrleansSocial.Host -c Release -v quiet -nologo >&2
        export ORLEANSSOCIAL_HOST_DLL="$PWD/src/OrleansSocial.Host/bin/Release/net10.0/OrleansSocial.Host.dll"
      fi
      dotnet build bench/OrleansSocial.Bench -c Release -v quiet -nologo >&2
      dotnet bench/OrleansSocial.Bench/bin/Release/net10.0/OrleansSocial.Bench.dll "$suite"
      ;;
    *)
      echo "usage: ./build.sh bench runtime|cluster|frontend|social|feeds|messaging|failover|mixed|media|stories|analytics|export|web" >&2
      exit 2
      ;;
  esac
}

# The access-token signing key ring of `./build.sh run` (.data/keys): list, rotate (adds a key; it signs after two
# minutes) and retire <kid> (after the 15-minute token lifetime). See docs/operations.md.
cmd_keys() {
  ensure_dotnet
  prepare_data_dir
  dotnet build src/OrleansSocial.Host -c Release -v quiet -nologo >&2
  dotnet src/OrleansSocial.Host/bin/Release/net10.0/OrleansSocial.Host.dll keys "$@"
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  run) shift; cmd_run "$@" ;;
  cluster) shift; cmd_cluster "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  keys) shift; cmd_keys "$@" ;;
  *)
    echo "usage: ./build.sh test | run [host args] | cluster N [front-end args] | bench runtime|cluster|frontend|social|feeds|messaging|failover|mixed|media|stories|analytics|export|web | keys list|rotate|retire <kid>" >&2
    exit 2
    ;;
esac
