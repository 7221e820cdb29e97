//! Issues: raw failures keyed by (environment, asset, check), their workflow, and their place in
//! the lineage (root cause or symptom). Everything here runs inside a store transaction.
//!
//! `model` holds the types, `engine` applies observations and finds roots, `actions` is what a
//! person does, `mutes` what silences alerts, `queries` what every face reads. Every public item
//! is re-exported here: callers name `crate::domain::issues::X`.

mod actions;
mod engine;
mod model;
mod mutes;
mod queries;
pub mod signature;
mod storms;

pub use actions::*;
pub use engine::*;
pub use model::*;
pub use mutes::*;
pub use queries::*;
pub use storms::*;
