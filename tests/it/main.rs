//! The one integration-test binary: each module drives the real app (CLI binary, HTTP server,
//! store) against a fresh database.

mod changes;
mod corpus;
mod demo_project;
mod deploy_files;
mod digest;
mod engine;
mod http_api;
mod incident_story;
mod incidents_cli;
mod multi_project;
mod products;
mod report;
mod slack_bot;
mod support;
