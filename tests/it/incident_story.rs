//! The whole incident story through the fake Slack, in one run: declare from an alert with
//! related issues, hand over command and raise the severity from the incident message, add an
//! issue, talk in the thread, send a stakeholder update, resolve with a reason, share the
//! post-incident report, and see the App Home, the product channel and `/status.json` follow.
//! Also: two status changes at the same moment both land in the timeline.

use crate::slack_support::{alert_of, click, command, issue_id, outbox_drained};
use crate::support::{FINANCE, INCIDENTS, TestApp, TestBot};
use serde_json::{Value, json};
use std::time::Duration;
use steward::faces::slack::fake::{ActionValue, EnvelopeKind, block_action};

fn revenue() -> steward::config::ProductConfig {
    steward::config::ProductConfig {
        name: "revenue".into(),
        team: "finance".into(),
        channel: Some(FINANCE.into()),
        tier: Some(1),
        sla: Some("99.5%".into()),
        window: Duration::from_secs(30 * 86_400),
        select: vec!["+fct_revenue".into()],
        line: 0,
        select_lines: Vec::new(),
    }
}

/// Presses one of incident `n`'s buttons as `user`; returns once the bot acked.
pub(crate) async fn press(bot: &TestBot, user: &str, n: i64, action: &str) {
    let inc_ts = bot.top_level(INCIDENTS)[0].ts.clone();
    let env = bot
        .fake
        .send_envelope(
            EnvelopeKind::Interactive,
            block_action(
                user,
                INCIDENTS,
                &inc_ts,
                action,
                &format!("steward.incident.{n}"),
                ActionValue::Button(n.to_string()),
                &bot.fake.issue_trigger_id(),
            ),
        )
        .await;
    bot.fake
        .wait_for_ack(&env, Duration::from_secs(5))
        .await
        .expect("acked");
}

fn in_thread(bot: &TestBot, channel: &str, thread: &str, needle: &str) -> bool {
    bot.fake.messages(channel).iter().any(|m| {
        m.thread_ts.as_deref() == Some(thread)
            && (m.text.contains(needle)
                || m.blocks
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains(needle)))
    })
}

fn posted(bot: &TestBot, channel: &str, needle: &str) -> bool {
    bot.top_level(channel).iter().any(|m| {
        m.text.contains(needle)
            || m.blocks
                .as_ref()
                .is_some_and(|b| b.to_string().contains(needle))
    })
}

fn timeline_kinds(bot: &TestBot, n: i64) -> Vec<String> {
    bot.app()
        .incident_timeline(n)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_incident_story_in_slack() {
    let bot = TestBot::start_with_products(Vec::new(), vec![revenue()], |_| {}).await;
    bot.ingest("broken").await;
    outbox_drained(&bot).await;

    // The product's channel hears that it is degraded, without the raw issues.
    bot.until("revenue degraded", |_| posted(&bot, FINANCE, "is degraded"))
        .await;
    assert!(
        !posted(&bot, FINANCE, "stg_shop__payments"),
        "the product channel gets no raw issues"
    );

    // 1. Declare from the payments alert; lineage pre-selects the related issues.
    let payments = issue_id(&bot, "stg_shop__payments", "run");
    let related: Vec<i64> = tokio::task::block_in_place(|| bot.app().related_issues(payments))
        .unwrap()
        .into_iter()
        .filter(|(_, pre)| *pre)
        .map(|(i, _)| i.id)
        .collect();
    click(
        &bot,
        "U0ANA",
        payments,
        "steward.declare",
        ActionValue::Button(payments.to_string()),
    )
    .await;
    let view = bot.modal("steward.declare").await;
    let initial: Vec<i64> = view.view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "issues")
        .and_then(|b| b["element"]["initial_options"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|o| o["value"].as_str()?.parse().ok())
        .collect();
    for id in &related {
        if *id != payments {
            assert!(initial.contains(id), "issue {id} pre-selected: {initial:?}");
        }
    }
    let selected: Vec<Value> = initial
        .iter()
        .map(|id| json!({"value": id.to_string(), "text": {"type": "plain_text", "text": format!("#{id}")}}))
        .collect();
    bot.submit(&view, "U0ANA", json!({
        "title": {"steward.title": {"type": "plain_text_input", "value": "Revenue dashboard is stale"}},
        "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV3", "text": {"type": "plain_text", "text": "SEV3"}}}},
        "commander": {"steward.commander": {"type": "users_select", "selected_user": "U0ANA"}},
        "issues": {"steward.issues": {"type": "multi_static_select", "selected_options": selected}},
    }))
    .await;
    bot.until("incident message", |_| !bot.top_level(INCIDENTS).is_empty())
        .await;
    let inc_ts = bot.top_level(INCIDENTS)[0].ts.clone();
    let declared = bot.app().incident(1).unwrap();
    assert!(declared.issues.contains(&payments));
    bot.until("revenue hears of INC-1", |_| {
        posted(&bot, FINANCE, "is affected by an incident") && posted(&bot, FINANCE, "INC-1")
    })
    .await;

    // Closing the payments issue by hand while INC-1 is open asks for a confirmation.
    click(
        &bot,
        "U0BRUNO",
        payments,
        "steward.status",
        ActionValue::StaticSelect {
            value: "fixed".into(),
            text: "✅ Fixed".into(),
        },
    )
    .await;
    let view = bot.modal("steward.reason").await;
    assert!(view.view.to_string().contains("INC-1"), "{:#}", view.view);
    let ack = bot
        .submit(&view, "U0BRUNO", json!({
            "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}},
        }))
        .await;
    assert!(
        ack.payload
            .as_ref()
            .and_then(|p| p.pointer("/errors/confirm"))
            .is_some(),
        "{ack:?}"
    );
    assert_eq!(bot.app().issue(payments).unwrap().issue.status, "open");

    // 2. Hand over command and raise the severity from the incident message.
    press(&bot, "U0ANA", 1, "steward.incident.commander").await;
    let view = bot.modal("steward.incident_commander").await;
    assert_eq!(
        view.view["blocks"][0]["element"]["initial_user"], "U0ANA",
        "the current commander is pre-selected"
    );
    bot.submit(
        &view,
        "U0ANA",
        json!({"commander": {"steward.commander": {"type": "users_select", "selected_user": "U0BRUNO"}}}),
    )
    .await;
    press(&bot, "U0BRUNO", 1, "steward.incident.severity").await;
    let view = bot.modal("steward.incident_severity").await;
    let severity_modal = view.clone();
    bot.submit(&view, "U0BRUNO", json!({
        "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV1", "text": {"type": "plain_text", "text": "SEV1"}}}},
    }))
    .await;
    bot.until("commander and severity changed", |_| {
        let i = bot.app().incident(1).unwrap();
        i.commander.as_deref() == Some("<@U0BRUNO>") && i.severity == "SEV1"
    })
    .await;
    bot.until("the thread says so", |_| {
        in_thread(&bot, INCIDENTS, &inc_ts, "made <@U0BRUNO> the commander")
            && in_thread(&bot, INCIDENTS, &inc_ts, "SEV1")
    })
    .await;
    bot.until("the message shows it", |f| {
        f.messages(INCIDENTS).iter().any(|m| {
            m.ts == inc_ts
                && m.blocks.as_ref().is_some_and(|b| {
                    let t = b.to_string();
                    t.contains("SEV1") && t.contains("<@U0BRUNO>")
                })
        })
    })
    .await;

    // Add an issue that lineage does not relate: it is offered, and a typed number works too.
    let before = bot.app().incident(1).unwrap().issues;
    let unrelated = bot
        .app()
        .issues(&steward::domain::issues::IssueFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.is_active() && !before.contains(&i.id))
        .expect("an open issue outside the incident")
        .id;
    press(&bot, "U0BRUNO", 1, "steward.incident.link").await;
    let view = bot.modal("steward.incident_link").await;
    assert!(
        view.view.to_string().contains(&format!("#{unrelated} ")),
        "offered: {:#}",
        view.view
    );
    let ack = bot
        .submit(
            &view,
            "U0BRUNO",
            json!({"issue_numbers": {"steward.issue_numbers": {"type": "plain_text_input", "value": "banana"}}}),
        )
        .await;
    assert_eq!(
        ack.payload
            .as_ref()
            .and_then(|p| p.pointer("/errors/issue_numbers"))
            .and_then(Value::as_str)
            .map(|s| s.contains("banana")),
        Some(true),
        "{ack:?}"
    );
    bot.submit(
        &view,
        "U0BRUNO",
        json!({"issue_numbers": {"steward.issue_numbers": {"type": "plain_text_input", "value": format!("#{unrelated}")}}}),
    )
    .await;
    bot.until("issue linked", |_| {
        bot.app().incident(1).unwrap().issues.contains(&unrelated)
    })
    .await;

    // 3. People talk in the incident thread; replies become incident comments.
    bot.fake
        .post_as_user(
            "U0CARLA",
            INCIDENTS,
            "the payments column was renamed upstream",
            Some(&inc_ts),
        )
        .await;
    bot.until("thread reply stored", |_| {
        timeline_kinds(&bot, 1).iter().any(|k| k == "commented")
    })
    .await;

    // 4. A stakeholder update reaches the thread and the product channel.
    command(&bot, "update INC-1 Backfill running, ETA 2h").await;
    bot.until("update delivered", |_| {
        in_thread(&bot, INCIDENTS, &inc_ts, "Backfill running, ETA 2h")
            && posted(&bot, FINANCE, "Backfill running, ETA 2h")
    })
    .await;

    // The same from the incident message's "Add update" button: the modal offers the product
    // channels, ticked; unticked, the update stays in the thread.
    press(&bot, "U0BRUNO", 1, "steward.incident.comment").await;
    let view = bot.modal("steward.incident_comment").await;
    assert!(
        view.view.to_string().contains("<#C0FINANCE1>"),
        "{:#}",
        view.view
    );
    bot.submit(&view, "U0BRUNO", json!({
        "comment": {"steward.comment_text": {"type": "plain_text_input", "value": "Revert merged, rerun started"}},
        "notify": {"steward.notify": {"type": "checkboxes", "selected_options": [{"value": "products", "text": {"type": "plain_text", "text": "Also post"}}]}},
    }))
    .await;
    press(&bot, "U0BRUNO", 1, "steward.incident.comment").await;
    let view = bot.modal("steward.incident_comment").await;
    bot.submit(&view, "U0BRUNO", json!({
        "comment": {"steward.comment_text": {"type": "plain_text_input", "value": "Internal: checking the backfill job"}},
        "notify": {"steward.notify": {"type": "checkboxes", "selected_options": []}},
    }))
    .await;
    bot.until("both updates in the thread", |_| {
        in_thread(&bot, INCIDENTS, &inc_ts, "Revert merged, rerun started")
            && in_thread(
                &bot,
                INCIDENTS,
                &inc_ts,
                "Internal: checking the backfill job",
            )
    })
    .await;
    bot.until("the ticked one in the product channel", |_| {
        posted(&bot, FINANCE, "Revert merged, rerun started")
    })
    .await;
    outbox_drained(&bot).await;
    assert!(!posted(
        &bot,
        FINANCE,
        "Internal: checking the backfill job"
    ));

    // The fix lands: the next run passes.
    bot.ingest("healthy").await;
    outbox_drained(&bot).await;
    // The incident's thread says so, as it happens.
    bot.until("recovery in the incident thread", |_| {
        in_thread(
            &bot,
            INCIDENTS,
            &inc_ts,
            &format!("#{payments} `run` on `stg_shop__payments` recovered"),
        )
    })
    .await;

    // 5. Resolve with a summary and a reason.
    press(&bot, "U0BRUNO", 1, "steward.incident.resolve").await;
    let view = bot.modal("steward.incident_resolve").await;
    bot.submit(&view, "U0BRUNO", json!({
        "summary": {"steward.incident_summary": {"type": "plain_text_input", "value": "A renamed column broke payments; reverted and backfilled."}},
        "category": {"steward.reason_category": {"type": "static_select", "selected_option": {"value": "code_change", "text": {"type": "plain_text", "text": "Code change"}}}},
    }))
    .await;
    bot.until("resolved", |_| {
        bot.app().incident(1).unwrap().status == "resolved"
    })
    .await;
    bot.until("revenue is operational again", |_| {
        posted(&bot, FINANCE, "is operational again")
            && posted(&bot, FINANCE, "reverted and backfilled")
    })
    .await;

    // A stale button on the resolved incident is refused, and nothing changes.
    press(&bot, "U0ANA", 1, "steward.incident.severity").await;
    bot.until("stale button refused", |f| {
        f.messages(INCIDENTS)
            .iter()
            .any(|m| m.ephemeral && m.text.contains("resolved"))
    })
    .await;
    assert_eq!(bot.app().incident(1).unwrap().severity, "SEV1");
    // So is a modal opened before the resolution and submitted after it.
    let refusals = |f: &steward::faces::slack::fake::FakeSlack| {
        f.messages(INCIDENTS)
            .iter()
            .filter(|m| m.ephemeral && m.text.contains("resolved"))
            .count()
    };
    let before = refusals(&bot.fake);
    bot.submit(&severity_modal, "U0ANA", json!({
        "severity": {"steward.severity": {"type": "static_select", "selected_option": {"value": "SEV4", "text": {"type": "plain_text", "text": "SEV4"}}}},
    }))
    .await;
    bot.until("stale modal refused", |f| refusals(f) > before)
        .await;
    assert_eq!(bot.app().incident(1).unwrap().severity, "SEV1");

    // 6. The post-incident report appears in the thread.
    press(&bot, "U0ANA", 1, "steward.incident.postmortem").await;
    bot.until("postmortem in the thread", |_| {
        in_thread(&bot, INCIDENTS, &inc_ts, "Post-incident report for INC-1")
    })
    .await;
    let report: String = bot
        .fake
        .messages(INCIDENTS)
        .iter()
        .filter(|m| m.text.contains("Post-incident report for INC-1"))
        .map(|m| m.blocks.as_ref().map(|b| b.to_string()).unwrap_or_default())
        .collect();
    for section in [
        "*Summary*",
        "*Timeline*",
        "*Root cause*",
        "*Impact*",
        "stg_shop__payments",
        "reverted and backfilled",
        "code_change",
    ] {
        assert!(report.contains(section), "missing {section}: {report}");
    }

    // The timeline has every step, notifications included.
    outbox_drained(&bot).await;
    let kinds = timeline_kinds(&bot, 1);
    for kind in [
        "declared",
        "commander_changed",
        "severity_changed",
        "issue_linked",
        "commented",
        "status_changed",
        "notified",
        "postmortem_requested",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
    let notified: Vec<String> = bot
        .app()
        .incident_timeline(1)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "notified")
        .map(|e| e.detail["channel"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(notified.iter().any(|c| c == FINANCE), "{notified:?}");
    assert!(notified.iter().any(|c| c == INCIDENTS), "{notified:?}");

    // 7. The App Home and the public status page reflect it.
    bot.open_home("U0DMITRI").await;
    bot.until("home shows the products", |f| {
        f.home_view("U0DMITRI").is_some_and(|h| {
            let t = h.view.to_string();
            t.contains("Data products") && t.contains("*revenue*") && t.contains("operational")
        })
    })
    .await;
    let server = steward::faces::http::start(bot.app().clone(), "127.0.0.1:0", None)
        .await
        .unwrap();
    let status =
        crate::support::http_get_json(&format!("http://{}/status.json", server.addr)).await;
    let revenue = status["data_products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "revenue")
        .expect("revenue on the status page")
        .clone();
    assert_eq!(revenue["status"], "operational", "{status:#}");
    let uptime = revenue["uptime"].as_f64().unwrap();
    assert!(uptime < 1.0 && uptime > 0.99, "downtime counted: {uptime}");
    assert!(
        status["open_incidents"].as_array().unwrap().is_empty(),
        "{status:#}"
    );
    let (channel, _) = alert_of(&bot, payments);
    assert!(!channel.is_empty());
    bot.stop().await;
}

#[test]
fn two_status_changes_at_the_same_moment_both_land_and_the_last_wins() {
    let t = TestApp::new();
    let incident = t
        .app
        .declare(
            steward::domain::incidents::Declaration {
                title: "Orders late".into(),
                severity: "SEV2".into(),
                declared_by: "ana".into(),
                ..Default::default()
            },
            &steward::domain::access::Actor::admin("ana"),
        )
        .unwrap();
    let n = incident.number;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = [("ana", "identified"), ("bruno", "monitoring")]
        .into_iter()
        .map(|(who, status)| {
            let (app, barrier) = (t.app.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                app.incident_status(
                    n,
                    status,
                    &steward::domain::access::Actor::admin(who),
                    None,
                    None,
                )
                .unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let timeline = t.app.incident_timeline(n).unwrap();
    let changes: Vec<(String, String)> = timeline
        .iter()
        .filter(|e| e.kind == "status_changed")
        .map(|e| {
            (
                e.actor.clone().unwrap_or_default(),
                e.detail["to"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(changes.len(), 2, "{timeline:?}");
    assert!(changes.iter().any(|(a, s)| a == "ana" && s == "identified"));
    assert!(
        changes
            .iter()
            .any(|(a, s)| a == "bruno" && s == "monitoring")
    );
    // The final state is the one written last.
    assert_eq!(t.app.incident(n).unwrap().status, changes[1].1);
    // Each change saw the one before it.
    let froms: Vec<&str> = timeline
        .iter()
        .filter(|e| e.kind == "status_changed")
        .map(|e| e.detail["from"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(froms[0], "investigating");
    assert_eq!(froms[1], changes[0].1);
}
