//! What Steward reads from the outside: dbt artifacts, generic alerts and OpenLineage events,
//! parsed into observations. Parsers only: nothing here writes.

pub mod alerts;
pub mod artifacts;
pub mod ci;
pub mod observation;
