-- Version 5: one lineage per environment, made of every dbt project's latest manifest, and the
-- Airflow (OpenLineage) jobs seen there.

-- A project's part of an environment's graph: its latest manifest's graph (JSON snapshot).
CREATE TABLE lineage_parts (
    env            TEXT NOT NULL,
    project        TEXT NOT NULL,
    project_id     TEXT,
    loaded_at      TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    node_count     INTEGER NOT NULL,
    ingest_id      INTEGER,
    data           BLOB NOT NULL,
    PRIMARY KEY (env, project)
);

-- The single graph of earlier versions becomes its project's part of the default environment
-- (env '' here; Steward, which knows the configured name, renames it when it opens the store).
INSERT INTO lineage_parts (env, project, loaded_at, schema_version, node_count, data)
SELECT '', coalesce(json_extract(CAST(data AS TEXT), '$.project'), 'default'),
       loaded_at, schema_version, node_count, data
FROM lineage_snapshot;
DROP TABLE lineage_snapshot;

-- An OpenLineage job of an environment: its datasets and last event (JSON).
CREATE TABLE lineage_jobs (
    env        TEXT NOT NULL,
    job        TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (env, job)
);
