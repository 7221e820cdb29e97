#!/usr/bin/env bash
# Regenerate the committed dbt artifacts for the Steward demo project.
#
# Builds the `jaffle_analytics` dbt project in this directory twice against a
# throw-away duckdb file (target/demo.duckdb), from scratch each time:
#
#   1. broken  - raw data with bad rows + a stale marketing.ad_spend load, and
#                --vars steward_demo_broken=true so stg_shop__payments errors.
#   2. healthy - clean raw data, everything passes.
#
# For each run it executes `dbt source freshness` (-> sources.json) and then
# `dbt build` (-> manifest.json, run_results.json) with --target prod, and
# copies the three files into artifacts/<run>/. The broken run exits non-zero
# on purpose; that is tolerated.
#
# Requirements (dbt 1.12 does not work here):
#   python3 -m pip install "dbt-core==1.9.*" "dbt-duckdb==1.9.*"
#
# Usage: manifests/demo/regenerate.sh [--replay] [broken|healthy ...]   (from anywhere)
#
#   With no argument both runs are made and artifacts/ is rewritten.
#   --replay builds the named run(s) exactly the same way but leaves artifacts/
#   alone and keeps target/demo.duckdb afterwards, so that another project can
#   be built against the warehouse this run leaves behind. ../regenerate-all.sh
#   uses it (under a pinned clock) for the finance_reporting project.
set -euo pipefail

DEMO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DEMO_DIR"

PYTHON="${PYTHON:-python3}"
DBT="${DBT:-dbt}"

export DBT_PROFILES_DIR="$DEMO_DIR"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DBT_VERSION_CHECK=false
export DBT_USE_COLORS=false
export DBT_PARTIAL_PARSE=false

REPLAY=false
RUNS=()
for arg in "$@"; do
    case "$arg" in
        --replay) REPLAY=true ;;
        broken | healthy) RUNS+=("$arg") ;;
        *) echo "usage: $0 [--replay] [broken|healthy ...]" >&2; exit 2 ;;
    esac
done
[[ ${#RUNS[@]} -eq 0 ]] && RUNS=(broken healthy)

run_demo() {
    local name="$1" broken="$2"
    local out="artifacts/$name"
    # A replay writes its artifacts to a scratch dir and leaves the committed ones alone.
    [[ "$REPLAY" == "true" ]] && out="target/replay-$name"
    local vars="{steward_demo_broken: $broken}"
    local raw_flag=""
    [[ "$broken" == "true" ]] && raw_flag="--broken"

    echo "=== $name run ==="
    rm -rf target logs
    mkdir -p target "$out"
    rm -f "$out"/manifest.json "$out"/run_results.json "$out"/sources.json

    # shellcheck disable=SC2086
    "$PYTHON" load_raw.py target/demo.duckdb $raw_flag

    local rc=0
    "$DBT" source freshness --target prod --vars "$vars" || rc=$?
    echo "dbt source freshness exited $rc"
    cp target/sources.json "$out/sources.json"

    rc=0
    "$DBT" build --target prod --vars "$vars" || rc=$?
    echo "dbt build exited $rc"
    cp target/manifest.json "$out/manifest.json"
    cp target/run_results.json "$out/run_results.json"

    if [[ "$broken" == "true" && "$rc" -eq 0 ]]; then
        echo "expected the broken build to fail, but it succeeded" >&2
        exit 1
    fi
    if [[ "$broken" != "true" && "$rc" -ne 0 ]]; then
        echo "expected the healthy build to succeed, but it exited $rc" >&2
        exit 1
    fi
}

# Broken first so the healthy artifacts carry the later timestamps.
for run in "${RUNS[@]}"; do
    if [[ "$run" == "broken" ]]; then run_demo broken true; else run_demo healthy false; fi
done

if [[ "$REPLAY" == "true" ]]; then
    echo "replayed ${RUNS[*]}: warehouse left in $DEMO_DIR/target/demo.duckdb"
else
    rm -rf target logs
    echo "artifacts written to $DEMO_DIR/artifacts/{broken,healthy}"
fi
