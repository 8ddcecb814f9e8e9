#!/usr/bin/env bash
# The tags API on a repository with a million tags (bulk-loaded), on SQLite and on
# PostgreSQL (crates/quay-http/examples/tag_history.rs). Writes docs/benchmarks.md
# (between the tags-bench markers).
#
# Needs: PostgreSQL at $PG_URL for the second run (skipped if unreachable).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
OUT=docs/benchmarks.md

cargo build --release -p quay-http --example tag_history
BIN=target/release/examples/tag_history
rows=$(env -u QUAY_TEST_DATABASE_URL "$BIN")
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1; then
  rows+=$'\n'$(QUAY_TEST_DATABASE_URL=$PG_URL "$BIN")
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
section=$(cat <<EOF2
<!-- tags-bench:start -->
## Tags API: a repository with a million tags

Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), release build, one request at
a time through the whole application in process (routing, bearer token, permission,
query, JSON view), after one warm-up request. The repository holds 1,000,000 tag
lifetimes bulk-loaded in one statement (one in ten ended, all in the time machine).
The history is ordered newest first by an index on (repository, start, name), so a
page is an index range; a page deep in the history still pays for the rows it skips
(Quay's \`page\`/\`limit\` are offsets). Command: \`just bench-tags\`
(\`scripts/bench-tags.sh\`).

| database | tags | request | samples | p50 | p95 |
|---|---|---|---|---|---|
$rows

Target: the first page (\`limit=100\`) under 10 ms p50 on SQLite and PostgreSQL.
<!-- tags-bench:end -->
EOF2
)
python3 - "$OUT" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"<!-- tags-bench:start -->.*?<!-- tags-bench:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "$rows"
