//! `steward demo`: the story of one broken dbt run and its recovery, on the demo project's real
//! artifacts compiled into the binary, told twice: in the terminal, and in Slack, where a
//! simulated team (a fake Slack workspace in this process, the real bot against it) declares an
//! incident, assigns, replies and resolves. Needs no Slack workspace, no tokens and no network
//! beyond 127.0.0.1.

mod across;
pub mod replay;
pub mod transcript;
mod workspace;

use crate::app::App;
use crate::app::ingest::{DbtArtifacts, Input};
use crate::clock::{Clock as _, StoryClock};
use crate::domain::issues::IssueFilter;
use crate::faces::cli::render::{self, short_name};
use crate::faces::slack::fake::ActionValue;
use anyhow::{Context as _, Result, bail};
use chrono::Timelike as _;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use transcript::render_transcript;
use workspace::{INCIDENTS, Workspace};

pub const BROKEN_MANIFEST: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/broken/manifest.json");
pub const BROKEN_RUN_RESULTS: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/broken/run_results.json");
pub const BROKEN_SOURCES: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/broken/sources.json");
pub const HEALTHY_MANIFEST: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/healthy/manifest.json");
pub const HEALTHY_RUN_RESULTS: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/healthy/run_results.json");
pub const HEALTHY_SOURCES: &[u8] =
    include_bytes!("../../manifests/demo/artifacts/healthy/sources.json");

/// The demo's broken run, as an ingest would receive it.
pub fn broken_run() -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::new("demo/broken/manifest.json", BROKEN_MANIFEST)),
        run_results: Some(Input::new(
            "demo/broken/run_results.json",
            BROKEN_RUN_RESULTS,
        )),
        sources: Some(Input::new("demo/broken/sources.json", BROKEN_SOURCES)),
        env: None,
        allow_empty: false,
        run_url: None,
    }
}

/// The demo's healthy run.
pub fn healthy_run() -> DbtArtifacts {
    DbtArtifacts {
        manifest: Some(Input::new("demo/healthy/manifest.json", HEALTHY_MANIFEST)),
        run_results: Some(Input::new(
            "demo/healthy/run_results.json",
            HEALTHY_RUN_RESULTS,
        )),
        sources: Some(Input::new("demo/healthy/sources.json", HEALTHY_SOURCES)),
        env: None,
        allow_empty: false,
        run_url: None,
    }
}

/// Runs the demo on a fresh database (a temporary one unless `db` is given) and prints it.
pub fn run(db: Option<&Path>) -> Result<()> {
    let temp;
    let path = match db {
        Some(p) => p.to_owned(),
        None => {
            temp = TempDb::new()?;
            temp.path.clone()
        }
    };
    // The bot logs to stderr as `serve` does; in the demo only errors are worth seeing (unless
    // STEWARD_LOG asks for more).
    let quiet = quiet_logs();
    let _main_thread = quiet.as_ref().map(tracing::dispatcher::set_default);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    if let Some(d) = quiet.clone() {
        builder.on_thread_start(move || {
            // Lives as long as the thread.
            std::mem::forget(tracing::dispatcher::set_default(&d));
        });
    }
    let runtime = builder.build()?;
    let text = runtime.block_on(story(&path));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    // A write error (a closed pipe: `steward demo | head`) goes back to the CLI, which exits
    // quietly on it.
    std::io::Write::write_all(&mut std::io::stdout().lock(), text?.as_bytes())?;
    Ok(())
}

fn quiet_logs() -> Option<tracing::Dispatch> {
    if std::env::var_os("STEWARD_LOG").is_some() {
        return None;
    }
    Some(tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("error"))
            .with_writer(std::io::stderr)
            .finish(),
    ))
}

/// The demo's text, on the database at `db`: the CLI story, the Slack story played by the
/// simulated team, the channels' transcript, and the recoveries.
pub async fn story(db: &Path) -> Result<String> {
    let config = workspace::config()?;
    let clock = Arc::new(story_clock());
    let app = App::open_with_clock(config, db, clock.clone())?;
    let mut ws = Workspace::start(app.clone()).await?;
    let result = play(&mut ws, &clock).await;
    let stopped = ws.stop().await;
    let mut out = result?;
    stopped?;
    across::across_part(&mut out).await?;
    Ok(out)
}

/// The story's clock: it starts a few seconds after the recorded broken run finished and runs
/// from there, so the demo prints the same story whatever today's date is.
pub fn story_clock() -> StoryClock {
    let start = replay::broken_run_finished() + chrono::Duration::seconds(5);
    // On a whole second, so the story's first second holds its first moments.
    StoryClock::starting_at(start.with_nanosecond(0).unwrap_or(start))
}

/// How long the fix takes to ship in the story (the healthy run comes this long after the alerts).
const FIX_TAKES: chrono::Duration = chrono::Duration::minutes(42);

/// Runs a blocking core call off the async threads.
async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await?
}

fn issue_on(
    app: &App,
    asset_suffix: &str,
    check_prefix: &str,
) -> Result<crate::domain::issues::Issue> {
    app.issues(&IssueFilter::default())?
        .into_iter()
        .find(|i| i.asset.ends_with(asset_suffix) && i.check.starts_with(check_prefix))
        .with_context(|| format!("the demo run has no issue on {asset_suffix} ({check_prefix})"))
}

async fn play(ws: &mut Workspace, clock: &StoryClock) -> Result<String> {
    let app = ws.app.clone();
    let mut out = blocking(&app, |app| {
        let mut out = String::new();
        broken_part(app, &mut out)?;
        Ok(out)
    })
    .await?;

    ws.drained().await?;
    slack_part(ws, &mut out).await?;

    writeln!(
        out,
        "5. The fix ships; the next run is healthy. Steward ingests it:"
    )?;
    clock.advance(FIX_TAKES);
    let healthy = replay::healthy_run_at(clock.now())?;
    let summary = blocking(&app, move |app| app.ingest_dbt(healthy)).await?;
    writeln!(out, "   {summary}\n")?;
    ws.drained().await?;
    let resolved = blocking(&app, |app| app.issues(&IssueFilter::default())).await?;
    // Issues of one group share their alert (the store knows it on the first of them).
    for i in resolved
        .iter()
        .filter(|i| i.resolution.as_deref() == Some("recovered"))
    {
        let Ok((channel, ts)) = ws.alert_of(i.id) else {
            continue;
        };
        ws.until(
            &format!("the recovery reply on issue #{}'s alert", i.id),
            |w| {
                w.fake.messages(&channel).iter().any(|m| {
                    m.thread_ts.as_deref() == Some(ts.as_str()) && m.text.contains("recovered")
                })
            },
        )
        .await?;
    }
    writeln!(
        out,
        "   ▸ Steward edits every alert in place (✅) and says “recovered after …” in its thread."
    )?;
    // The commander waits for the recovery to hold before closing the incident.
    clock.advance(chrono::Duration::minutes(6));
    resolve_incident(ws, &mut out).await?;

    writeln!(
        out,
        "6. Slack, as the team sees it now (bot messages from their blocks; ↳ thread replies):\n"
    )?;
    let messages = ws.fake.all_messages();
    let channels: Vec<&str> = workspace::CHANNELS.iter().map(|(id, _)| *id).collect();
    let transcript = render_transcript(&channels, &messages, &ws.notes, &ws.names);
    for line in transcript.lines() {
        if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "   {line}")?;
        }
    }

    let after = blocking(&app, |app| app.issues(&IssueFilter::default())).await?;
    writeln!(out, "7. Recoveries:\n")?;
    for line in render::issues_table(&after).lines() {
        writeln!(out, "   {line}")?;
    }
    let open = after.iter().filter(|i| i.is_active()).count();
    let recovered = after
        .iter()
        .filter(|i| i.resolution.as_deref() == Some("recovered"))
        .count();
    let by_hand = after.len() - open - recovered;
    writeln!(
        out,
        "\n   {recovered} of {} issues resolved as recovered, {by_hand} resolved by hand; {open} still open.",
        after.len(),
    )?;

    let report = blocking(&app, |app| app.postmortem(1)).await?;
    writeln!(
        out,
        "\n8. The post-incident report Steward drafts from the store (steward postmortem INC-1):\n"
    )?;
    ws.learn_names().await?;
    let people = blocking(&app, |app| app.people()).await?;
    indented(
        &mut out,
        &people.humanize(
            &crate::domain::postmortem::render(&report),
            crate::domain::people::Style::Markdown,
        ),
    )?;
    let sla = blocking(&app, |app| {
        app.report(&crate::domain::metrics::Window::parse("30d")?)
    })
    .await?;
    writeln!(
        out,
        "\n9. The SLA report over the data products of steward.toml (steward report --since 30d):\n"
    )?;
    indented(&mut out, &crate::domain::metrics::render(&sla))?;

    let incidents = blocking(&app, |app| app.incidents(false)).await?;
    let top_level = messages
        .iter()
        .filter(|m| !m.ephemeral && !m.deleted && m.thread_ts.as_deref().is_none_or(|t| t == m.ts))
        .count();
    let edits: usize = messages.iter().map(|m| m.history.len()).sum();
    let replies = messages
        .iter()
        .filter(|m| !m.ephemeral && m.thread_ts.as_deref().is_some_and(|t| t != m.ts))
        .count();
    let (closed, open_incidents): (Vec<_>, Vec<_>) =
        incidents.iter().partition(|i| i.status == "resolved");
    let closed: Vec<&str> = closed.iter().map(|i| i.id.as_str()).collect();
    let incident_text = match (closed.as_slice(), open_incidents.as_slice()) {
        ([], []) => "no incident declared".to_owned(),
        (done, []) => format!("{} resolved by its commander", done.join(", ")),
        (_, [one]) => format!("incident {} still open (its commander closes it)", one.id),
        (_, many) => format!("{} incidents still open", many.len()),
    };
    writeln!(
        out,
        "\nDone: {} of {} issues resolved, {incident_text}; {top_level} Slack messages, {edits} edits, {replies} thread replies.",
        after.len() - open,
        after.len(),
    )?;
    Ok(out)
}

/// `text`'s lines, indented under a numbered part (blank lines stay blank).
fn indented(out: &mut String, text: &str) -> Result<()> {
    for line in text.lines() {
        if line.trim().is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "   {line}")?;
        }
    }
    Ok(())
}

/// End of part 5: with everything recovered, the commander resolves INC-1 from its message in
/// #data-incidents, with a summary and a root-cause category.
async fn resolve_incident(ws: &mut Workspace, out: &mut String) -> Result<()> {
    let seen = ws.fake.views().len();
    ws.click_incident("U0ANA", 1, "steward.incident.resolve")
        .await?;
    let view = ws.modal("steward.incident_resolve", seen).await?;
    let summary = "A renamed column (payment_method_v2) broke stg_shop__payments and everything \
                   below it; the rename was reverted and the next run recovered.";
    let ts = ws.incident_message(1)?;
    ws.note_on(
        INCIDENTS.to_owned(),
        ts,
        format!(
            "🪟 Ana opened “{}” → submitted “Code change”: {summary}",
            workspace::title(&view)
        ),
    );
    ws.submit(
        &view,
        "U0ANA",
        json!({
            "summary": {"steward.incident_summary": {"type": "plain_text_input", "value": summary}},
            "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}}
        }),
    )
    .await?;
    ws.until("INC-1 to be resolved", |w| {
        w.app.incident(1).is_ok_and(|i| i.status == "resolved")
    })
    .await?;
    ws.drained().await?;
    let incident = blocking(&ws.app, |app| app.incident(1)).await?;
    writeln!(
        out,
        "   ▸ Ana, the commander, presses “Resolve” on {} in #data-incidents; the modal asks for a\n     summary and a category; she submits “code change”. {} is resolved, its message says so.\n",
        incident.id, incident.id
    )?;
    Ok(())
}

/// Part 4: the alerts in Slack, and the team working them there.
async fn slack_part(ws: &mut Workspace, out: &mut String) -> Result<()> {
    let app = ws.app.clone();
    // Alerts only: product channels also hear of their products' status.
    let alerts: Vec<(String, String)> = app.store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT DISTINCT channel, ts FROM slack_messages WHERE purpose IN ('alert', 'storm', 'flood') AND state = 'posted'",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    let posted: Vec<String> = workspace::CHANNELS
        .iter()
        .filter_map(|(id, name)| {
            let n = alerts.iter().filter(|(c, _)| c == id).count();
            (n > 0).then(|| format!("{n} in #{name}"))
        })
        .collect();
    let messages = ws.fake.all_messages();
    let told: Vec<String> = workspace::CHANNELS
        .iter()
        .filter(|(id, _)| {
            messages.iter().any(|m| {
                m.channel == *id
                    && m.thread_ts.is_none()
                    && !m.ephemeral
                    && !alerts.iter().any(|(c, ts)| c == id && *ts == m.ts)
            })
        })
        .map(|(_, name)| format!("#{name}"))
        .collect();
    writeln!(
        out,
        "4. Meanwhile in Slack (a simulated workspace in this process: @ana, data-finance lead;\n   @bruno, @carla, @dmitri; #data-alerts, #data-incidents, #finance-data, #marketing-data).\n   Steward posted one living alert per root cause, routed by dbt meta and [slack]:\n   {}. The team works them from Slack:\n",
        posted.join(", ")
    )?;
    if !told.is_empty() {
        writeln!(
            out,
            "   Data product channels ({}) were told their products' status (degraded), not the raw issues.\n",
            told.join(", ")
        )?;
    }

    let payments = blocking(&app, |app| issue_on(app, "stg_shop__payments", "run")).await?;
    let events = blocking(&app, |app| issue_on(app, "stg_product__events", "test.")).await?;
    let (p, e) = (payments.id, events.id);
    let (alerts_channel, _) = ws.alert_of(p)?;
    let channel_name = format!("#{}", ws.names.channel(&alerts_channel));

    // Ana declares an incident from the payments alert.
    let seen = ws.fake.views().len();
    ws.click(
        "U0ANA",
        p,
        "steward.declare",
        ActionValue::Button(p.to_string()),
    )
    .await?;
    let view = ws.modal("steward.declare", seen).await?;
    let (linked, linked_ids) = workspace::preselected_issues(&view);
    let mut values = json!({
        "title": {"steward.title": {"type": "plain_text_input", "value": "Revenue dashboard is stale"}},
        "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV2", "text": {"type": "plain_text", "text": "SEV2 · major"}}}},
        "commander": {"steward.commander": {"type": "users_select", "selected_user": "U0ANA"}}
    });
    if let Some(l) = linked {
        values["issues"] = l;
    }
    ws.note(
        p,
        format!(
            "🪟 Ana opened “{}” → submitted “Revenue dashboard is stale”, SEV2, commander @ana{}",
            workspace::title(&view),
            {
                let others: Vec<&String> = linked_ids
                    .iter()
                    .filter(|i| **i != format!("#{p}"))
                    .collect();
                if others.is_empty() {
                    String::new()
                } else {
                    let others: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
                    format!(", also linking {}", others.join(", "))
                }
            }
        ),
    )?;
    ws.submit(&view, "U0ANA", values).await?;
    ws.until("INC-1 to be declared", |w| {
        w.app.incidents(true).is_ok_and(|i| !i.is_empty())
    })
    .await?;
    ws.until("the incident message in #data-incidents", |w| {
        w.fake
            .messages(INCIDENTS)
            .iter()
            .any(|m| m.text.contains("INC-1"))
    })
    .await?;
    ws.drained().await?;
    let (channel, ts) = ws.alert_of(p)?;
    ws.until("the payments alert to show INC-1", |w| {
        w.fake.messages(&channel).iter().any(|m| {
            m.ts == ts
                && m.blocks
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains("INC-1"))
        })
    })
    .await?;
    let incident = blocking(&app, |app| app.incident(1)).await?;
    writeln!(
        out,
        "   ▸ Ana clicks “Declare incident” on the stg_shop__payments alert in {channel_name}; the modal\n     opens; she submits “{}”, {}, herself as commander. {} is posted in\n     #data-incidents linking {}, and the alert now says it is part of {}.",
        incident.title,
        incident.severity,
        incident.id,
        incident
            .issues
            .iter()
            .map(|i| format!("#{i}"))
            .collect::<Vec<_>>()
            .join(", "),
        incident.id
    )?;

    // Ana assigns the payments issue to Bruno.
    ws.click(
        "U0ANA",
        p,
        "steward.assign",
        ActionValue::UserSelect("U0BRUNO".into()),
    )
    .await?;
    ws.until("the assignment to Bruno", |w| {
        w.app
            .issue(p)
            .is_ok_and(|d| d.issue.assignee.as_deref() == Some("<@U0BRUNO>"))
    })
    .await?;
    ws.drained().await?;
    ws.until("the thread reply about the assignment", |w| {
        w.fake
            .messages(&channel)
            .iter()
            .any(|m| m.thread_ts.as_deref() == Some(ts.as_str()) && m.text.contains("assigned"))
    })
    .await?;
    writeln!(
        out,
        "   ▸ Ana assigns it to Bruno (the Assign menu on the alert); the thread says so."
    )?;

    // Bruno replies in the thread: a comment.
    let found = "Found it: the payment_method_v2 column was renamed upstream, reverting.";
    ws.reply("U0BRUNO", p, found).await?;
    ws.until("Bruno's reply to become a comment", |w| {
        w.app
            .issue(p)
            .is_ok_and(|d| d.comments.iter().any(|c| c.body == found))
    })
    .await?;
    ws.drained().await?;
    writeln!(
        out,
        "   ▸ Bruno replies in the alert's thread; Steward stores it as a comment on issue #{p}."
    )?;

    // Carla resolves the product-events warning as expected, with a reason.
    let seen = ws.fake.views().len();
    ws.click(
        "U0CARLA",
        e,
        "steward.status",
        ActionValue::StaticSelect {
            value: "expected".into(),
            text: "🤷 Expected".into(),
        },
    )
    .await?;
    let view = ws.modal("steward.reason", seen).await?;
    let reason = "Known gap in mobile events, fix scheduled";
    ws.note(
        e,
        format!(
            "🪟 Carla opened “{}” → submitted “Upstream source late”: {reason}",
            workspace::title(&view)
        ),
    )?;
    ws.submit(
        &view,
        "U0CARLA",
        json!({
            "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "upstream_source_late", "text": {"type": "plain_text", "text": "Upstream source late"}}}},
            "reason": {"steward.reason_text": {"type": "plain_text_input", "value": reason}}
        }),
    )
    .await?;
    ws.until(
        "the product-events warning to be resolved as expected",
        |w| {
            w.app.issue(e).is_ok_and(|d| {
                d.issue.status == "resolved" && d.issue.resolution.as_deref() == Some("expected")
            })
        },
    )
    .await?;
    ws.drained().await?;
    writeln!(
        out,
        "   ▸ Carla sets the stg_product__events warning (#{e}) to Expected; a modal asks why; she answers\n     “upstream source late: {reason}”. It is resolved as expected."
    )?;

    // Bruno starts investigating.
    ws.click(
        "U0BRUNO",
        p,
        "steward.status",
        ActionValue::StaticSelect {
            value: "investigating".into(),
            text: "🔎 Investigating".into(),
        },
    )
    .await?;
    ws.until("the payments issue to be investigating", |w| {
        w.app
            .issue(p)
            .is_ok_and(|d| d.issue.status == "investigating")
    })
    .await?;
    ws.drained().await?;
    writeln!(
        out,
        "   ▸ Bruno sets the payments issue to Investigating; the alert's header says so.\n"
    )?;
    if ws.fake.violations().is_empty() {
        Ok(())
    } else {
        bail!(
            "the fake Slack refused a payload: {:?}",
            ws.fake.violations()
        )
    }
}

/// Parts 1 to 3: the broken run, its issues, and each root cause with its impact.
fn broken_part(app: &App, out: &mut String) -> Result<()> {
    writeln!(
        out,
        "Steward demo: a dbt project (jaffle_analytics) has a bad night, then recovers.\n"
    )?;
    writeln!(
        out,
        "1. dbt build + dbt source freshness fail. Steward ingests the artifacts:"
    )?;
    let summary = app.ingest_dbt(broken_run())?;
    writeln!(out, "   {summary}\n")?;

    let issues = app.issues(&IssueFilter::default())?;
    writeln!(
        out,
        "2. The issues, grouped by root cause through lineage:\n"
    )?;
    for line in render::issues_table(&issues).lines() {
        writeln!(out, "   {line}")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "3. Each root cause, what it explains and what it affects downstream:\n"
    )?;
    let lineage = app.lineage.current();
    let mut seen_assets: Vec<&str> = Vec::new();
    for root in issues
        .iter()
        .filter(|i| i.is_root() && i.severity == "error")
    {
        if seen_assets.contains(&root.asset.as_str()) {
            continue;
        }
        seen_assets.push(&root.asset);
        let group: Vec<&crate::domain::issues::Issue> = issues
            .iter()
            .filter(|i| i.is_root() && i.asset == root.asset)
            .collect();
        writeln!(
            out,
            "   ROOT {} ({} failing check(s) on it)",
            root.asset,
            group.len()
        )?;
        for g in &group {
            let what = match g.check.as_str() {
                "run" => "model run".to_owned(),
                "freshness" => "source freshness".to_owned(),
                c => short_name(c),
            };
            writeln!(
                out,
                "     #{} {} {}: {}",
                g.id,
                g.dbt_status,
                what,
                g.message
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            )?;
        }
        let symptoms: Vec<&crate::domain::issues::Symptom> =
            group.iter().flat_map(|g| g.symptoms.iter()).collect();
        let skipped = symptoms.iter().filter(|s| s.status == "skipped").count();
        let failing: Vec<String> = symptoms
            .iter()
            .filter(|s| s.issue.is_some())
            .map(|s| {
                format!(
                    "#{} {}",
                    s.issue.unwrap_or_default(),
                    short_name(&s.unique_id)
                )
            })
            .collect();
        writeln!(
            out,
            "     explains: {skipped} skipped node(s){}",
            if failing.is_empty() {
                String::new()
            } else {
                format!(", failing: {}", failing.join(", "))
            }
        )?;
        if let Some(idx) = lineage.get(&root.asset) {
            let impact = lineage.impact(&[idx]);
            let products = if impact.data_products.is_empty() {
                "none".into()
            } else {
                impact.data_products.join(", ")
            };
            let exposures: Vec<String> = impact.exposures.iter().map(|e| short_name(e)).collect();
            writeln!(
                out,
                "     impact:   data products {products}; exposures {}; {} downstream",
                if exposures.is_empty() {
                    "none".into()
                } else {
                    exposures.join(", ")
                },
                impact.downstream_count
            )?;
            writeln!(out, "     owners:   {}", root.owners.join(", "))?;
            if !impact.owners.is_empty() {
                writeln!(out, "     tell:     {}", impact.owners.join(", "))?;
            }
        }
        writeln!(out)?;
    }
    let warnings: Vec<&crate::domain::issues::Issue> =
        issues.iter().filter(|i| i.severity == "warn").collect();
    if !warnings.is_empty() {
        writeln!(out, "   Warnings (never the root of an error):")?;
        for w in warnings {
            writeln!(
                out,
                "     #{} {} on {}{}",
                w.id,
                short_name(&w.check),
                short_name(&w.asset),
                w.symptom_of
                    .map(|r| format!(" (below #{r})"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }

    Ok(())
}

/// A database file in the system temp folder, removed when dropped.
struct TempDb {
    path: std::path::PathBuf,
}

impl TempDb {
    fn new() -> Result<TempDb> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("steward-demo-{}-{nanos}.db", std::process::id()));
        Ok(TempDb { path })
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}
