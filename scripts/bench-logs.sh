#!/usr/bin/env bash
# The usage logs of a namespace with a million entries (bulk-loaded), on SQLite and on
# PostgreSQL (crates/quay-http/examples/usage_logs.rs). Writes docs/benchmarks.md
# (between the logs-bench markers).
#
# Needs: PostgreSQL at $PG_URL for the second run (skipped if unreachable).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
OUT=docs/benchmarks.md

cargo build --release -p quay-http --example usage_logs
BIN=target/release/examples/usage_logs
rows=$(env -u QUAY_TEST_DATABASE_URL "$BIN")
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  rows+=$'\n'$(QUAY_TEST_DATABASE_URL=$PG_URL "$BIN")
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
section=$(cat <<EOF2
<!-- logs-bench:start -->
## Usage logs: a namespace with a million entries

Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), release build, one request at
a time through the whole application in process (routing, bearer token, permission,
queries, JSON view), after one warm-up request. The namespace holds 1,000,000 entries
bulk-loaded over the last 20 hours (inside the default window). A page is the newest
20 before a \`(datetime, id)\` position, one range of the (account, datetime DESC, id
DESC) index; aggregates count the whole window. Command: \`just bench-logs\`
(\`scripts/bench-logs.sh\`).

| database | entries | request | samples | p50 | p95 |
|---|---|---|---|---|---|
$rows

Target: the first page under 20 ms p50 on SQLite and PostgreSQL.
<!-- logs-bench:end -->
EOF2
)
python3 - "$OUT" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"<!-- logs-bench:start -->.*?<!-- logs-bench:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "$rows"
