//! Steward: Slack-first incident management for data teams running dbt and Airflow.
//!
//! The folders are the layers, and imports only point down (`tests/it/layers.rs` checks it):
//! `faces` (CLI, HTTP, Slack, demo) → `app` (the use cases every face calls) → `domain`
//! (issues, incidents, products, metrics, reports) → `sources` (parsers, no writes) and `store`
//! (SQLite, outbox) → `lineage` → `config`, `clock`, `error`.

pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod faces;
pub mod lineage;
pub mod schema_version;
pub mod sources;
pub mod store;
pub mod telemetry;
