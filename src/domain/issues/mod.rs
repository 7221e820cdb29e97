//! Issues: raw failures keyed by (environment, asset, check), their workflow, and their place in
//! the lineage (root cause or symptom). Everything here runs inside a store transaction.

mod engine;

pub use engine::*;
