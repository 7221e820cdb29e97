#!/usr/bin/env python3
"""Synthesize a dbt 1.9 ``run_results.json`` (schema v6) for a manifest.

Usage:
    make_run_results.py MANIFEST OUT [--failures 100] [--warnings 100]
                                     [--errors 20] [--seed 42] [--threads 8]

Produces one result per model, test and seed in MANIFEST, shaped like the
file ``dbt build --target prod`` writes (see the jaffle_shop dbt 1.9 fixture):

  * models: ``success`` (message/adapter_response as dbt-duckdb reports them),
    except ``--errors`` models that end in ``error`` with a realistic database
    error; every descendant (models, tests) of an errored model is ``skipped``
    (timing [], execution_time 0, message null, compiled false);
  * tests: ``pass`` with failures 0, except ``--failures`` tests that ``fail``
    and ``--warnings`` tests that ``warn`` (failures > 0, dbt's exact
    "Got N results, configured to ... if ..." messages);
  * seeds: ``success`` with ``INSERT n``.

Timings come from a simulated ``--threads`` worker pool that respects the DAG,
so results appear in completion order, as dbt writes them.  Deterministic for
a given --seed.  Standard library only.
"""

import argparse
import datetime as dt
import heapq
import json
import math
import random
import re
import sys
import uuid

SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"
EXECUTED = ("model", "test", "seed", "snapshot")

MODEL_ERRORS = [
    'Binder Error: Referenced column "{col}" not found in FROM clause!\n  Candidate bindings: "{alt}"',
    'Catalog Error: Table with name {tbl} does not exist!\n  Did you mean "{alt_tbl}"?',
    "Conversion Error: Could not convert string 'N/A' to INT64",
    "Conversion Error: Could not convert string '2024-13-01' to TIMESTAMP",
    'Constraint Error: Duplicate key "{col}: 4f1c2a9e" violates primary key constraint.',
    "Out of Memory Error: failed to allocate data of size 256.0 MiB (14.9 GiB/14.9 GiB used)",
    'Binder Error: No function matches the given name and argument types \'date_diff(STRING_LITERAL, VARCHAR, TIMESTAMP WITH TIME ZONE)\'. You might need to add explicit type casts.',
    'Parser Error: syntax error at or near "from"',
    "Invalid Input Error: Required property 'schema' is missing for source relation",
    "Conversion Error: Overflow in multiplication of DECIMAL(18) (1234567890123456 * 1000)!",
]

ARGS_TEMPLATE = {
    "log_path": "/opt/dbt/analytics/logs",
    "log_level_file": "debug",
    "write_json": True,
    "print": True,
    "log_format_file": "debug",
    "resource_types": [],
    "cache_selected_only": False,
    "state_modified_compare_vars": False,
    "strict_mode": False,
    "require_resource_names_without_spaces": False,
    "partial_parse": True,
    "indirect_selection": "eager",
    "which": "build",
    "require_batched_execution_for_custom_microbatch_strategy": False,
    "source_freshness_run_project_hooks": False,
    "state_modified_compare_more_unrendered_values": False,
    "favor_state": False,
    "profiles_dir": "/opt/dbt/analytics",
    "introspect": True,
    "select": [],
    "version_check": True,
    "static_parser": True,
    "require_explicit_package_overrides_for_builtin_materializations": True,
    "defer": False,
    "exclude": [],
    "include_saved_query": False,
    "log_format": "json",
    "invocation_command": "dbt build --target prod",
    "partial_parse_file_diff": True,
    "log_file_max_bytes": 10485760,
    "empty": False,
    "send_anonymous_usage_stats": False,
    "exclude_resource_types": [],
    "show_resource_report": False,
    "project_dir": "/opt/dbt/analytics",
    "use_colors_file": True,
    "vars": {},
    "quiet": False,
    "macro_debugging": False,
    "use_colors": False,
    "warn_error_options": {"include": [], "exclude": []},
    "skip_nodes_if_on_run_start_fails": False,
    "populate_cache": True,
    "export_saved_queries": False,
    "printer_width": 80,
    "show": False,
    "log_level": "info",
    "require_nested_cumulative_type_params": False,
    "require_yaml_configuration_for_mf_time_spines": False,
    "target": "prod",
    "threads": 8,
}


def iso(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pluralize(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------
# compiled_code rendering (approximates what dbt's compiler produces)
# ---------------------------------------------------------------------------

REF_RE = re.compile(r"\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}")
SRC_RE = re.compile(r"\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}")
CONFIG_RE = re.compile(r"\{\{\s*config\((?:.|\n)*?\)\s*\}\}", re.M)


class Compiler:
    def __init__(self, manifest):
        self.nodes = manifest["nodes"]
        self.sources = manifest["sources"]
        self.rel_by_name = {}
        for n in self.nodes.values():
            if n["resource_type"] in ("model", "seed", "snapshot") and n.get("relation_name"):
                self.rel_by_name[n["name"]] = n["relation_name"]
        self.rel_by_source = {(s["source_name"], s["name"]): s["relation_name"]
                              for s in self.sources.values()}

    def model(self, node):
        code = node.get("raw_code") or ""
        code = CONFIG_RE.sub("", code)
        code = REF_RE.sub(lambda m: self.rel_by_name.get(m.group(1), m.group(1)), code)
        code = SRC_RE.sub(lambda m: self.rel_by_source.get((m.group(1), m.group(2)), m.group(2)), code)
        code = code.replace("{% if is_incremental() %}", "").replace("{% endif %}", "")
        code = code.replace("{{ this }}", node.get("relation_name") or node["name"])
        return code

    def _target_rel(self, node):
        parents = node.get("depends_on", {}).get("nodes", [])
        if not parents:
            return None
        attached = node.get("attached_node")
        pid = attached if attached else parents[0]
        if pid in self.nodes:
            return self.nodes[pid].get("relation_name")
        if pid in self.sources:
            return self.sources[pid].get("relation_name")
        return None

    def test(self, node):
        meta = node.get("test_metadata") or {}
        name = meta.get("name")
        kwargs = meta.get("kwargs", {})
        col = kwargs.get("column_name") or node.get("column_name") or "id"
        rel = self._target_rel(node) or "unknown"
        where = node["config"].get("where")
        if where:
            rel = f"(select * from {rel} where {where}) dbt_subquery"
        if name == "not_null":
            return f"\n    \n    \n\n\n\nselect {col}\nfrom {rel}\nwhere {col} is null\n\n\n"
        if name == "unique":
            return (f"\n    \n    \n\nselect\n    {col} as unique_field,\n    count(*) as n_records\n\n"
                    f"from {rel}\nwhere {col} is not null\ngroup by {col}\nhaving count(*) > 1\n\n\n")
        if name == "accepted_values":
            vals = ",".join(f"'{v}'" for v in kwargs.get("values", []))
            return (f"\n    \n    \n\nwith all_values as (\n\n    select\n        {col} as value_field,\n"
                    f"        count(*) as n_records\n\n    from {rel}\n    group by {col}\n\n)\n\n"
                    f"select *\nfrom all_values\nwhere value_field not in (\n    {vals}\n)\n\n\n")
        if name == "relationships":
            to = kwargs.get("to", "")
            m = re.search(r"ref\('([^']+)'\)", to)
            prel = self.rel_by_name.get(m.group(1), to) if m else to
            field = kwargs.get("field", "id")
            return (f"\n    \n    \n\nwith child as (\n    select {col} as from_field\n    from {rel}\n"
                    f"    where {col} is not null\n),\n\nparent as (\n    select {field} as to_field\n"
                    f"    from {prel}\n)\n\nselect\n    from_field\n\nfrom child\nleft join parent\n"
                    f"    on child.from_field = parent.to_field\n\nwhere parent.to_field is null\n\n\n")
        return node.get("raw_code") or ""


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("manifest")
    ap.add_argument("out")
    ap.add_argument("--failures", type=int, default=100, help="tests with status 'fail'")
    ap.add_argument("--warnings", type=int, default=100, help="tests with status 'warn'")
    ap.add_argument("--errors", type=int, default=20, help="models with status 'error' (descendants are skipped)")
    ap.add_argument("--max-skip-per-error", type=int, default=250,
                    help="only models with at most this many descendants are made to fail")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    with open(args.manifest) as f:
        manifest = json.load(f)
    nodes = manifest["nodes"]
    child_map = manifest.get("child_map", {})
    exec_ids = sorted(uid for uid, n in nodes.items() if n["resource_type"] in EXECUTED
                      and n["config"].get("materialized") != "ephemeral"
                      and n["config"].get("enabled", True))
    exec_set = set(exec_ids)
    compiler = Compiler(manifest)

    # ---- choose failing models and compute skipped descendants ----------
    def descendants(uid, cap):
        seen, stack = set(), [uid]
        while stack:
            for c in child_map.get(stack.pop(), []):
                if c in exec_set and c not in seen:
                    seen.add(c)
                    if len(seen) > cap:
                        return None
                    stack.append(c)
        return seen

    models = [u for u in exec_ids if nodes[u]["resource_type"] == "model"]
    order = models[:]
    rng.shuffle(order)
    errored, skipped = [], set()
    for uid in order:
        if len(errored) >= args.errors:
            break
        if uid in skipped:
            continue
        d = descendants(uid, args.max_skip_per_error)
        if d is None or not d:
            continue
        # an errored model must not be downstream of (or upstream of) another
        if any(e in d for e in errored):
            continue
        errored.append(uid)
        skipped |= d
    errored_set = set(errored)

    # ---- choose failing / warning tests ----------------------------------
    tests = [u for u in exec_ids if nodes[u]["resource_type"] == "test" and u not in skipped]
    sev = lambda u: nodes[u]["config"].get("severity", "ERROR").upper()
    thresh = lambda u: nodes[u]["config"].get("warn_if", "!= 0") != "!= 0"
    error_pool = [u for u in tests if sev(u) == "ERROR"]
    warn_pool = [u for u in tests if sev(u) == "WARN" or thresh(u)]
    fail_tests = set(rng.sample(error_pool, min(args.failures, len(error_pool))))
    warn_pool = [u for u in warn_pool if u not in fail_tests]
    warn_tests = set(rng.sample(warn_pool, min(args.warnings, len(warn_pool))))

    # ---- simulate the thread pool over the DAG -----------------------------
    parents = {u: [p for p in nodes[u].get("depends_on", {}).get("nodes", []) if p in exec_set] for u in exec_ids}
    indeg = {u: len(parents[u]) for u in exec_ids}
    children = {u: [] for u in exec_ids}
    for u in exec_ids:
        for p in parents[u]:
            children[p].append(u)
    start_ts = dt.datetime(2025, 6, 2, 2, 0, 0, tzinfo=dt.timezone.utc).timestamp() + rng.random() * 3600
    ready_at = {u: start_ts + 2.5 for u in exec_ids}  # after graph build / cache population
    ready = [(ready_at[u], u) for u in exec_ids if indeg[u] == 0]
    heapq.heapify(ready)
    threads = [(start_ts + 2.5, i) for i in range(1, args.threads + 1)]
    heapq.heapify(threads)
    finished = []  # (completed_ts, seq, result)
    seq = 0

    def duration(node):
        rt = node["resource_type"]
        mat = node["config"].get("materialized")
        if rt == "test":
            return rng.lognormvariate(math.log(0.35), 0.9)
        if rt == "seed":
            return rng.lognormvariate(math.log(0.4), 0.5)
        if mat == "view":
            return rng.lognormvariate(math.log(0.12), 0.6)
        if mat == "incremental":
            return rng.lognormvariate(math.log(6.0), 1.0)
        return rng.lognormvariate(math.log(3.0), 1.1)

    while ready:
        t_ready, uid = heapq.heappop(ready)
        t_free, tid = heapq.heappop(threads)
        node = nodes[uid]
        rt = node["resource_type"]
        t0 = max(t_ready, t_free)
        thread_id = f"Thread-{tid} (worker)"
        compiled_resource = rt != "seed"
        res = {"status": None, "timing": [], "thread_id": thread_id, "execution_time": 0,
               "adapter_response": {}, "message": None, "failures": None, "unique_id": uid,
               "compiled": None, "compiled_code": None, "relation_name": None,
               "batch_results": None}
        if uid in skipped:
            t_end = t0 + 0.001
            res["status"] = "skipped"
            if compiled_resource:
                res["compiled"] = False
                res["relation_name"] = node.get("relation_name") if rt == "model" else None
        else:
            c_end = t0 + rng.uniform(0.004, 0.06)
            e_start = c_end + rng.uniform(0.0003, 0.004)
            if uid in errored_set:
                e_end = e_start + rng.uniform(0.01, 2.0)
            else:
                e_end = e_start + duration(node)
            t_end = e_end + rng.uniform(0.0005, 0.01)
            res["timing"] = [
                {"name": "compile", "started_at": iso(t0), "completed_at": iso(c_end)},
                {"name": "execute", "started_at": iso(e_start), "completed_at": iso(e_end)},
            ]
            res["execution_time"] = t_end - t0
            if rt == "seed":
                n = rng.randint(3, 400)
                res["status"] = "success"
                res["adapter_response"] = {"_message": f"INSERT {n}", "code": "INSERT", "rows_affected": n}
                res["message"] = f"INSERT {n}"
            elif rt == "model" or rt == "snapshot":
                res["compiled"] = True
                res["compiled_code"] = compiler.model(node)
                res["relation_name"] = node.get("relation_name")
                if uid in errored_set:
                    res["status"] = "error"
                    cols = list(node.get("columns", {})) or ["id"]
                    tmpl = rng.choice(MODEL_ERRORS)
                    detail = tmpl.format(col=rng.choice(cols) + "_v2", alt=rng.choice(cols),
                                         tbl=node["name"] + "__dbt_tmp", alt_tbl=node["name"])
                    res["message"] = (f"Runtime Error in model {node['name']} ({node['original_file_path']})\n"
                                      f"  {detail}")
                else:
                    res["status"] = "success"
                    res["adapter_response"] = {"_message": "OK"}
                    res["message"] = "OK"
            else:  # test
                res["compiled"] = True
                res["compiled_code"] = compiler.test(node)
                res["adapter_response"] = {"_message": "OK"}
                cfg = node["config"]
                if uid in fail_tests:
                    thr = cfg.get("error_if", "!= 0")
                    n = (rng.randint(101, 5000) if thr.startswith(">") and thr != "!= 0"
                         else max(1, int(rng.lognormvariate(math.log(12), 1.8))))
                    res["status"] = "fail"
                    res["failures"] = n
                    res["message"] = f"Got {pluralize(n, 'result')}, configured to fail if {thr}"
                elif uid in warn_tests:
                    thr = cfg.get("warn_if", "!= 0")
                    if thr != "!= 0" and sev(uid) == "ERROR":
                        n = rng.randint(11, 100)
                    else:
                        n = max(1, int(rng.lognormvariate(math.log(8), 1.6)))
                    res["status"] = "warn"
                    res["failures"] = n
                    res["message"] = f"Got {pluralize(n, 'result')}, configured to warn if {thr}"
                else:
                    res["status"] = "pass"
                    res["failures"] = 0
        heapq.heappush(threads, (t_end, tid))
        finished.append((t_end, seq, res))
        seq += 1
        for c in children[uid]:
            indeg[c] -= 1
            ready_at[c] = max(ready_at[c], t_end)
            if indeg[c] == 0:
                heapq.heappush(ready, (ready_at[c], c))

    if len(finished) != len(exec_ids):
        sys.exit(f"cycle in DAG? scheduled {len(finished)} of {len(exec_ids)} nodes")
    finished.sort(key=lambda r: (r[0], r[1]))
    results = [r for _, _, r in finished]
    end_ts = finished[-1][0] + rng.uniform(0.5, 2.0) if finished else start_ts
    invocation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    meta = manifest.get("metadata", {})
    out = {
        "metadata": {
            "dbt_schema_version": SCHEMA,
            "dbt_version": meta.get("dbt_version", "1.9.0"),
            "generated_at": iso(end_ts),
            "invocation_id": invocation_id,
            "env": {},
        },
        "results": results,
        "elapsed_time": end_ts - start_ts,
        "args": ARGS_TEMPLATE,
    }
    with open(args.out, "w") as f:
        json.dump(out, f)  # dbt writes artifacts as a single line
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"wrote {args.out}: {len(results)} results {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
