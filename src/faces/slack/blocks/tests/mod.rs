//! Unit tests of the Block Kit messages: the shared fixtures and checks are here, the tests one
//! file per message.

mod alert;
mod home;
mod incident;
mod kit;
mod lists;
mod modals;

use super::alert::*;
use super::kit::*;
use super::modals::*;
use super::*;
use crate::domain::issues::{Comment, Issue, Symptom};
use crate::lineage::Impact;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 2, 12, 0, 0).unwrap()
}

fn issue(id: i64, asset: &str, check: &str) -> Issue {
    Issue {
        id,
        env: "prod".into(),
        asset: asset.into(),
        asset_known: true,
        check: check.into(),
        node: Some(asset.into()),
        origin: "dbt".into(),
        source_system: None,
        status: "open".into(),
        resolution: None,
        resolution_reason: None,
        severity: "error".into(),
        dbt_status: "error".into(),
        message: Some(
            "Database Error in model stg_shop__payments (models/staging/stg_shop__payments.sql)\n  column \"amount_cents\" does not exist\n  compiled Code at target/run/shop/models/staging/stg_shop__payments.sql".into(),
        ),
        failures: None,
        url: None,
        run_id: Some("a1b2c3d4-0000-4000-8000-000000000001".into()),
        owners: vec!["ana@example.com".into()],
        occurrences: 4,
        consecutive_passes: 0,
        first_seen: "2024-05-02T09:47:00.000000Z".into(),
        last_seen: "2024-05-02T11:55:00.000000Z".into(),
        resolved_at: None,
        assignee: None,
        symptom_of: None,
        root_cause_of: vec![],
        symptoms: vec![],
        muted_until: None,
        incident_id: None,
        storm: None,
        created_at: "2024-05-02T09:47:00.000000Z".into(),
        updated_at: "2024-05-02T11:55:00.000000Z".into(),
        compiled_sql: None,
    }
}

fn payments() -> Issue {
    issue(12, "model.shop.stg_shop__payments", "run")
}

fn test_issue(id: i64) -> Issue {
    let mut i = issue(
        id,
        "model.shop.stg_shop__payments",
        "test.shop.not_null_stg_shop__payments_payment_id.5a1b2c",
    );
    i.dbt_status = "fail".into();
    i.failures = Some(37);
    i.message = Some("Got 37 results, configured to fail if != 0".into());
    i
}

struct Ctx {
    links: Links,
    owners: Vec<String>,
    tell: Vec<String>,
    comments: Vec<Comment>,
    impact: Impact,
}

fn ctx() -> Ctx {
    Ctx {
        links: Links {
            docs_url: Some(
                "https://docs.example.com/#!/model/model.shop.stg_shop__payments".into(),
            ),
            run_url: Some("https://airflow.example.com/dags/dbt/runs/42?a=1&b=2".into()),
            log_url: None,
        },
        owners: vec![
            "<@U0123ANA>".into(),
            "<!subteam^S0DATA>".into(),
            "bo@example.com".into(),
        ],
        tell: vec!["<@U0456FIN>".into()],
        comments: vec![Comment {
            id: 1,
            author: "<@U0123ANA>".into(),
            body: "Last time this was the Stripe export being late & <b>partial</b>".into(),
            at: "2024-04-20T08:00:00.000000Z".into(),
        }],
        impact: Impact {
            data_products: vec!["Finance reporting".into(), "Growth".into()],
            exposures: vec!["exposure.shop.weekly_revenue".into()],
            owners: vec!["fin@example.com".into()],
            downstream_count: 41,
            models: 23,
        },
    }
}

fn view<'a>(group: &'a [Issue], c: &'a Ctx) -> AlertView<'a> {
    AlertView {
        group,
        impact: Some(&c.impact),
        owner_mentions: &c.owners,
        tell_mentions: &c.tell,
        recent_comments: &c.comments,
        links: &c.links,
        incident: None,
        compiled_sql_available: false,
        trackers: &[],
        tickets: &[],
        now: now(),
    }
}

/// The `value` of each option of a select or an overflow menu.
fn option_values(element: &Value) -> Vec<&str> {
    element["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect()
}

#[track_caller]
fn assert_fits(m: &Message) {
    let v = m.violations();
    assert!(
        v.is_empty(),
        "violations: {v:#?}\n{}",
        serde_json::to_string_pretty(&m.blocks).unwrap()
    );
}

#[track_caller]
fn assert_view_fits(v: &View) {
    let errs = v.violations();
    assert!(
        errs.is_empty(),
        "violations: {errs:#?}\n{}",
        serde_json::to_string_pretty(&v.0).unwrap()
    );
}

fn collect(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key
                    && let Some(s) = x.as_str()
                {
                    out.push(s.to_owned());
                }
                collect(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, key, out)),
        _ => {}
    }
}

fn action_ids(blocks: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    collect(&json!(blocks), "action_id", &mut out);
    out
}

fn all_text(blocks: &[Value]) -> String {
    let mut out = Vec::new();
    collect(&json!(blocks), "text", &mut out);
    out.join("\n")
}

/// No partial entity and no unbalanced token in mrkdwn.
#[track_caller]
fn assert_well_formed(s: &str) {
    for (i, _) in s.match_indices('&') {
        let rest = &s[i..];
        let in_url = s[..i]
            .rfind('<')
            .is_some_and(|lt| s[..i].rfind('>').is_none_or(|gt| gt < lt));
        assert!(
            in_url
                || rest.starts_with("&amp;")
                || rest.starts_with("&lt;")
                || rest.starts_with("&gt;"),
            "bare & in {s:?}"
        );
    }
    let mut depth = 0i32;
    let mut line_start = true;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' if line_start => {} // a block quote
            '>' => depth -= 1,
            _ => {}
        }
        line_start = c == '\n';
        assert!((0..=1).contains(&depth), "unbalanced <> in {s:?}");
    }
    assert_eq!(depth, 0, "unclosed < in {s:?}");
    assert_eq!(s.matches("```").count() % 2, 0, "open code block in {s:?}");
}

/// Every mrkdwn text object is well formed (plain_text is not parsed by Slack).
fn assert_all_well_formed(blocks: &[Value]) {
    fn walk(v: &Value) {
        match v {
            Value::Object(m) => {
                if m.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                    assert_well_formed(m["text"].as_str().unwrap());
                }
                m.values().for_each(walk);
            }
            Value::Array(a) => a.iter().for_each(walk),
            _ => {}
        }
    }
    blocks.iter().for_each(walk);
}
