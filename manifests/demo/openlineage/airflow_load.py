"""The demo nights' clock, and the OpenLineage events of a simulated Airflow load.

Usage:
  python3 airflow_load.py timeline
      Prints both nights in time order (Airflow events, jaffle_analytics and
      finance_reporting runs, from the committed files) and fails if a step does
      not come after what it depends on.
  python3 airflow_load.py clock  <broken|healthy>
      Prints two UTC instants, derived from the committed jaffle_analytics
      artifacts of that run: when its raw load ran (LOAD_AT) and when the
      finance_reporting build starts (FINANCE_AT, just after the jaffle build
      ended). ../../regenerate-all.sh pins the clock to them with faketime.
  python3 airflow_load.py replay-check <broken|healthy> <dir>
      Fails unless the jaffle_analytics run replayed into <dir> has the committed
      run's status for every node and max_loaded_at for every source.
  python3 airflow_load.py events <broken|healthy> <warehouse.duckdb> <out.json>
      Writes the OpenLineage RunEvents the Airflow OpenLineage provider emits
      for task `load_ad_spend` of DAG `load_marketing`, which lands the ad
      platform's nightly export (S3) into the raw table the dbt source
      `marketing.ad_spend` reads (`demo.raw.marketing_ad_spend`):
        broken  - START, then FAIL: the export gained a column and the load's
                  INSERT fails (the real duckdb error, raised here against the
                  warehouse's own table), so the source goes stale.
        healthy - the task cleared and re-run after the fix: START, COMPLETE.
      Event times sit just before the jaffle run's `dbt source freshness`.

Airflow is not run: the events are built with the OpenLineage Python client
(`pip install openlineage-python`) in the shape apache-airflow-providers-
openlineage 2.3.0 gives task events (facets `airflow`, `nominalTime`,
`parent`, `processing_engine`; `errorMessage` on FAIL; the datasets declared
as the task's inlets/outlets with their `schema`). The output dataset follows
OpenLineage's DuckDB naming as dbt-ol (openlineage-dbt) applies it to this
warehouse: namespace `duckdb://{profile path}`, name `{database}.{schema}.{table}`.
"""

import datetime as dt
import json
import sys
import tempfile
import traceback
from pathlib import Path

import duckdb
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    datasource_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    nominal_time_run,
    ownership_job,
    parent_run,
    processing_engine_run,
    schema_dataset,
)
from openlineage.client.facet_v2 import RunFacet, set_producer
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_static_uuid
import attr

DEMO = Path(__file__).resolve().parent.parent
PROVIDER_VERSION = "2.3.0"
AIRFLOW_VERSION = "2.10.5"
PRODUCER = f"https://github.com/apache/airflow/tree/providers-openlineage/{PROVIDER_VERSION}"

JOB_NAMESPACE = "airflow"
DAG_ID = "load_marketing"
TASK_ID = "load_ad_spend"
# The same string dbt-ol derives from the jaffle_analytics profile (path: target/demo.duckdb).
WAREHOUSE_NAMESPACE = "duckdb://target/demo.duckdb"
RAW_TABLE = ("demo", "raw", "marketing_ad_spend")
EXPORT_NAMESPACE = "s3://jaffle-marketing-exports"
# The ad platform's export: the loader's columns plus `conversions`, added on the platform's side.
EXPORT_COLUMNS = [
    ("spend_date", "DATE"),
    ("campaign_id", "INTEGER"),
    ("spend_micros", "BIGINT"),
    ("impressions", "INTEGER"),
    ("clicks", "INTEGER"),
    ("conversions", "INTEGER"),
    ("_loaded_at", "TIMESTAMP"),
]
# One row of it, in SQL.
EXPORT_ROW = ["date '2026-11-24'", "1", "5000000::bigint", "1200", "31", "2", "timestamp '2026-11-25 00:58:00'"]
RETRIES = 3

# Every facet's `_producer` is the provider, as in the events Airflow sends.
set_producer(PRODUCER)


def parse_time(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat()


def jaffle_times(run: str) -> dict:
    """The instants of the committed jaffle_analytics run `run`."""
    art = DEMO / "artifacts" / run
    sources = json.loads((art / "sources.json").read_text())
    results = json.loads((art / "run_results.json").read_text())
    fresh = {r["unique_id"]: r for r in sources["results"]}
    # load_raw.py stamps the shop tables `now - 12 min`, `now` truncated to the minute.
    shop = parse_time(fresh["source.jaffle_analytics.shop.customers"]["max_loaded_at"])
    load_minute = shop + dt.timedelta(minutes=12)
    freshness_at = parse_time(sources["metadata"]["generated_at"])
    load_at = max(load_minute + dt.timedelta(seconds=0.5), freshness_at - dt.timedelta(seconds=3))
    if load_at >= load_minute + dt.timedelta(minutes=1):
        sys.exit(f"{art}: the load minute {load_minute:%H:%M} and freshness {freshness_at} disagree")
    return {
        "load_at": load_at,
        "freshness_at": freshness_at,
        "build_end": parse_time(results["metadata"]["generated_at"]),
        "ad_spend": fresh["source.jaffle_analytics.marketing.ad_spend"],
    }


def clock(run: str) -> None:
    t = jaffle_times(run)
    finance_at = t["build_end"] + dt.timedelta(seconds=0.6)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    print(f"{t['load_at']:{fmt}} {finance_at:{fmt}}")


@attr.define
class AirflowRunFacet(RunFacet):
    """The provider's `airflow` run facet (trimmed to what identifies the run)."""

    dag: dict
    dagRun: dict  # noqa: N815
    task: dict
    taskInstance: dict  # noqa: N815
    taskUuid: str  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/BaseFacet"


def load_error(warehouse: str) -> tuple[str, str]:
    """The loader's INSERT of a 7-column export row into the 6-column raw table, run for real
    on a copy of the warehouse's table definition: duckdb's message and the Python traceback."""
    con = duckdb.connect(warehouse, read_only=True)
    ddl = con.execute(
        "select sql from duckdb_tables() where schema_name = ? and table_name = ?", list(RAW_TABLE[1:])
    ).fetchone()[0]
    con.close()
    mem = duckdb.connect()
    mem.execute("create schema raw")
    mem.execute(ddl)
    source = (
        "def load_ad_spend(con, export):\n"
        "    con.execute(f\"insert into raw.marketing_ad_spend select * from read_parquet('{export}')\")\n"
    )
    scope: dict = {}
    exec(compile(source, "/opt/airflow/dags/load_marketing.py", "exec"), scope)  # noqa: S102
    columns = ", ".join(f"{v} as {n}" for (n, _), v in zip(EXPORT_COLUMNS, EXPORT_ROW))
    with tempfile.TemporaryDirectory() as tmp:
        export = f"{tmp}/ad_spend.parquet"
        mem.execute(f"copy (select {columns}) to '{export}' (format parquet)")
        try:
            scope["load_ad_spend"](mem, export)
        except duckdb.Error as e:
            tb = e.__traceback__.tb_next  # from the DAG file's frame down
            return str(e), "".join(traceback.format_exception(type(e), e, tb))
    sys.exit("expected the 7-column insert to fail")


def warehouse_schema(warehouse: str) -> list:
    con = duckdb.connect(warehouse, read_only=True)
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        list(RAW_TABLE),
    ).fetchall()
    con.close()
    if not cols:
        sys.exit(f"{warehouse}: no table {'.'.join(RAW_TABLE)}")
    return cols


def fields(cols) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in cols]
    )


def drop_empty_subfields(v):
    """The client writes `"fields": []` on every flat schema field; Airflow's events leave it out."""
    if isinstance(v, dict):
        return {k: drop_empty_subfields(x) for k, x in v.items() if not (k == "fields" and x == [])}
    if isinstance(v, list):
        return [drop_empty_subfields(x) for x in v]
    return v


def events(run: str, warehouse: str, out: str) -> None:
    t = jaffle_times(run)
    broken = run == "broken"
    # @daily: the run for 2026-11-24 is the one due at midnight on the night of the dbt run.
    interval_end = t["freshness_at"].replace(hour=0, minute=0, second=0, microsecond=0)
    interval_start = interval_end - dt.timedelta(days=1)
    if broken:
        # The last of 1 + RETRIES tries, a few minutes before dbt's nightly run.
        try_number, clear_number = 1 + RETRIES, 0
        start = t["freshness_at"] - dt.timedelta(minutes=6, seconds=1.71)
        end = start + dt.timedelta(seconds=38.42)
    else:
        # Cleared and re-run once the loader selects the columns it knows: it lands the
        # export, then the jaffle run's freshness check starts.
        try_number, clear_number = 2 + RETRIES, 1
        start = t["load_at"] - dt.timedelta(seconds=0.27)
        end = t["freshness_at"] - dt.timedelta(seconds=1.25)
    run_id = f"scheduled__{iso(interval_start)}"
    export_key = f"ad_spend/dt={interval_start:%Y-%m-%d}/ad_spend.parquet"

    task_run_id = str(
        generate_static_uuid(
            instant=interval_start,
            data=f"{JOB_NAMESPACE}.{DAG_ID}.{TASK_ID}.{try_number}.-1".encode(),
        )
    )
    dag_run_id = str(
        generate_static_uuid(instant=interval_start, data=f"{JOB_NAMESPACE}.{DAG_ID}.{clear_number}".encode())
    )
    airflow = AirflowRunFacet(
        dag={
            "dag_id": DAG_ID,
            "owner": "marketing-analytics",
            "schedule_interval": "@daily",
            "tags": ["marketing", "elt"],
        },
        dagRun={
            "dag_id": DAG_ID,
            "run_id": run_id,
            "run_type": "scheduled",
            "external_trigger": False,
            "logical_date": iso(interval_start),
            "data_interval_start": iso(interval_start),
            "data_interval_end": iso(interval_end),
            "start_date": iso(interval_end + dt.timedelta(seconds=2.318) if broken else start - dt.timedelta(seconds=1.9)),
            "clear_number": clear_number,
        },
        task={
            "task_id": TASK_ID,
            "operator_class": "_PythonDecoratedOperator",
            "owner": "marketing-analytics",
            "retries": RETRIES,
            "retry_exponential_backoff": True,
        },
        taskInstance={"try_number": try_number, "pool": "default_pool", "map_index": -1},
        taskUuid=task_run_id,
    )
    nominal = nominal_time_run.NominalTimeRunFacet(
        nominalStartTime=iso(interval_start), nominalEndTime=iso(interval_end)
    )
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=dag_run_id), job=parent_run.Job(namespace=JOB_NAMESPACE, name=DAG_ID)
    )
    engine = processing_engine_run.ProcessingEngineRunFacet(
        version=AIRFLOW_VERSION, name="Airflow", openlineageAdapterVersion=PROVIDER_VERSION
    )
    job = Job(
        namespace=JOB_NAMESPACE,
        name=f"{DAG_ID}.{TASK_ID}",
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="AIRFLOW", jobType="TASK"
            ),
            "ownership": ownership_job.OwnershipJobFacet(
                owners=[ownership_job.Owner(name="marketing-analytics")]
            ),
            "documentation": documentation_job.DocumentationJobFacet(
                description="Land the ad platform's nightly spend export into raw.marketing_ad_spend."
            ),
        },
    )
    inputs = [
        InputDataset(
            namespace=EXPORT_NAMESPACE,
            name=export_key,
            facets={
                "dataSource": datasource_dataset.DatasourceDatasetFacet(
                    name=EXPORT_NAMESPACE, uri=EXPORT_NAMESPACE
                ),
                "schema": fields(EXPORT_COLUMNS),
            },
        )
    ]
    outputs = [
        OutputDataset(
            namespace=WAREHOUSE_NAMESPACE,
            name=".".join(RAW_TABLE),
            facets={
                "dataSource": datasource_dataset.DatasourceDatasetFacet(
                    name=WAREHOUSE_NAMESPACE, uri=WAREHOUSE_NAMESPACE
                ),
                "schema": fields(warehouse_schema(warehouse)),
            },
        )
    ]
    base = {"airflow": airflow, "nominalTime": nominal, "parent": parent, "processing_engine": engine}
    end_facets = dict(base)
    if broken:
        message, stack = load_error(warehouse)
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=message, programmingLanguage="python", stackTrace=stack
        )
    evs = [
        RunEvent(
            eventType=RunState.START,
            eventTime=iso(start),
            run=Run(runId=task_run_id, facets=base),
            job=job,
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        ),
        RunEvent(
            eventType=RunState.FAIL if broken else RunState.COMPLETE,
            eventTime=iso(end),
            run=Run(runId=task_run_id, facets=end_facets),
            job=job,
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        ),
    ]
    body = [drop_empty_subfields(json.loads(Serde.to_json(e))) for e in evs]
    Path(out).write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {out}: {' then '.join(e['eventType'] for e in body)} of {JOB_NAMESPACE}/{job.name}")


def replay_check(run: str, replay: str) -> None:
    """Fails unless the replayed jaffle_analytics run matches the committed one: the same
    status for every node and the same max_loaded_at for every source."""
    art = DEMO / "artifacts" / run
    bad = []
    for name, key in (("run_results.json", "status"), ("sources.json", "max_loaded_at")):
        committed = json.loads((art / name).read_text())["results"]
        replayed = json.loads((Path(replay) / name).read_text())["results"]
        want = {r["unique_id"]: r.get(key) for r in committed}
        got = {r["unique_id"]: r.get(key) for r in replayed}
        bad += [f"{name} {u}: {want.get(u)} != {got.get(u)}" for u in sorted(want.keys() | got.keys())
                if want.get(u) != got.get(u)]
    if bad:
        sys.exit(f"the replayed {run} run differs from {art}: " + "; ".join(bad[:5]))
    print(f"replayed {run} run matches {art} (every status and source max_loaded_at)")


def timeline() -> None:
    """Prints the two nights in time order from every committed file, and fails unless each
    step comes after what it depends on."""
    t = {}
    for run in ("broken", "healthy"):
        j = jaffle_times(run)
        fin = DEMO.parent / "demo-finance" / "artifacts" / run
        fin_start = json.loads((fin / "manifest.json").read_text())["metadata"]["generated_at"]
        fin_end = json.loads((fin / "run_results.json").read_text())["metadata"]["generated_at"]
        ol = json.loads((DEMO / "openlineage" / f"{run}.json").read_text())
        t[f"{run}: airflow {ol[0]['eventType']}"] = parse_time(ol[0]["eventTime"])
        t[f"{run}: airflow {ol[1]['eventType']}"] = parse_time(ol[1]["eventTime"])
        t[f"{run}: jaffle_analytics source freshness"] = j["freshness_at"]
        t[f"{run}: jaffle_analytics build end"] = j["build_end"]
        t[f"{run}: finance_reporting build start"] = parse_time(fin_start)
        t[f"{run}: finance_reporting build end"] = parse_time(fin_end)
    for name, at in sorted(t.items(), key=lambda kv: kv[1]):
        print(f"{iso(at)}  {name}")
    before = [
        ("broken: airflow FAIL", "broken: jaffle_analytics source freshness"),
        ("broken: jaffle_analytics build end", "broken: finance_reporting build start"),
        ("broken: finance_reporting build end", "healthy: jaffle_analytics source freshness"),
        ("broken: jaffle_analytics build end", "healthy: airflow START"),
        ("healthy: airflow COMPLETE", "healthy: jaffle_analytics source freshness"),
        ("healthy: jaffle_analytics build end", "healthy: finance_reporting build start"),
    ]
    bad = [f"{a} is not before {b}" for a, b in before if not t[a] < t[b]]
    if bad:
        sys.exit("timeline out of order: " + "; ".join(bad))


def main() -> None:
    args = sys.argv[1:]
    if args == ["timeline"]:
        timeline()
    elif len(args) == 3 and args[0] == "replay-check" and args[1] in ("broken", "healthy"):
        replay_check(args[1], args[2])
    elif len(args) == 2 and args[0] == "clock" and args[1] in ("broken", "healthy"):
        clock(args[1])
    elif len(args) == 4 and args[0] == "events" and args[1] in ("broken", "healthy"):
        events(args[1], args[2], args[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
