#!/usr/bin/env bash
# Garbage collection throughput on SQLite and on PostgreSQL
# (crates/quay-http/examples/gc_throughput.rs). Writes docs/benchmarks.md (between the
# gc-bench markers).
#
# Needs: PostgreSQL at $PG_URL for the second run (skipped if unreachable).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
IMAGES=${IMAGES:-4000}
OUT=docs/benchmarks.md

cargo build --release -p quay-http --example gc_throughput
BIN=target/release/examples/gc_throughput
rows=$(IMAGES=$IMAGES env -u QUAY_TEST_DATABASE_URL "$BIN")
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  rows+=$'\n'$(IMAGES=$IMAGES QUAY_TEST_DATABASE_URL=$PG_URL "$BIN")
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
section=$(cat <<EOF2
<!-- gc-bench:start -->
## Garbage collection throughput

Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), release build, one collection
(\`GarbageCollector::run_once\`) in process. The repository holds $((2 * IMAGES)) images
(a manifest and 5 blobs of about 1 KiB each, stored as files on the local filesystem):
half of them have tags that ended a month ago (past the two-week time machine), half are
live, sharing nothing with the garbage. The collection purges the ended tags, then the
manifests, then the blobs (rows in batches of 500, each batch re-checked under lock, files
deleted 16 at a time), and leaves the live half untouched (checked). Command:
\`just bench-gc\` (\`scripts/bench-gc.sh\`).

| database | images | manifests collected | blobs collected | time | blobs | manifests |
|---|---|---|---|---|---|---|
$rows
<!-- gc-bench:end -->
EOF2
)
python3 - "$OUT" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"<!-- gc-bench:start -->.*?<!-- gc-bench:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "$rows"
