//! The one integration-test binary: each module drives the real app (CLI binary, HTTP server,
//! store) against a fresh database.

mod bad_input;
mod bad_nights;
mod browser;
mod changes;
mod concurrency;
mod corpus;
mod dbt_cloud;
mod dbt_cloud_fake;
mod demo_project;
mod deploy_files;
mod digest;
mod engine;
mod fault_corpus;
mod http_api;
mod http_hardening;
mod incident_reshape;
mod incident_story;
mod incidents_cli;
mod layers;
mod multi_project;
mod pages;
mod products;
mod recoveries;
mod report;
mod run_url;
mod skips;
mod slack_bot;
mod slack_check;
mod slack_urls;
mod support;
