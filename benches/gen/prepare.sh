#!/usr/bin/env bash
# Prepare the large benchmark artifacts (manifest.json + run_results.json).
#
#   bash benches/gen/prepare.sh [OUT_DIR]        # default: target/bench-data
#
# Idempotent: does nothing when OUT_DIR/manifest.json and OUT_DIR/run_results.json
# already exist (delete them to regenerate).  Otherwise generates a dbt project
# into OUT_DIR/project, runs a real `dbt parse` (dbt-core 1.9 + dbt-duckdb) and
# synthesizes run_results.json from the manifest.
#
# Generator knobs can be passed through GEN_ARGS, e.g.
#   GEN_ARGS="--models 3500 --tests 6000" bash benches/gen/prepare.sh /tmp/small
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:-target/bench-data}"
PYTHON="${PYTHON:-python3}"
PIP_LINE='python3 -m pip install "dbt-core==1.9.*" "dbt-duckdb==1.9.*"'

if [[ -f "$OUT_DIR/manifest.json" && -f "$OUT_DIR/run_results.json" ]]; then
    echo "bench data already present in $OUT_DIR (delete it to regenerate)"
    exit 0
fi

if ! "$PYTHON" - <<'PY' 2>/dev/null
import sys
import dbt.version, dbt.adapters.duckdb  # noqa: F401
v = dbt.version.__version__
sys.exit(0 if v.startswith("1.9.") else 1)
PY
then
    echo "error: dbt-core 1.9 with dbt-duckdb is required (dbt 1.12 does not work here). Install with:" >&2
    echo "    $PIP_LINE" >&2
    exit 1
fi

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
PROJECT="$OUT_DIR/project"

echo "==> generating dbt project in $PROJECT"
# shellcheck disable=SC2086
"$PYTHON" "$HERE/generate_project.py" "$PROJECT" ${GEN_ARGS:-}

echo "==> dbt parse (this takes a few minutes)"
start=$(date +%s)
(
    cd "$PROJECT"
    DBT_PROFILES_DIR="$PROJECT" DBT_SEND_ANONYMOUS_USAGE_STATS=false \
        "$PYTHON" -c 'import sys; from dbt.cli.main import cli; sys.argv[0] = "dbt"; cli()' \
            parse --no-partial-parse --target prod --quiet
)
end=$(date +%s)
echo "    dbt parse took $((end - start)) s"

cp "$PROJECT/target/manifest.json" "$OUT_DIR/manifest.json.tmp"
mv "$OUT_DIR/manifest.json.tmp" "$OUT_DIR/manifest.json"

echo "==> synthesizing run_results.json"
"$PYTHON" "$HERE/make_run_results.py" "$OUT_DIR/manifest.json" "$OUT_DIR/run_results.json.tmp" ${RUN_RESULTS_ARGS:-}
mv "$OUT_DIR/run_results.json.tmp" "$OUT_DIR/run_results.json"

ls -l "$OUT_DIR/manifest.json" "$OUT_DIR/run_results.json"
