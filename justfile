# Everyday commands. `just --list` shows them.

pg_url := "postgres://postgres@127.0.0.1:5432/test"

# Build everything (debug).
build:
    cargo build --workspace

# Run the server on SQLite in ./quay-data.
run:
    cargo run --release -p quayd

# The README's test command (SQLite).
test:
    cargo test --workspace

# The tests again, each on its own PostgreSQL database.
test-pg:
    QUAY_TEST_DATABASE_URL={{pg_url}} cargo test --workspace

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# What CI runs.
ci:
    bash .ci/run

# API latency and throughput (wrk) on SQLite and PostgreSQL; writes docs/benchmarks.md.
bench-api:
    bash scripts/bench-api.sh

# Authentication cost (tokens, robot/app-token logins, passwords); writes docs/benchmarks.md.
bench-auth:
    bash scripts/bench-auth.sh

# Registry blob push and pull (1 GiB and 500 small blobs, 1 and 8 clients) against the
# machine's copy and sha256sum ceiling; writes docs/benchmarks.md.
bench-registry:
    bash scripts/bench-registry.sh

# The tags API on a repository with a million tags (SQLite and PostgreSQL); writes
# docs/benchmarks.md.
bench-tags:
    bash scripts/bench-tags.sh

# Usage logs of a namespace with a million entries (SQLite and PostgreSQL); writes
# docs/benchmarks.md.
bench-logs:
    bash scripts/bench-logs.sh

# Garbage collection throughput (blobs/s) on SQLite and PostgreSQL; writes
# docs/benchmarks.md.
bench-gc:
    bash scripts/bench-gc.sh

# All benchmarks.
bench: bench-api bench-auth bench-registry bench-tags bench-logs bench-gc
