//! Steward: Slack-first incident management for data teams running dbt and Airflow.
//!
//! The core (`lineage`, `artifacts`, `alerts`, `issues`, `store`, `ingest`) knows nothing of
//! Slack or HTTP; the CLI and the HTTP API are thin faces over [`app::App`].

pub mod error;
pub mod lineage;
pub mod schema_version;
pub mod artifacts;
pub mod observation;
