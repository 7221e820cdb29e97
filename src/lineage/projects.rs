//! One lineage per environment, made of every dbt project's latest manifest and the Airflow jobs
//! seen there. A manifest replaces only its own project's part; [`LineageHandle`] swaps a whole
//! environment's graph atomically, so readers never block and never see half a graph.

use super::Lineage;
use super::openlineage::Job;
use arc_swap::ArcSwap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One project's latest manifest in one environment.
#[derive(Clone)]
pub struct Part {
    pub project: String,
    pub project_id: Option<String>,
    /// When it was ingested (RFC 3339).
    pub loaded_at: String,
    pub lineage: Arc<Lineage>,
}

/// A project as `steward lineage projects` lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProjectInfo {
    pub project: String,
    pub env: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    pub nodes: usize,
    pub last_ingest: String,
    pub manifest_schema: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dbt_version: Option<String>,
}

/// An environment's projects and jobs, and the graph stitched from them.
pub struct EnvGraph {
    pub env: String,
    parts: BTreeMap<String, Part>,
    jobs: BTreeMap<String, Job>,
    merged: Arc<Lineage>,
}

impl EnvGraph {
    pub fn new(env: &str, parts: Vec<Part>, jobs: Vec<Job>) -> EnvGraph {
        let parts = parts.into_iter().map(|p| (p.project.clone(), p)).collect();
        let jobs = jobs.into_iter().map(|j| (j.unique_id(), j)).collect();
        EnvGraph::stitch(env.to_owned(), parts, jobs)
    }

    fn stitch(env: String, parts: BTreeMap<String, Part>, jobs: BTreeMap<String, Job>) -> Self {
        let list: Vec<(&str, &Lineage)> = parts
            .values()
            .map(|p| (p.project.as_str(), &*p.lineage))
            .collect();
        let job_list: Vec<Job> = jobs.values().cloned().collect();
        let merged = if list.is_empty() && job_list.is_empty() {
            Lineage::empty()
        } else {
            super::stitch::merge(&list, &job_list)
        };
        EnvGraph {
            env,
            parts,
            jobs,
            merged: Arc::new(merged),
        }
    }

    /// This environment with `part` replacing its project's previous part.
    pub fn with_part(&self, part: Part) -> EnvGraph {
        let mut parts = self.parts.clone();
        parts.insert(part.project.clone(), part);
        EnvGraph::stitch(self.env.clone(), parts, self.jobs.clone())
    }

    /// This environment without `project`; None when it has no such project.
    pub fn without_project(&self, project: &str) -> Option<EnvGraph> {
        let mut parts = self.parts.clone();
        parts.remove(project)?;
        Some(EnvGraph::stitch(self.env.clone(), parts, self.jobs.clone()))
    }

    /// This environment with these jobs' latest events folded in.
    pub fn with_jobs(&self, jobs: &[Job]) -> EnvGraph {
        let mut all = self.jobs.clone();
        for j in jobs {
            match all.get_mut(&j.unique_id()) {
                Some(known) => known.absorb(j.clone()),
                None => {
                    let mut fresh = j.clone();
                    fresh.inputs.sort();
                    fresh.outputs.sort();
                    all.insert(j.unique_id(), fresh);
                }
            }
        }
        EnvGraph::stitch(self.env.clone(), self.parts.clone(), all)
    }

    pub fn lineage(&self) -> Arc<Lineage> {
        self.merged.clone()
    }

    pub fn part(&self, project: &str) -> Option<&Part> {
        self.parts.get(project)
    }

    pub fn job(&self, unique_id: &str) -> Option<&Job> {
        self.jobs.get(unique_id)
    }

    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    pub fn projects(&self) -> Vec<ProjectInfo> {
        self.parts
            .values()
            .map(|p| ProjectInfo {
                project: p.project.clone(),
                env: self.env.clone(),
                project_id: p.project_id.clone(),
                nodes: p.lineage.node_count(),
                last_ingest: p.loaded_at.clone(),
                manifest_schema: p.lineage.schema_version,
                dbt_version: p.lineage.dbt_version.clone(),
            })
            .collect()
    }
}

/// Every environment's graph, each replaced atomically.
#[derive(Clone)]
pub struct LineageHandle {
    envs: Arc<ArcSwap<Envs>>,
    default_env: Arc<str>,
    empty: Arc<Lineage>,
    writer: Arc<Mutex<()>>,
}

#[derive(Clone, Default)]
struct Envs {
    graphs: BTreeMap<String, Arc<EnvGraph>>,
    /// The environment replaced last: what [`LineageHandle::current`] falls back to.
    latest: Option<String>,
}

impl LineageHandle {
    pub fn new(default_env: &str, graphs: Vec<EnvGraph>) -> Self {
        let latest = graphs.last().map(|g| g.env.clone());
        let graphs = graphs
            .into_iter()
            .map(|g| (g.env.clone(), Arc::new(g)))
            .collect();
        LineageHandle {
            envs: Arc::new(ArcSwap::from_pointee(Envs { graphs, latest })),
            default_env: default_env.into(),
            empty: Arc::new(Lineage::empty()),
            writer: Arc::new(Mutex::new(())),
        }
    }

    pub fn default_env(&self) -> &str {
        &self.default_env
    }

    /// The default environment's graph; when it has none, the environment changed last (a
    /// deployment with one environment keeps working whatever its name).
    pub fn current(&self) -> Arc<Lineage> {
        let envs = self.envs.load();
        envs.graphs
            .get(&*self.default_env)
            .or_else(|| envs.latest.as_ref().and_then(|e| envs.graphs.get(e)))
            .map(|g| g.lineage())
            .unwrap_or_else(|| self.empty.clone())
    }

    /// `env`'s graph; [`LineageHandle::current`] when None or when nothing was ingested there
    /// yet (so one environment under any name keeps working).
    pub fn env(&self, env: Option<&str>) -> Arc<Lineage> {
        env.and_then(|e| self.graph(e))
            .map(|g| g.lineage())
            .unwrap_or_else(|| self.current())
    }

    /// `env`'s projects and jobs, if anything was ingested there.
    pub fn graph(&self, env: &str) -> Option<Arc<EnvGraph>> {
        self.envs.load().graphs.get(env).cloned()
    }

    /// `env`'s graph, or an empty one to build on.
    pub fn graph_or_empty(&self, env: &str) -> Arc<EnvGraph> {
        self.graph(env)
            .unwrap_or_else(|| Arc::new(EnvGraph::new(env, Vec::new(), Vec::new())))
    }

    pub fn environments(&self) -> Vec<String> {
        self.envs.load().graphs.keys().cloned().collect()
    }

    /// Serialises writers of graphs: hold it from reading an environment's graph to replacing
    /// it, so two ingests never lose each other's project. Readers never take it.
    pub fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `lineage` the default environment's only project (tests and tools that build a
    /// graph by hand).
    pub fn replace(&self, lineage: Arc<Lineage>) {
        let parts = match lineage.is_empty() {
            true => Vec::new(),
            false => vec![Part {
                project: lineage
                    .project
                    .clone()
                    .unwrap_or_else(|| "default".to_owned()),
                project_id: lineage.project_id.clone(),
                loaded_at: String::new(),
                lineage,
            }],
        };
        self.replace_env(EnvGraph::new(&self.default_env, parts, Vec::new()));
    }

    /// Swaps in `graph` for its environment (an environment without projects or jobs is dropped).
    pub fn replace_env(&self, graph: EnvGraph) {
        let graph = Arc::new(graph);
        let previous = self.envs.rcu(|old| {
            let mut next = Envs::clone(old);
            if graph.parts.is_empty() && graph.jobs.is_empty() {
                next.graphs.remove(&graph.env);
            } else {
                next.graphs.insert(graph.env.clone(), graph.clone());
            }
            next.latest = Some(graph.env.clone());
            next
        });
        // Freeing a large replaced graph node by node takes a while: not on the ingest's path.
        if previous
            .graphs
            .get(&graph.env)
            .is_some_and(|g| g.merged.node_count() > 10_000)
        {
            let _ = std::thread::Builder::new()
                .name("steward-drop-graph".into())
                .spawn(move || drop(previous));
        }
    }
}
