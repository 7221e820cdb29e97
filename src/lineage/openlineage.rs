//! Airflow (OpenLineage) jobs in the lineage: a job is a node between the datasets it reads and
//! the datasets it writes. Jobs are kept per environment and stored, so they survive restarts.

use super::{Node, NodeKind};
use serde::{Deserialize, Serialize};

/// An OpenLineage dataset: its namespace (e.g. `postgres://host:5432`) and name
/// (e.g. `db.schema.table`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dataset {
    pub namespace: String,
    pub name: String,
}

/// The last known shape of one job: what it reads and writes, and its last event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub inputs: Vec<Dataset>,
    #[serde(default)]
    pub outputs: Vec<Dataset>,
    /// START, RUNNING, COMPLETE, FAIL, ABORT (or OTHER).
    #[serde(default)]
    pub last_event: String,
    #[serde(default)]
    pub last_event_at: Option<String>,
}

impl Job {
    /// The job's node id, which is also the asset of the issues its failures open.
    pub fn unique_id(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }

    /// This event's view of the job folded into what was known: datasets are only ever added
    /// (START often lists none that COMPLETE lists).
    pub fn absorb(&mut self, newer: Job) {
        for d in newer.inputs {
            if !self.inputs.contains(&d) {
                self.inputs.push(d);
            }
        }
        for d in newer.outputs {
            if !self.outputs.contains(&d) {
                self.outputs.push(d);
            }
        }
        self.inputs.sort();
        self.outputs.sort();
        self.last_event = newer.last_event;
        self.last_event_at = newer.last_event_at.or(self.last_event_at.take());
    }

    pub(super) fn node(&self) -> Node {
        Node::bare(
            self.unique_id(),
            NodeKind::Job,
            &self.name,
            vec![self.namespace.clone(), self.name.clone()],
        )
    }
}
