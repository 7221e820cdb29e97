//! The one integration-test binary: each module drives the real app (CLI binary, HTTP server,
//! store) against a fresh database.

mod backups;
mod bad_input;
mod browser;
mod budgets;
mod changes;
mod concurrency;
mod corpus;
mod demo_project;
mod deploy_files;
mod digest;
mod engine;
mod expect;
mod fault_corpus;
mod http_api;
mod http_hardening;
mod incident_story;
mod incidents_cli;
mod layers;
mod metrics;
mod multi_project;
mod mutes_cli;
mod pages;
mod products;
mod report;
mod slack_bot;
mod slack_urls;
mod slash_incident;
mod support;
