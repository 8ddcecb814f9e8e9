#!/usr/bin/env bash
# API benchmark: GET /api/v1/repository/{ns}/{repo} with a bearer token, through wrk, at 1
# and 32 connections, against a release quayd on SQLite and on PostgreSQL. Writes the
# results into docs/benchmarks.md (between the api-bench markers).
#
# Needs: wrk, curl, jq (Debian packages); PostgreSQL at $PG_URL for the second run.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PORT=${PORT:-18181}
DURATION=${DURATION:-10s}
OUT=docs/benchmarks.md

for tool in wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)"; exit 1; }
done

cargo build --release -p quayd
BIN=target/release/quayd
URL="http://127.0.0.1:$PORT/api/v1/repository/bench/simple"

# wrk output -> "p50 p99 rps"
parse() {
  awk '
    $1 == "50%" { p50 = $2 }
    $1 == "99%" { p99 = $2 }
    $1 == "Requests/sec:" { rps = $2 }
    END { printf "%s %s %s\n", p50, p99, rps }'
}

run_backend() {
  local name=$1 db_uri=$2 ttl=$3
  local data
  data=$(mktemp -d)
  if [ -n "$db_uri" ]; then export QUAY_DB_URI=$db_uri; else unset QUAY_DB_URI; fi
  export QUAY_CACHE_TTL_MS=$ttl
  local cache="on (${ttl} ms)"
  [ "$ttl" = 0 ] && cache=off
  RUST_LOG=warn "$BIN" --data-dir "$data" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/instance" >/dev/null && break; sleep 0.1; done
  local token
  token=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/user/initialize" -H 'Content-Type: application/json' \
    -d '{"username": "bench", "password": "benchmark", "access_token": true}' | jq -r .access_token)
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/repository" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d '{"repository": "simple", "visibility": "private", "description": "bench"}' >/dev/null
  curl -sf "$URL" -H "Authorization: Bearer $token" >/dev/null

  wrk -t1 -c1 -d2s -H "Authorization: Bearer $token" "$URL" >/dev/null # warm-up
  local one thirtytwo
  one=$(wrk -t1 -c1 -d"$DURATION" --latency -H "Authorization: Bearer $token" "$URL" | parse)
  thirtytwo=$(wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $token" "$URL" | parse)
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$data"
  read -r p50 p99 rps <<<"$one"
  echo "| $name | $cache | 1 | $p50 | $p99 | $rps |"
  read -r p50 p99 rps <<<"$thirtytwo"
  echo "| $name | $cache | 32 | $p50 | $p99 | $rps |"
}

pg_db=""
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  pg_db="quay_bench_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  trap 'psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null' EXIT
fi

rows=$(run_backend SQLite "" 2000)
rows+=$'\n'$(run_backend SQLite "" 0)
if [ -n "$pg_db" ]; then
  rows+=$'\n'$(run_backend PostgreSQL "${PG_URL%/*}/$pg_db" 2000)
  psql "$PG_URL" -qc "DROP DATABASE $pg_db WITH (FORCE)" -qc "CREATE DATABASE $pg_db" >/dev/null
  rows+=$'\n'$(run_backend PostgreSQL "${PG_URL%/*}/$pg_db" 0)
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
section=$(cat <<EOF
<!-- api-bench:start -->
## API: \`GET /api/v1/repository/{ns}/{repo}\` with a bearer token

Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), client and server on the same
machine, release build, \`wrk\` for $DURATION per row (1 connection: \`-t1 -c1\`; 32
connections: \`-t2 -c32\`). Each request authenticates an OAuth token (indexed lookup +
SHA-256 check of its secret) and reads the repository with the caller's permission. With
the cache on (the default), those two lookups are served from a per-process cache for up
to 2 s; with it off, every request makes both database round trips. Command:
\`just bench-api\` (\`scripts/bench-api.sh\`).

| database | cache (CACHE_TTL_MS) | connections | p50 | p99 | requests/s |
|---|---|---|---|---|---|
$rows

Targets: p50 under 1 ms at 1 connection; over 10,000 requests/s at 32 connections.
<!-- api-bench:end -->
EOF
)

if [ ! -f "$OUT" ]; then
  printf '# Benchmarks\n\nNumbers measured on this project'"'"'s machines, with the command that produced each.\n\n' > "$OUT"
fi
if grep -q '<!-- api-bench:start -->' "$OUT"; then
  python3 - "$OUT" "$section" <<'PY'
import sys, re
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"<!-- api-bench:start -->.*?<!-- api-bench:end -->", lambda _: section, text, flags=re.S)
open(path, "w").write(text)
PY
else
  printf '%s\n' "$section" >> "$OUT"
fi
echo "$rows"
