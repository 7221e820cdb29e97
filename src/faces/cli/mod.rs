//! The command line: a thin face over [`crate::app::App`]. Human tables by default, `--json` on
//! every read. Bad input exits with code 2 and a one-line error.
//!
//! Here: the clap interface, `main` and the table that routes each command to its family's
//! module: `ingest` (ingest, push), `issues`, `mutes` (mute, unmute, mutes), `incidents`, `lineage`, `report` (report, digest,
//! postmortem) and `admin` (serve, backup, restore, config check, slack check).

use crate::app::App;
use crate::app::ingest::Input;
use crate::config::Config;
use crate::error::as_input_error;
use anyhow::Result;
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub mod push;
pub mod render;
mod stdout;

/// `println!` that hands a write error (a closed pipe) to the caller instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::faces::cli::stdout::write_line(format_args!($($arg)*))?
    };
}

/// `print!` that hands a write error (a closed pipe) to the caller instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::faces::cli::stdout::write(format_args!($($arg)*))?
    };
}

mod admin;
mod incidents;
mod ingest;
mod issues;
mod lineage;
mod mutes;
mod outbox;
mod report;
mod ticket;
mod trackers;

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
    /// The record of ingests, newest first: what arrived, where, and who pushed it.
    Ingests {
        /// Only this environment's.
        #[arg(long)]
        env: Option<String>,
        /// Only those pushed under this name (an HTTP token's name, or the CLI's `--as`).
        #[arg(long)]
        by: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// List issues (all statuses unless filtered).
    Issues {
        #[command(flatten)]
        filter: issues::ListArgs,
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
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Comment on an issue (`N`) or post an update on an incident (`INC-n`).
    Comment {
        /// An issue number, or `INC-n` for an incident.
        id: String,
        text: String,
        /// Who writes, as the timeline records it (`--author` also works).
        #[arg(long = "as", alias = "author", default_value = "cli")]
        author: String,
    },
    /// Set an issue's status: open, acknowledged or investigating.
    Status {
        id: i64,
        status: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
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
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Mute alerts: an issue's asset (`N`), an asset, or one check of it.
    Mute {
        /// An issue number, or an asset (a unique_id or a node name).
        target: String,
        /// How long, e.g. 1h, 24h, 7d (default: until the issue is fixed; an asset or a check
        /// needs a duration).
        #[arg(long = "for")]
        for_: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        /// Only this check of the asset (e.g. not_null_orders_id).
        #[arg(long)]
        check: Option<String>,
        /// The environment (default: the issue's, else `[issues] default_environment`).
        #[arg(long)]
        env: Option<String>,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
        #[arg(long)]
        json: bool,
    },
    /// End the mutes in force on an issue's asset (`N`) or an asset (only one check with --check).
    Unmute {
        target: String,
        #[arg(long)]
        check: Option<String>,
        #[arg(long)]
        env: Option<String>,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
        #[arg(long)]
        json: bool,
    },
    /// The mutes in force.
    Mutes {
        #[arg(long)]
        json: bool,
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
        /// The CI run's URL, linked from alerts and postmortems (default: read from GitHub
        /// Actions, GitLab CI, CircleCI, Buildkite or Jenkins variables).
        #[arg(long)]
        run_url: Option<String>,
        /// Steward's base URL, e.g. https://steward.example.com
        #[arg(long, env = "STEWARD_URL")]
        url: String,
    },
    /// Copy the database into FILE with SQLite's online backup (safe while `serve` runs).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Replace the database with the backup FILE (refused while `steward serve` runs on it).
    Restore {
        file: PathBuf,
        #[arg(long)]
        json: bool,
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
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
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
    /// Deliveries to integrations not done yet (pending and dead), and Slack outbox items
    /// pending; `retry ID|--all` makes dead deliveries pending again.
    Outbox {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// Create a ticket for an incident (`INC-n`) or an issue (`N`) in a tracker (`jira`), once:
    /// asking again shows the first one.
    Ticket {
        tracker: String,
        /// `INC-n` for an incident, a number for an issue.
        subject: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
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
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Link an issue (one in another open incident needs --move).
    Link {
        issue: i64,
        /// Take the issue from the open incident it belongs to.
        #[arg(long = "move")]
        move_from_open: bool,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Remove an issue from the incident.
    Unlink {
        issue: i64,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// SEV1, SEV2, SEV3 or SEV4.
    Severity {
        severity: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Hand the incident to a new commander.
    Commander {
        who: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Merge this incident into another open one (INC-n): its issues and timeline move there,
    /// and this one is closed as merged.
    MergeInto {
        into: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Make a new incident of some of this one's issues.
    Split {
        #[arg(required = true)]
        issues: Vec<i64>,
        /// The new incident's title.
        #[arg(long)]
        title: String,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Follow-ups: the work the incident leaves behind (the report's action items).
    Followup {
        #[command(subcommand)]
        action: FollowupAction,
    },
}

#[derive(Subcommand)]
pub enum FollowupAction {
    /// Add a follow-up; `--jira` or `--linear` also creates its ticket there (once).
    Add {
        text: String,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, conflicts_with = "linear")]
        jira: bool,
        #[arg(long)]
        linear: bool,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// The incident's follow-ups, their tickets' states read back from Jira or Linear first.
    List,
    /// Mark follow-up ID done.
    Done {
        id: i64,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Drop follow-up ID (it will not be done).
    Drop {
        id: i64,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
    /// Open follow-up ID again.
    Reopen {
        id: i64,
        /// Who acts, as the timeline records it (`--actor` also works).
        #[arg(long = "as", alias = "actor", default_value = "cli")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum OutboxAction {
    /// Make a dead delivery (or every one, with --all) pending again, due now.
    Retry {
        /// The delivery's id (see `steward outbox`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum SlackCommand {
    /// Confirm the tokens work (bot and app-level), every configured channel exists with the
    /// bot in it (joining public ones), the bot can read the configured user groups, and the
    /// slash command matches the app manifest. Exits 1 when a check fails.
    Check {
        #[arg(long)]
        json: bool,
        /// The app manifest pasted into Slack (default: manifests/slack-app.yaml here if it
        /// exists, else the one this build ships).
        #[arg(long)]
        manifest: Option<PathBuf>,
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
        /// The CI run's URL, linked from alerts and postmortems (default: read from GitHub
        /// Actions, GitLab CI, CircleCI, Buildkite or Jenkins variables).
        #[arg(long)]
        run_url: Option<String>,
        /// The name this ingest is recorded as pushed by (`steward ingests`).
        #[arg(long = "as", default_value = "cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// A generic alert JSON file (one alert or an array).
    Alert {
        file: PathBuf,
        #[arg(long)]
        env: Option<String>,
        /// The name this ingest is recorded as pushed by (`steward ingests`).
        #[arg(long = "as", default_value = "cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// An OpenLineage RunEvent JSON file (one event or an array).
    Openlineage {
        file: PathBuf,
        #[arg(long)]
        env: Option<String>,
        /// The name this ingest is recorded as pushed by (`steward ingests`).
        #[arg(long = "as", default_value = "cli")]
        by: String,
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
        Command::Ingest(cmd) => ingest::ingest(&ctx, cmd),
        Command::Ingests {
            env,
            by,
            limit,
            json,
        } => {
            let filter = crate::domain::ingests::IngestFilter {
                env,
                pushed_by: by,
                limit,
            };
            ingest::list(&ctx, &filter, json)
        }
        Command::Issues { filter, json } => issues::list(&ctx, filter, json),
        Command::Issue { id, json } => issues::show(&ctx, id, json),
        Command::Assign { id, who, actor } => issues::assign(&ctx, id, who, actor),
        Command::Comment { id, text, author } => issues::comment(&ctx, id, text, author),
        Command::Status { id, status, actor } => issues::status(&ctx, id, status, actor),
        Command::Resolve {
            id,
            resolution,
            reason,
            mute_for,
            confirm,
            actor,
        } => issues::resolve(&ctx, id, resolution, reason, mute_for, confirm, actor),
        Command::Mute {
            target,
            for_,
            reason,
            check,
            env,
            actor,
            json,
        } => mutes::mute(
            &ctx,
            mutes::MuteArgs {
                target,
                for_,
                reason,
                check,
                env,
                actor,
                json,
            },
        ),
        Command::Unmute {
            target,
            check,
            env,
            actor,
            json,
        } => mutes::unmute(&ctx, &target, check, env, &actor, json),
        Command::Mutes { json } => mutes::list(&ctx, json),
        Command::Lineage(args) => lineage::run(&ctx, args),
        Command::Serve { listen } => admin::serve(&ctx, listen),
        Command::Backup { file, force, json } => admin::backup(&ctx, &file, force, json),
        Command::Restore { file, json } => admin::restore(&ctx, &file, json),
        Command::Push {
            dir,
            manifest,
            run_results,
            sources,
            env,
            allow_empty,
            run_url,
            url,
        } => ingest::push(
            ingest::Paths {
                dir,
                manifest,
                run_results,
                sources,
            },
            env,
            allow_empty,
            run_url,
            url,
        ),
        Command::Slack(SlackCommand::Check { json, manifest }) => {
            admin::slack_check(&ctx, json, manifest.as_deref())
        }
        Command::Declare {
            title,
            severity,
            issues,
            commander,
            description,
            actor,
            json,
        } => {
            let declaration = crate::domain::incidents::Declaration {
                title,
                description,
                severity,
                commander,
                issues,
                declared_by: actor,
            };
            incidents::declare(&ctx, declaration, json)
        }
        Command::Incidents { all, json } => incidents::list(&ctx, all, json),
        Command::Incident {
            id,
            json,
            action: Some(action),
        } => incidents::action(&ctx, &id, json, action),
        Command::Report { since, json } => report::report(&ctx, since, json),
        Command::Digest { json } => report::digest(&ctx, json),
        Command::Postmortem { id, json } => report::postmortem(&ctx, id, json),
        Command::Outbox { json, action } => outbox::run(&ctx, json, action),
        Command::Ticket {
            tracker,
            subject,
            actor,
            json,
        } => ticket::run(&ctx, &tracker, &subject, &actor, json),
        Command::Incident {
            id,
            json,
            action: None,
        } => incidents::show(&ctx, id, json),
        Command::Config(ConfigCommand::Check { json }) => {
            admin::config_check(&ctx, cli.config.as_deref(), json)
        }
    }
}
