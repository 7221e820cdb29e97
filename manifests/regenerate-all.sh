#!/usr/bin/env bash
# Regenerate the second demo dbt project's artifacts and the Airflow OpenLineage events,
# consistent with the committed artifacts of the first project.
#
#   manifests/demo/            jaffle_analytics   (artifacts committed, NOT rewritten here)
#   manifests/demo-finance/    finance_reporting  (reads jaffle_analytics' marts as sources)
#   manifests/demo/openlineage Airflow load_marketing.load_ad_spend events
#
# For each night (broken, then healthy), from an empty warehouse:
#   1. replay jaffle_analytics exactly as its committed run was made
#      (demo/regenerate.sh --replay <run>: same raw data, same vars), under a clock
#      pinned to the minute of that run, so the warehouse holds what it held then:
#      on the broken night stg_shop__payments errors and fct_revenue/dim_customers
#      are never built. The replay must give every node the committed status and
#      every source the committed max_loaded_at, or the script stops;
#   2. `dbt build` finance_reporting against the same duckdb file, the clock pinned
#      just after the jaffle build ended -> demo-finance/artifacts/<run>/;
#      on the broken night fin_revenue_daily errors (duckdb Catalog Error: the
#      table fct_revenue does not exist) and everything below it is skipped;
#   3. write the Airflow load's OpenLineage events -> demo/openlineage/<run>.json.
# Finally it prints both nights in time order and fails if they are out of order.
#
# The clock comes from the committed jaffle artifacts (demo/openlineage/airflow_load.py
# clock), so after regenerating those (demo/regenerate.sh, wall clock) run this again.
#
# Requirements (dbt 1.12 does not work here):
#   python3 -m pip install "dbt-core==1.9.*" "dbt-duckdb==1.9.*" openlineage-python
#   faketime (Debian package `faketime`)
#
# Usage: manifests/regenerate-all.sh   (from anywhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEMO_DIR="$ROOT/demo"
FIN_DIR="$ROOT/demo-finance"
OL_DIR="$DEMO_DIR/openlineage"

PYTHON="${PYTHON:-python3}"
DBT="${DBT:-dbt}"
export PYTHON DBT
export TZ=UTC
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DBT_VERSION_CHECK=false
export DBT_USE_COLORS=false
export DBT_PARTIAL_PARSE=false

command -v faketime >/dev/null || { echo "faketime is required (apt-get install faketime)" >&2; exit 2; }

finance_build() {
    local name="$1" at="$2"
    local out="$FIN_DIR/artifacts/$name"
    mkdir -p "$out"
    rm -f "$out"/manifest.json "$out"/run_results.json
    (
        cd "$FIN_DIR"
        rm -rf target logs
        local rc=0
        # The clock runs at a quarter speed: dbt's start-up on a busy machine would otherwise
        # push the broken build past the next jaffle run, 12 s later in the committed artifacts.
        DBT_PROFILES_DIR="$FIN_DIR" faketime -f "@$at x0.25" "$DBT" build --target prod || rc=$?
        echo "finance_reporting dbt build exited $rc"
        if [[ "$name" == "broken" && "$rc" -eq 0 ]]; then
            echo "expected the broken finance build to fail, but it succeeded" >&2
            exit 1
        fi
        if [[ "$name" != "broken" && "$rc" -ne 0 ]]; then
            echo "expected the healthy finance build to succeed, but it exited $rc" >&2
            exit 1
        fi
        cp target/manifest.json target/run_results.json "$out/"
        rm -rf target logs
    )
}

for run in broken healthy; do
    read -r load_day load_time fin_day fin_time < <("$PYTHON" "$OL_DIR/airflow_load.py" clock "$run")
    echo "=== $run night: jaffle_analytics replayed at $load_day $load_time, finance_reporting at $fin_day $fin_time ==="
    faketime -f "@$load_day $load_time" "$DEMO_DIR/regenerate.sh" --replay "$run"
    "$PYTHON" "$OL_DIR/airflow_load.py" replay-check "$run" "$DEMO_DIR/target/replay-$run"
    finance_build "$run" "$fin_day $fin_time"
    "$PYTHON" "$OL_DIR/airflow_load.py" events "$run" "$DEMO_DIR/target/demo.duckdb" "$OL_DIR/$run.json"
done

rm -rf "$DEMO_DIR/target" "$DEMO_DIR/logs"
"$PYTHON" "$OL_DIR/airflow_load.py" timeline
echo "written: $FIN_DIR/artifacts/{broken,healthy}/, $OL_DIR/{broken,healthy}.json"
