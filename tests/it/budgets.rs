//! Error budgets per team (`[[teams]] error_budget`): in `steward report` (text and JSON), the
//! digest, and the Slack Home tab, on moved clocks.

use crate::support::{TestBot, cli_clock_offset, ingest_demo, stderr, steward_command};
use serde_json::Value;
use steward::config::{ErrorBudget, TeamConfig};

const CONFIG: &str = "[[teams]]\nname = \"finance\"\nerror_budget = \"400h/30d\"\n\n[[teams]]\nname = \"core\"\nerror_budget = \"2h/7d\"\n";

/// `steward ARGS` with the clock `later` past the story's start.
fn at(
    db: &std::path::Path,
    config: &std::path::Path,
    later: chrono::Duration,
    args: &[&str],
) -> String {
    let offset = (cli_clock_offset() + later).num_seconds();
    let out = steward_command(db, args)
        .env("STEWARD_CONFIG", config)
        .env("STEWARD_CLOCK_OFFSET", format!("{offset}s"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn budget<'a>(report: &'a Value, team: &str) -> &'a Value {
    report["error_budgets"]
        .as_array()
        .unwrap_or_else(|| panic!("no error_budgets: {report}"))
        .iter()
        .find(|b| b["team"] == team)
        .unwrap_or_else(|| panic!("no budget of {team}: {report}"))
}

#[test]
fn the_report_and_the_digest_show_each_teams_spend() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("steward.db");
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, CONFIG).unwrap();
    ingest_demo(&db, "broken");
    let h = chrono::Duration::hours;
    let json = |later| -> Value {
        serde_json::from_str(&at(&db, &config, later, &["report", "--json"])).unwrap()
    };
    let (first, later) = (json(h(10)), json(h(20)));
    // Finance's one issue stays open: ten more hours spent, ten fewer left.
    let (a, b) = (budget(&first, "finance"), budget(&later, "finance"));
    assert_eq!(a["budget"], "400h/30d");
    assert_eq!(a["allowed_hours"], 400.0);
    let spent = b["spent_hours"].as_f64().unwrap() - a["spent_hours"].as_f64().unwrap();
    assert!((spent - 10.0).abs() < 0.01, "{a} {b}");
    let left = a["left_hours"].as_f64().unwrap() - b["left_hours"].as_f64().unwrap();
    assert!((left - 10.0).abs() < 0.01);
    let burn = b["spent_hours"].as_f64().unwrap() / 400.0;
    assert!((b["burn_rate"].as_f64().unwrap() - burn).abs() < 1e-6);
    assert_eq!(b["top_checks"][0]["check"], "run", "{b}");
    // Core's 2 hours are long spent by its five issues.
    let core = budget(&later, "core");
    assert!(core["left_hours"].as_f64().unwrap() < 0.0, "{core}");
    assert!(core["top_checks"].as_array().unwrap().len() <= 3);

    let text = at(&db, &config, h(20), &["report"]);
    assert!(text.contains("Error budgets"), "{text}");
    assert!(
        text.contains("core: ") && text.contains("overspent by"),
        "{text}"
    );
    let digest: Value =
        serde_json::from_str(&at(&db, &config, h(20), &["digest", "--json"])).unwrap();
    assert_eq!(budget(&digest, "finance")["budget"], "400h/30d");
    let digest_text = at(&db, &config, h(20), &["digest"]);
    assert!(digest_text.contains("finance: "), "{digest_text}");
    // Without budgets, the report says nothing of them.
    std::fs::write(&config, "").unwrap();
    let none = json(h(20));
    assert!(none.get("error_budgets").is_none(), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_tab_shows_the_budgets() {
    let bot = TestBot::start_configured(
        Vec::new(),
        |c| {
            c.teams = vec![TeamConfig {
                name: "finance".into(),
                error_budget: ErrorBudget::parse("40h/30d"),
                ..TeamConfig::default()
            }];
        },
        std::sync::Arc::new(steward::faces::demo::story_clock()),
        |_| {},
    )
    .await;
    bot.ingest("broken").await;
    bot.open_home("U0ANA").await;
    bot.until("home published", |f| f.home_view("U0ANA").is_some())
        .await;
    let home = bot.fake.home_view("U0ANA").unwrap().view.to_string();
    assert!(home.contains("Error budgets"), "{home}");
    assert!(home.contains("finance: "), "{home}");
    assert!(home.contains("of 40h/30d spent"), "{home}");
    bot.stop().await;
}
