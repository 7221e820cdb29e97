//! `lineage`: the graph asked about, from a `--manifest` file or the stored one.

use super::{Context_, LineageArgs, LineageCommand, print_json, read_input, render};
use crate::app;
use crate::error::InputError;
use crate::lineage::Lineage;
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;

/// The lineage a command asks about: from `--manifest` (no database touched) or the stored one.
fn lineage_for(
    ctx: &Context_,
    manifest: &Option<PathBuf>,
    env: Option<&str>,
) -> Result<std::sync::Arc<Lineage>> {
    match manifest {
        Some(path) => {
            let input = read_input(path)?;
            // Reading a manifest replaces nothing: one without nodes is shown as it is.
            let options = crate::lineage::LoadOptions { allow_empty: true };
            Ok(std::sync::Arc::new(input.load_manifest_with(options)?))
        }
        None => ctx.app()?.lineage_of(env),
    }
}

#[derive(Serialize)]
struct NodeList {
    node: String,
    nodes: Vec<NodeBrief>,
}

#[derive(Serialize)]
struct NodeBrief {
    unique_id: String,
    resource_type: &'static str,
}

pub(super) fn run(ctx: &Context_, args: LineageArgs) -> Result<()> {
    let env = args.env.as_deref();
    match args.cmd {
        LineageCommand::Projects { json } => {
            let list = ctx.app()?.lineage_projects(env)?;
            if json {
                return print_json(&list);
            }
            print!("{}", render::projects(&list));
            Ok(())
        }
        LineageCommand::Forget { project, json } => {
            let forgotten = ctx.app()?.forget_project(&project, env)?;
            if json {
                return print_json(&forgotten);
            }
            println!(
                "forgot project {} in env {} ({} nodes)",
                forgotten.project, forgotten.env, forgotten.nodes
            );
            Ok(())
        }
        LineageCommand::Stats { manifest, json } => {
            let lineage = lineage_for(ctx, &manifest, env)?;
            let stats = lineage.stats();
            // The process exits next: freeing a large graph node by node would only cost time.
            std::mem::forget(lineage);
            if json {
                print_json(&stats)
            } else {
                outln!(
                    "manifest schema v{}: {} edges",
                    stats.schema_version,
                    stats.edges
                );
                for (k, v) in &stats.nodes {
                    outln!("  {k:15} {v}");
                }
                Ok(())
            }
        }
        LineageCommand::Upstream {
            node,
            manifest,
            json,
        } => closure(ctx, &node, &manifest, env, json, true),
        LineageCommand::Downstream {
            node,
            manifest,
            json,
        } => closure(ctx, &node, &manifest, env, json, false),
        LineageCommand::Impact {
            node,
            manifest,
            json,
        } => {
            let lineage = lineage_for(ctx, &manifest, env)?;
            let impact = app::node_impact(&lineage, &node)?;
            if json {
                print_json(&impact)
            } else {
                out!("{}", render::impact(&impact));
                Ok(())
            }
        }
        LineageCommand::Path {
            from,
            to,
            manifest,
            json,
        } => {
            let lineage = lineage_for(ctx, &manifest, env)?;
            let a = app::resolve_node(&lineage, &from)?;
            let b = app::resolve_node(&lineage, &to)?;
            let path: Vec<String> = lineage
                .path(a, b)
                .ok_or_else(|| {
                    InputError::not_found(
                        format!("{from} → {to}"),
                        "no dependency path between these nodes",
                    )
                })?
                .into_iter()
                .map(|i| lineage.node(i).unique_id.clone())
                .collect();
            if json {
                print_json(&serde_json::json!({ "path": path }))
            } else {
                outln!("{}", path.join("\n  → "));
                Ok(())
            }
        }
    }
}

fn closure(
    ctx: &Context_,
    node: &str,
    manifest: &Option<PathBuf>,
    env: Option<&str>,
    json: bool,
    upstream: bool,
) -> Result<()> {
    let lineage = lineage_for(ctx, manifest, env)?;
    let idx = app::resolve_node(&lineage, node)?;
    let found = if upstream {
        lineage.upstream(idx)
    } else {
        lineage.downstream(idx)
    };
    let list = NodeList {
        node: lineage.node(idx).unique_id.clone(),
        nodes: found
            .into_iter()
            .map(|i| {
                let n = lineage.node(i);
                NodeBrief {
                    unique_id: n.unique_id.clone(),
                    resource_type: n.kind.as_str(),
                }
            })
            .collect(),
    };
    if json {
        return print_json(&list);
    }
    outln!(
        "{} of {} ({} nodes)",
        if upstream { "upstream" } else { "downstream" },
        list.node,
        list.nodes.len()
    );
    for n in &list.nodes {
        outln!("  {:14} {}", n.resource_type, n.unique_id);
    }
    Ok(())
}
