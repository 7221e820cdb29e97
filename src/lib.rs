//! Steward: Slack-first incident management for data teams running dbt and Airflow.
//!
//! The core (`lineage`, `artifacts`, `alerts`, `issues`, `store`, `ingest`) knows nothing of
//! Slack or HTTP; the CLI and the HTTP API are thin faces over [`app::App`].

pub mod alerts;
pub mod announcements;
pub mod app;
pub mod artifacts;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod digest;
pub mod error;
pub mod graphs;
pub mod history;
pub mod http;
pub mod incidents;
pub mod ingest;
pub mod issues;
pub mod lineage;
pub mod metrics;
pub mod observation;
pub mod outbox;
pub mod postmortem;
pub mod products;
pub mod push;
pub mod render;
pub mod schema_version;
pub mod serve;
pub mod slack;
pub mod sparkline;
pub mod store;
