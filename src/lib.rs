//! Steward: Slack-first incident management for data teams running dbt and Airflow.
//!
//! The core (`lineage`, `artifacts`, `alerts`, `issues`, `store`, `ingest`) knows nothing of
//! Slack or HTTP; the CLI and the HTTP API are thin faces over [`app::App`].

pub mod error;
pub mod lineage;
pub mod schema_version;
pub mod artifacts;
pub mod observation;
pub mod store;
pub mod config;
pub mod issues;
pub mod alerts;
pub mod clock;
pub mod ingest;
pub mod app;
pub mod render;
pub mod cli;
pub mod demo;
pub mod http;
pub mod push;
