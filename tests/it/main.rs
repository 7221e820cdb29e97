//! The one integration-test binary: each module drives the real app (CLI binary, HTTP server,
//! store) against a fresh database.

mod bad_input;
mod browser;
mod changes;
mod concurrency;
mod corpus;
mod demo_project;
mod deploy_files;
mod digest;
mod engine;
mod fault_corpus;
mod http_api;
mod http_hardening;
mod incident_story;
mod incidents_cli;
mod integrations;
mod layers;
mod multi_project;
mod pages;
mod products;
mod report;
mod slack_bot;
mod slack_urls;
mod support;
