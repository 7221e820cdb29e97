//! The command line: a thin face over [`crate::app::App`]. Human tables by default, `--json` on
//! every read. Bad input exits with code 2 and a one-line error.

use crate::app::ingest::{DbtArtifacts, Input};
use crate::app::{self, App};
use crate::config::Config;
use crate::domain::issues::{IssueFilter, Resolution, Status};
use crate::error::{InputError, as_input_error};
use crate::lineage::Lineage;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub mod push;
pub mod render;
mod stdout;

/// `println!` that hands a write error (a closed pipe) to the caller instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        stdout::write_line(format_args!($($arg)*))?
    };
}

/// `print!` that hands a write error (a closed pipe) to the caller instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        stdout::write(format_args!($($arg)*))?
    };
}

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Slack-first incident management for data teams (dbt, Airflow)"
)]
pub struct Cli {
    /// SQLite database file (default: `database` in steward.toml, else ./steward.db).
    #[arg(long, global = true, env = "STEWARD_DB")]
    pub db: Option<PathBuf>,
    /// Config file (default: ./steward.toml when present).
    #[arg(long, global = true, env = "STEWARD_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Tell the Steward story on the embedded demo project: no Slack, no tokens, no network.
    Demo,
    /// Ingest dbt artifacts, alerts or OpenLineage events.
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// List issues (all statuses unless filtered).
    Issues {
        #[arg(long)]
        status: Option<String>,
        /// A unique_id or a node name.
        #[arg(long)]
        asset: Option<String>,
        /// Part of an owner's email or name.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        env: Option<String>,
        /// The issues linked to an incident (INC-n or n).
        #[arg(long)]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one issue with its timeline and comments.
    Issue {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Assign an issue to someone (an open issue becomes acknowledged).
    Assign {
        id: i64,
        who: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Comment on an issue (`N`) or post an update on an incident (`INC-n`).
    Comment {
        /// An issue number, or `INC-n` for an incident.
        id: String,
        text: String,
        #[arg(long, default_value = "cli")]
        author: String,
    },
    /// Set an issue's status: open, acknowledged or investigating.
    Status {
        id: i64,
        status: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Resolve an issue by hand: fixed, expected or false_positive (expected mutes the check).
    Resolve {
        id: i64,
        resolution: String,
        #[arg(long)]
        reason: Option<String>,
        /// With `expected`: how long the check stays muted, e.g. 1h, 24h, 7d, 30d (default 24h).
        #[arg(long)]
        mute_for: Option<String>,
        /// Resolve it even though it is part of an open incident (which stays open).
        #[arg(long)]
        confirm: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Ask the lineage graph.
    Lineage(LineageArgs),
    /// Run the HTTP API (and, later, the Slack bot).
    Serve {
        /// Address to listen on (default from config: 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Send a dbt target/ folder's artifacts to a running Steward (token from STEWARD_TOKEN).
    Push {
        /// A dbt `target/` folder: manifest.json, run_results.json and sources.json are taken
        /// from it when present.
        dir: Option<PathBuf>,
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        run_results: Option<PathBuf>,
        #[arg(long)]
        sources: Option<PathBuf>,
        #[arg(long)]
        env: Option<String>,
        /// Accept a manifest without nodes (it empties the lineage graph).
        #[arg(long)]
        allow_empty: bool,
        /// Steward's base URL, e.g. https://steward.example.com
        #[arg(long, env = "STEWARD_URL")]
        url: String,
    },
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Slack: check that the install works.
    #[command(subcommand)]
    Slack(SlackCommand),
    /// Declare an incident.
    Declare {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "SEV3")]
        severity: String,
        /// An issue to link (repeatable).
        #[arg(long = "issue")]
        issues: Vec<i64>,
        #[arg(long)]
        commander: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, default_value = "cli")]
        actor: String,
        #[arg(long)]
        json: bool,
    },
    /// List incidents (open ones unless --all).
    Incidents {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one incident (`INC-n` or `n`), or change it: status, link, unlink, severity,
    /// commander.
    Incident {
        id: String,
        /// Print the incident as JSON (after the change, if any).
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<IncidentAction>,
    },
    /// Metrics: uptime, SLA and error budget per data product; MTTA, MTTR and the noisiest
    /// assets and checks per team.
    Report {
        /// The window, ending now: 7d, 30d, 90d or any duration.
        #[arg(long, default_value = "30d")]
        since: String,
        #[arg(long)]
        json: bool,
    },
    /// The weekly reliability digest for the 7 days ending now, as the `[digest]` channel would
    /// get it: data products, incidents, issues, MTTA/MTTR, the noisiest assets, teams.
    Digest {
        #[arg(long)]
        json: bool,
    },
    /// The post-incident report of an incident (`INC-n` or `n`), as Markdown.
    Postmortem {
        id: String,
        /// Print the report's data as JSON instead.
        #[arg(long)]
        json: bool,
    },
}

/// Changes to one incident. Resolved incidents refuse every change but a status change, which
/// reopens them.
#[derive(Subcommand)]
pub enum IncidentAction {
    /// investigating, identified, monitoring or resolved (resolving needs --summary).
    Status {
        status: String,
        /// Why (on resolving: the category, e.g. code_change, upstream_source_late).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Link an issue (one in another open incident needs --move).
    Link {
        issue: i64,
        /// Take the issue from the open incident it belongs to.
        #[arg(long = "move")]
        move_from_open: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Remove an issue from the incident.
    Unlink {
        issue: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// SEV1, SEV2, SEV3 or SEV4.
    Severity {
        severity: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Hand the incident to a new commander.
    Commander {
        who: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum SlackCommand {
    /// Confirm the tokens work, every configured channel exists with the bot in it (joining
    /// public ones), and the slash command name matches.
    Check {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum IngestCommand {
    /// dbt artifacts of one run.
    Dbt {
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        run_results: Option<PathBuf>,
        #[arg(long)]
        sources: Option<PathBuf>,
        /// Environment (default: the dbt target in run_results, else `default`).
        #[arg(long)]
        env: Option<String>,
        /// Accept a manifest whose `nodes` is null, missing or empty: it empties the lineage
        /// graph, so it is refused unless asked for.
        #[arg(long)]
        allow_empty: bool,
        #[arg(long)]
        json: bool,
    },
    /// A generic alert JSON file (one alert or an array).
    Alert {
        file: PathBuf,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// An OpenLineage RunEvent JSON file (one event or an array).
    Openlineage {
        file: PathBuf,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct LineageArgs {
    /// The environment whose graph to ask (default: `[issues] default_environment`).
    #[arg(long, global = true)]
    env: Option<String>,
    #[command(subcommand)]
    cmd: LineageCommand,
}

#[derive(Subcommand)]
pub enum LineageCommand {
    /// The dbt projects making an environment's graph: nodes, last ingest, manifest schema.
    Projects {
        #[arg(long)]
        json: bool,
    },
    /// Removes a project's part from an environment's graph.
    Forget {
        project: String,
        #[arg(long)]
        json: bool,
    },
    /// Node counts by resource type, and edges.
    Stats {
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Everything upstream of a node.
    Upstream {
        node: String,
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Everything downstream of a node.
    Downstream {
        node: String,
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Data products, exposures and owners affected by a node.
    Impact {
        node: String,
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The dependency path between two nodes.
    Path {
        from: String,
        to: String,
        #[arg(long)]
        manifest: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print the effective settings.
    Check {
        #[arg(long)]
        json: bool,
    },
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    init_tracing();
    let result = run(cli).and_then(|()| Ok(stdout::flush()?));
    match result {
        Ok(()) => 0,
        // The reader of our output went away (`steward issues | head`): nothing went wrong.
        Err(e) if stdout::is_broken_pipe(&e) => 0,
        Err(e) => match as_input_error(&e) {
            Some(input) => {
                eprintln!("error: {input}");
                2
            }
            None => {
                eprintln!("error: {e:#}");
                1
            }
        },
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STEWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,steward=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

struct Context_ {
    config: Config,
    db: PathBuf,
}

impl Context_ {
    fn app(&self) -> Result<App> {
        App::open(self.config.clone(), &self.db)
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn read_input(path: &Path) -> Result<Input> {
    Ok(Input::read(path)?)
}

fn opt_input(path: &Option<PathBuf>) -> Result<Option<Input>> {
    path.as_deref().map(read_input).transpose()
}

fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let db = cli.db.clone().unwrap_or_else(|| config.database.clone());
    let ctx = Context_ { config, db };
    match cli.command {
        Command::Demo => crate::faces::demo::run(cli.db.as_deref()),
        Command::Ingest(cmd) => ingest(&ctx, cmd),
        Command::Issues {
            status,
            asset,
            owner,
            env,
            incident,
            json,
        } => {
            let incident = incident
                .map(|s| {
                    crate::domain::incidents::parse_number(&s).ok_or_else(|| {
                        InputError::new(
                            "--incident",
                            format!("{s:?} is not an incident (INC-n or n)"),
                        )
                    })
                })
                .transpose()?;
            let status = status
                .map(|s| {
                    Status::parse(&s).ok_or_else(|| {
                        InputError::new("--status", format!("unknown status {s:?}; use open, acknowledged, investigating, recovering or resolved"))
                    })
                })
                .transpose()?;
            let issues = ctx.app()?.issues(&IssueFilter {
                status,
                asset,
                owner,
                env,
                ids: None,
                incident,
                active: false,
            })?;
            if json {
                print_json(&issues)
            } else {
                out!("{}", render::issues_table(&issues));
                Ok(())
            }
        }
        Command::Issue { id, json } => {
            let detail = ctx.app()?.issue(id)?;
            if json {
                print_json(&detail)
            } else {
                out!("{}", render::issue_detail(&detail));
                Ok(())
            }
        }
        Command::Assign { id, who, actor } => {
            let issue = ctx.app()?.assign(id, &who, &actor)?;
            outln!("issue #{} assigned to {} ({})", issue.id, who, issue.status);
            Ok(())
        }
        Command::Comment { id, text, author } => {
            let is_incident = id.trim().to_ascii_uppercase().starts_with("INC-");
            if is_incident {
                let n = incident_number(&id)?;
                let app = ctx.app()?;
                refuse_resolved(&app.incident(n)?, "post an update")?;
                app.incident_comment(n, &author, &text)?;
                outln!("update posted on {}", crate::domain::incidents::label(n));
                return Ok(());
            }
            let id: i64 = id
                .trim()
                .trim_start_matches('#')
                .parse()
                .map_err(|_| InputError::new(&id, "not an issue number or INC-n"))?;
            let c = ctx.app()?.comment(id, &author, &text)?;
            outln!("comment {} added to issue #{id}", c.id);
            Ok(())
        }
        Command::Status { id, status, actor } => {
            let st = Status::parse(&status)
                .ok_or_else(|| InputError::new("status", format!("unknown status {status:?}")))?;
            let issue = ctx.app()?.set_status(id, st, &actor)?;
            outln!("issue #{} is {}", issue.id, issue.status);
            Ok(())
        }
        Command::Resolve {
            id,
            resolution,
            reason,
            mute_for,
            confirm,
            actor,
        } => {
            let r = Resolution::parse_manual(&resolution).ok_or_else(|| {
                InputError::new(
                    "resolution",
                    format!("{resolution:?} is not fixed, expected or false_positive"),
                )
            })?;
            let mute_for = mute_for.map(|text| parse_mute_for(&text, r)).transpose()?;
            let issue = ctx.app()?.resolve_with_mute(
                id,
                r,
                reason.as_deref(),
                mute_for,
                confirm,
                &actor,
            )?;
            match &issue.muted_until {
                Some(until) if r == Resolution::Expected => {
                    outln!(
                        "issue #{} resolved ({resolution}), check muted until {until}",
                        issue.id
                    )
                }
                _ => outln!("issue #{} resolved ({})", issue.id, resolution),
            }
            Ok(())
        }
        Command::Lineage(args) => lineage(&ctx, args),
        Command::Serve { listen } => {
            let listen = listen.unwrap_or_else(|| ctx.config.http.listen.clone());
            let app = ctx.app()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::faces::serve::run(app, &listen))
        }
        Command::Push {
            dir,
            manifest,
            run_results,
            sources,
            env,
            allow_empty,
            url,
        } => {
            let pick = |explicit: Option<PathBuf>, name: &str| -> Option<PathBuf> {
                explicit.or_else(|| dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists()))
            };
            let artifacts = DbtArtifacts {
                manifest: opt_input(&pick(manifest, "manifest.json"))?,
                run_results: opt_input(&pick(run_results, "run_results.json"))?,
                sources: opt_input(&pick(sources, "sources.json"))?,
                env,
                allow_empty,
            };
            let token = std::env::var("STEWARD_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let reply = runtime.block_on(crate::faces::cli::push::push(
                &url,
                token.as_deref(),
                artifacts,
            ))?;
            outln!("{reply}");
            Ok(())
        }
        Command::Slack(SlackCommand::Check { json }) => slack_check(&ctx, json),
        Command::Declare {
            title,
            severity,
            issues,
            commander,
            description,
            actor,
            json,
        } => {
            let incident = ctx.app()?.declare(crate::domain::incidents::Declaration {
                title,
                description,
                severity,
                commander,
                issues,
                declared_by: actor,
            })?;
            if json {
                print_json(&incident)
            } else {
                outln!(
                    "declared {}: {} ({}, {} issues)",
                    incident.id,
                    incident.title,
                    incident.severity,
                    incident.issues.len()
                );
                Ok(())
            }
        }
        Command::Incidents { all, json } => {
            let list = ctx.app()?.incidents(!all)?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                outln!("no {}incidents", if all { "" } else { "open " });
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.severity.clone(),
                        i.status.clone(),
                        i.title.clone(),
                        i.issues.len().to_string(),
                        i.declared.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                render::table(
                    &["ID", "SEV", "STATUS", "TITLE", "ISSUES", "DECLARED"],
                    &rows,
                    60
                )
            );
            Ok(())
        }
        Command::Incident {
            id,
            json,
            action: Some(action),
        } => incident_action(&ctx, &id, json, action),
        Command::Report { since, json } => {
            let window = crate::domain::metrics::Window::parse(&since)?;
            let report = ctx.app()?.report(&window)?;
            if json {
                print_json(&report)
            } else {
                out!("{}", crate::domain::metrics::render(&report));
                Ok(())
            }
        }
        Command::Digest { json } => {
            let digest = crate::domain::digest::current(&ctx.app()?)?;
            if json {
                print_json(&digest)
            } else {
                out!("{}", crate::domain::digest::render(&digest));
                Ok(())
            }
        }
        Command::Postmortem { id, json } => {
            let n = incident_number(&id)?;
            let data = crate::domain::postmortem::load(&ctx.app()?, n)?;
            if json {
                print_json(&data)
            } else {
                out!("{}", crate::domain::postmortem::render(&data));
                Ok(())
            }
        }
        Command::Incident {
            id,
            json,
            action: None,
        } => {
            let n = incident_number(&id)?;
            let incident = ctx.app()?.incident(n)?;
            if json {
                print_json(&incident)
            } else {
                outln!(
                    "{} [{}] {}: {}",
                    incident.id,
                    incident.status,
                    incident.severity,
                    incident.title
                );
                outln!(
                    "  declared {} by {}",
                    incident.declared,
                    incident.declared_by
                );
                outln!(
                    "  issues: {}",
                    incident
                        .issues
                        .iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for r in &incident.root_causes {
                    outln!("  root cause: {} (explains {})", r.unique_id, r.explains);
                }
                outln!(
                    "  impact: products {:?}, exposures {:?}",
                    incident.impact.data_products,
                    incident.impact.exposures
                );
                Ok(())
            }
        }
        Command::Config(ConfigCommand::Check { json }) => {
            let origin = cli
                .config
                .as_ref()
                .map_or_else(|| "steward.toml".to_owned(), |p| p.display().to_string());
            let products_note = check_products(&ctx, &origin)?;
            // Settings that only the Slack bot acts on.
            if ctx.config.slack.is_none() && ctx.config.digest.is_some() {
                eprintln!(
                    "warning: {origin}: [digest] is set but [slack] is not: no digest will be posted"
                );
            }
            if json {
                print_json(&ctx.config)
            } else {
                outln!("config OK");
                out!(
                    "{}",
                    toml::to_string_pretty(&ctx.config).context("printing the config")?
                );
                outln!("# database in use: {}", ctx.db.display());
                outln!(
                    "# STEWARD_TOKEN is {}",
                    if std::env::var("STEWARD_TOKEN")
                        .map(|t| !t.is_empty())
                        .unwrap_or(false)
                    {
                        "set"
                    } else {
                        "not set"
                    }
                );
                outln!("# data products: {products_note}");
                Ok(())
            }
        }
    }
}

/// Checks `[[products]]` against the stored lineage, when a manifest was ingested: warnings go
/// to stderr, a product matching nothing is an error. Returns the line saying what was checked.
fn check_products(ctx: &Context_, origin: &str) -> Result<String> {
    let lineage = match ctx.db.exists() {
        true => Some(ctx.app()?.lineage.current()),
        false => None,
    };
    let check =
        crate::domain::products::check_config(origin, &ctx.config.products, lineage.as_deref());
    for w in &check.warnings {
        eprintln!("warning: {w}");
    }
    if let Some((last, rest)) = check.errors.split_last() {
        for e in rest {
            eprintln!("error: {e}");
        }
        return Err(last.clone().into());
    }
    Ok(check.note)
}

fn incident_number(id: &str) -> Result<i64> {
    Ok(crate::domain::incidents::parse_number(id)
        .ok_or_else(|| InputError::new(id, "not an incident id; use INC-n or n"))?)
}

/// `--mute-for`: a duration (1h, 24h, 7d, 30d; more than zero, at most 365d), only with
/// `expected`. Checked before the database is opened, so bad input writes nothing.
fn parse_mute_for(text: &str, resolution: Resolution) -> Result<chrono::Duration, InputError> {
    if resolution != Resolution::Expected {
        return Err(InputError::new(
            "--mute-for",
            format!(
                "only `expected` mutes the check; `{}` takes no --mute-for",
                resolution.as_str()
            ),
        ));
    }
    crate::config::parse_duration(text)
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .filter(|d| *d > chrono::Duration::zero() && *d <= crate::domain::issues::MAX_EXPECTED_MUTE)
        .ok_or_else(|| {
            InputError::new(
                "--mute-for",
                format!("{text:?} is not a duration from 1m to 365d (use e.g. 1h, 24h, 7d, 30d)"),
            )
        })
}

/// Acting on a resolved incident is refused (only a status change reopens it).
fn refuse_resolved(incident: &crate::domain::incidents::Incident, action: &str) -> Result<()> {
    if incident.status == "resolved" {
        return Err(InputError::new(
            &incident.id,
            format!("it is resolved; cannot {action} (a status change reopens it)"),
        )
        .kind(crate::error::InputErrorKind::Conflict)
        .into());
    }
    Ok(())
}

fn incident_action(ctx: &Context_, id: &str, json: bool, action: IncidentAction) -> Result<()> {
    let n = incident_number(id)?;
    let app = ctx.app()?;
    let label = crate::domain::incidents::label(n);
    let (incident, line) = match action {
        IncidentAction::Status {
            status,
            reason,
            summary,
            actor,
        } => {
            if status.eq_ignore_ascii_case("resolved") {
                refuse_resolved(&app.incident(n)?, "resolve it again")?;
            }
            let was = app.incident(n)?.status;
            let i =
                app.incident_status(n, &status, &actor, summary.as_deref(), reason.as_deref())?;
            let line = if was == "resolved" && i.status != "resolved" {
                format!("{label} reopened: {}", i.status)
            } else {
                format!("{label} is {}", i.status)
            };
            (i, line)
        }
        IncidentAction::Link {
            issue,
            move_from_open,
            actor,
        } => {
            let i = app.incident_link(n, issue, &actor, move_from_open)?;
            (i, format!("issue #{issue} linked to {label}"))
        }
        IncidentAction::Unlink { issue, actor } => {
            let i = app.incident_unlink(n, issue, &actor)?;
            (i, format!("issue #{issue} unlinked from {label}"))
        }
        IncidentAction::Severity { severity, actor } => {
            let i = app.incident_severity(n, &severity, &actor)?;
            let line = format!("{label} is {}", i.severity);
            (i, line)
        }
        IncidentAction::Commander { who, actor } => {
            let i = app.incident_commander(n, &who, &actor)?;
            let line = format!(
                "{label} commander: {}",
                i.commander.as_deref().unwrap_or("none")
            );
            (i, line)
        }
    };
    if json {
        print_json(&incident)
    } else {
        outln!("{line}");
        Ok(())
    }
}

fn ingest(ctx: &Context_, cmd: IngestCommand) -> Result<()> {
    let (summary, json) = match cmd {
        IngestCommand::Dbt {
            manifest,
            run_results,
            sources,
            env,
            allow_empty,
            json,
        } => {
            let artifacts = DbtArtifacts {
                manifest: opt_input(&manifest)?,
                run_results: opt_input(&run_results)?,
                sources: opt_input(&sources)?,
                env,
                allow_empty,
            };
            (ctx.app()?.ingest_dbt(artifacts)?, json)
        }
        IngestCommand::Alert { file, env, json } => {
            (ctx.app()?.ingest_alerts(read_input(&file)?, env)?, json)
        }
        IngestCommand::Openlineage { file, env, json } => (
            ctx.app()?.ingest_openlineage(read_input(&file)?, env)?,
            json,
        ),
    };
    if json {
        print_json(&summary)
    } else {
        outln!("{summary}");
        Ok(())
    }
}

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

fn lineage(ctx: &Context_, args: LineageArgs) -> Result<()> {
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

fn slack_check(ctx: &Context_, json: bool) -> Result<()> {
    let settings = crate::faces::slack::bot::SlackSettings::from_env(ctx.config.slack.as_ref())?
        .ok_or_else(|| {
            InputError::new(
                "slack check",
                "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (and a [slack] table in steward.toml)",
            )
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lines = runtime.block_on(async {
        let client = crate::faces::slack::api::client(&settings.api_url)?;
        let api = crate::faces::slack::api::SlackApi::new(
            client,
            settings.bot_token.expose(),
            settings.config.post_interval,
            settings.config.burst,
        );
        Ok::<_, anyhow::Error>(crate::faces::slack::check::run(&api, &settings.config).await)
    })?;
    let failed = lines.iter().filter(|l| !l.ok).count();
    if json {
        print_json(&lines)?;
    } else {
        for l in &lines {
            outln!(
                "{} {}: {}",
                if l.ok { "ok  " } else { "FAIL" },
                l.what,
                l.detail
            );
        }
    }
    if failed > 0 {
        return Err(InputError::new("slack check", format!("{failed} check(s) failed")).into());
    }
    Ok(())
}
