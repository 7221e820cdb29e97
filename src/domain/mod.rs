//! The domain: the rules of issues, incidents, data products, metrics and the reports composed
//! from them. Given a connection and a graph; never opens one, never knows a face.

pub mod access;
pub mod announcements;
pub mod changes;
pub mod digest;
pub mod expect;
pub mod gauges;
pub mod history;
pub mod incidents;
pub mod ingests;
pub mod integrations;
pub mod issues;
pub mod metrics;
pub mod people;
pub mod postmortem;
pub mod products;
pub mod sparkline;
pub mod status;
pub mod text;
