//! The alert message and its thread replies.

use super::*;

#[test]
fn a_failing_run_alert_says_what_when_how_often_and_who() {
    let group = [payments()];
    let c = ctx();
    let m = alert_message(&view(&group, &c));
    assert_fits(&m);
    assert_all_well_formed(&m.blocks);
    assert_eq!(m.text, "🔴 stg_shop__payments: run error (prod)");
    assert_eq!(m.blocks[0]["type"], "header");
    assert_eq!(
        m.blocks[0]["text"]["text"],
        "🔴 stg_shop__payments · failing · prod"
    );
    let text = all_text(&m.blocks);
    for needle in [
        "`run`",
        "column \"amount_cents\" does not exist",
        "4 failing runs",
        "issue #12",
        "<!date^1714643220^",
        "(2h 13m ago)",
        "🎯 *Root cause*",
        "*Finance reporting*",
        "`weekly_revenue`",
        "23 downstream models, 41 downstream nodes",
        "*Let them know*: <@U0456FIN>",
        "*Owners*: <@U0123ANA>, <!subteam^S0DATA>, bo@example.com",
        "late &amp; &lt;b&gt;partial&lt;/b&gt;",
        "<https://airflow.example.com/dags/dbt/runs/42?a=1&b=2|▶️ Run>",
        "`a1b2c3d4-0000-4000-8000-000000000001`",
        "nobody yet",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let ids = action_ids(&m.blocks);
    assert_eq!(
        ids,
        [
            "steward.declare",
            "steward.assign",
            "steward.status",
            "steward.comment",
            "steward.mute"
        ]
    );
    let actions = m.blocks.last().unwrap();
    assert_eq!(actions["type"], "actions");
    assert_eq!(actions["block_id"], "steward.issue.12");
    assert_eq!(actions["elements"][0]["value"], "12");
    assert_eq!(actions["elements"][3]["value"], "12");
    let statuses = option_values(&actions["elements"][2]);
    assert_eq!(
        statuses,
        ["investigating", "fixed", "expected", "false_positive"]
    );
    let mutes = option_values(&actions["elements"][4]);
    assert_eq!(mutes, ["24h", "7d", "until_fixed"]);
    assert!(ids.iter().all(|id| id.starts_with("steward.")));
}

#[test]
fn a_group_lists_each_check_and_the_fallback_names_them() {
    let mut run = payments();
    run.assignee = Some("U0123ANA".into());
    run.status = "investigating".into();
    let mut warn = test_issue(13);
    warn.severity = "warn".into();
    warn.dbt_status = "warn".into();
    let group = [run, test_issue(14), warn];
    let c = ctx();
    let mut v = view(&group, &c);
    v.compiled_sql_available = true;
    let m = alert_message(&v);
    assert_fits(&m);
    assert_eq!(
        m.text,
        "🔴 stg_shop__payments: run error, not_null_stg_shop__payments_payment_id fail, not_null_stg_shop__payments_payment_id warn (prod)"
    );
    assert_eq!(
        m.blocks[0]["text"]["text"],
        "🔴 stg_shop__payments · failing · investigating · prod"
    );
    let text = all_text(&m.blocks);
    assert!(text.contains("37 failing rows"), "{text}");
    assert!(
        text.contains("🟡 *`not_null_stg_shop__payments_payment_id`* — warn"),
        "{text}"
    );
    assert!(text.contains("#12, #14, #13"), "{text}");
    assert!(text.contains("<@U0123ANA>"));
    let ids = action_ids(&m.blocks);
    assert!(ids.contains(&"steward.show_sql".to_owned()));
    let actions = m.blocks.last().unwrap();
    assert_eq!(actions["elements"][1]["initial_user"], "U0123ANA");
    assert_eq!(
        actions["elements"][2]["initial_option"]["value"],
        "investigating"
    );
    for id in [12, 13, 14] {
        assert!(
            m.blocks
                .iter()
                .any(|b| b["block_id"] == format!("steward.check.{id}"))
        );
    }
}

#[test]
fn a_warning_alert_is_yellow() {
    let mut w = test_issue(20);
    w.severity = "warn".into();
    w.dbt_status = "warn".into();
    let group = [w];
    let c = ctx();
    let m = alert_message(&view(&group, &c));
    assert!(
        m.text.starts_with("🟡 stg_shop__payments: not_null"),
        "{}",
        m.text
    );
    assert!(
        m.blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("warning")
    );
}

#[test]
fn a_linked_incident_hides_declare_and_is_shown() {
    let group = [payments()];
    let c = ctx();
    let mut v = view(&group, &c);
    v.incident = Some((7, "Payments <late> & *broken*"));
    let m = alert_message(&v);
    assert_fits(&m);
    let ids = action_ids(&m.blocks);
    assert!(!ids.contains(&"steward.declare".to_owned()), "{ids:?}");
    assert!(ids.contains(&"steward.assign".to_owned()));
    let text = all_text(&m.blocks);
    assert!(
        text.contains("*INC-7*: Payments &lt;late&gt; &amp; *broken*"),
        "{text}"
    );

    let mut linked = payments();
    linked.incident_id = Some(3);
    let group = [linked];
    let m = alert_message(&view(&group, &c));
    assert!(!action_ids(&m.blocks).contains(&"steward.declare".to_owned()));
}

#[test]
fn symptoms_and_symptom_of_are_summarised() {
    let mut root = payments();
    root.root_cause_of = vec![30, 31];
    root.symptoms = vec![
        Symptom {
            unique_id: "test.shop.unique_orders_id.1".into(),
            status: "fail".into(),
            issue: Some(30),
        },
        Symptom {
            unique_id: "model.shop.orders".into(),
            status: "skipped".into(),
            issue: None,
        },
        Symptom {
            unique_id: "model.shop.revenue".into(),
            status: "skipped".into(),
            issue: None,
        },
    ];
    let group = [root];
    let c = ctx();
    let text = all_text(&alert_message(&view(&group, &c)).blocks);
    assert!(
        text.contains("• 2 failing below: #30 `unique_orders_id` (fail), #31"),
        "{text}"
    );
    assert!(text.contains("• 2 skipped: `orders`, `revenue`"), "{text}");

    let mut sym = test_issue(40);
    sym.symptom_of = Some(12);
    let group = [sym];
    let text = all_text(&alert_message(&view(&group, &c)).blocks);
    assert!(text.contains("is a *symptom of #12*"), "{text}");
    assert!(!text.contains("Root cause"), "{text}");
}

#[test]
fn a_recovered_alert_keeps_context_and_drops_workflow_actions() {
    let mut i = payments();
    i.status = "resolved".into();
    i.resolution = Some("recovered".into());
    i.resolved_at = Some("2024-05-02T12:00:00.000000Z".into());
    i.muted_until = Some("2024-05-09T12:00:00.000000Z".into());
    let group = [i];
    let c = ctx();
    let mut v = view(&group, &c);
    v.compiled_sql_available = true;
    let m = alert_message(&v);
    assert_fits(&m);
    assert_eq!(m.text, "✅ stg_shop__payments: run recovered (prod)");
    let text = all_text(&m.blocks);
    assert!(text.contains("✅ *Recovered* after 2h 13m"), "{text}");
    assert!(
        text.contains("column \"amount_cents\""),
        "context kept: {text}"
    );
    assert!(!text.contains("Muted until"), "{text}");
    assert_eq!(
        action_ids(&m.blocks),
        ["steward.comment", "steward.show_sql"]
    );

    let mut f = payments();
    f.status = "resolved".into();
    f.resolution = Some("false_positive".into());
    f.resolution_reason = Some("Test was <wrong> & flaky".into());
    f.resolved_at = Some("2024-05-02T11:00:00.000000Z".into());
    let group = [f];
    let m = alert_message(&view(&group, &c));
    assert_fits(&m);
    let text = all_text(&m.blocks);
    assert!(text.contains("*Resolved as false positive*"), "{text}");
    assert!(
        text.contains("> Test was &lt;wrong&gt; &amp; flaky"),
        "{text}"
    );
    assert_eq!(action_ids(&m.blocks), ["steward.comment"]);
}

#[test]
fn muted_and_unknown_assets_are_said() {
    let mut i = issue(50, "analytics.raw_events", "airflow_sla");
    i.asset_known = false;
    i.origin = "alert".into();
    i.source_system = Some("airflow".into());
    i.muted_until = Some("2024-05-03T12:00:00.000000Z".into());
    let group = [i];
    let c = ctx();
    let mut v = view(&group, &c);
    v.impact = None;
    v.tell_mentions = &[];
    v.owner_mentions = &[];
    let m = alert_message(&v);
    assert_fits(&m);
    let text = all_text(&m.blocks);
    assert!(text.contains("🔕 Muted until <!date^1714737600^"), "{text}");
    assert!(text.contains("is not in the dbt manifest"), "{text}");
    assert!(text.contains("alert (airflow)"), "{text}");
    assert!(text.contains("*Owners*: ana@example.com"), "{text}");
}

#[test]
fn a_huge_alert_still_fits_and_says_where_the_rest_is() {
    let evil = "*bold* <!channel> <script> & `tick` ```fence``` _it_ ~s~ ".repeat(40);
    let mut group = Vec::new();
    for id in 0..60 {
        let mut i = issue(
            1000 + id,
            &format!("model.shop.{}", "very_long_model_name_".repeat(20)),
            &format!("test.shop.{}{id}.abc", evil.replace(' ', "_")),
        );
        i.env = evil.clone();
        i.message = Some(format!("{}\n", "x".repeat(10_000)).repeat(3) + &evil);
        i.failures = Some(9_999_999_999);
        i.run_id = Some(evil.clone());
        i.assignee = Some(evil.clone());
        i.source_system = Some(evil.clone());
        i.owners = vec![evil.clone(); 100];
        i.muted_until = Some(evil.clone());
        i.url = Some(format!("https://example.com/{}", "p".repeat(5_000)));
        i.root_cause_of = (0..500).collect();
        i.symptoms = (0..500)
            .map(|n| Symptom {
                unique_id: format!("model.shop.m{n}_{}", "z".repeat(200)),
                status: if n % 2 == 0 {
                    "skipped".into()
                } else {
                    evil.clone()
                },
                issue: (n % 2 == 1).then_some(5000 + n),
            })
            .collect();
        group.push(i);
    }
    let impact = Impact {
        data_products: vec![evil.clone(); 1000],
        exposures: vec![format!("exposure.shop.{evil}"); 1000],
        owners: vec![evil.clone(); 10],
        downstream_count: 100_000,
        models: 15_000,
    };
    let mentions: Vec<String> = (0..500).map(|n| format!("<@U{n:08}>")).collect();
    let comments: Vec<Comment> = (0..10)
        .map(|n| Comment {
            id: n,
            author: evil.clone(),
            body: evil.repeat(10),
            at: evil.clone(),
        })
        .collect();
    let links = Links {
        docs_url: Some(format!("https://docs/{}", "d|<>".repeat(2_000))),
        run_url: Some(format!("https://run/{evil}")),
        log_url: Some(format!("javascript:{evil}")),
    };
    let v = AlertView {
        group: &group,
        impact: Some(&impact),
        owner_mentions: &mentions,
        tell_mentions: &mentions,
        recent_comments: &comments,
        links: &links,
        incident: Some((9, &evil)),
        compiled_sql_available: true,
        trackers: &[],
        tickets: &[],
        now: now(),
    };
    let m = alert_message(&v);
    assert_fits(&m);
    assert_all_well_formed(&m.blocks);
    let mut md_texts = Vec::new();
    for b in &m.blocks {
        if b["type"] != "header" {
            collect(b, "text", &mut md_texts);
        }
    }
    let md_texts = md_texts.join("\n");
    assert!(
        !md_texts.contains("<!channel>"),
        "channel ping must be escaped"
    );
    assert!(!md_texts.contains("<script>"));
    assert!(!m.text.contains("<!channel>"));
    let text = all_text(&m.blocks);
    assert!(text.contains("… and 55 more checks failing"), "{text}");
    assert!(text.contains("see `steward issue 1000`"), "{text}");
    assert!(
        text.contains("more lines") || text.contains("… (see `steward issue"),
        "{text}"
    );
    assert!(text.contains("• 750 failing below: #5001 `m1_"), "{text}");
    assert!(text.contains("• 250 skipped: `m0_"), "{text}");
    assert!(text.contains("… and 488 more"), "{text}");
    assert!(
        text.contains("Docs: link too long to show (see `steward issue 1000`)"),
        "{text}"
    );
    assert!(text.contains("Logs: `javascript:"), "{text}");
    assert_eq!(m.blocks.last().unwrap()["block_id"], "steward.issue.1000");
    assert!(action_ids(&m.blocks).contains(&"steward.show_sql".to_owned()));
    assert!(m.text.chars().count() <= 1_000);
    assert!(m.text.contains("and 57 more"), "{}", m.text);
}

#[test]
fn every_alert_size_fits() {
    let c = ctx();
    for n in [1usize, 2, 5, 6, 20, 200] {
        for msg_len in [0usize, 100, 2_999, 3_000, 3_001, 12_000] {
            let group: Vec<Issue> = (0..n)
                .map(|k| {
                    let mut i = test_issue(k as i64 + 1);
                    i.message = (msg_len > 0).then(|| "é&<".repeat(msg_len / 3));
                    i.symptoms = (0..n * 3)
                        .map(|s| Symptom {
                            unique_id: format!("model.p.m{s}"),
                            status: "skipped".into(),
                            issue: None,
                        })
                        .collect();
                    i
                })
                .collect();
            let m = alert_message(&view(&group, &c));
            assert_fits(&m);
            assert_all_well_formed(&m.blocks);
            assert_eq!(m.blocks.last().unwrap()["type"], "actions");
        }
    }
    let empty = alert_message(&view(&[], &c));
    assert_fits(&empty);
}

#[test]
fn thread_replies() {
    let m = activity_reply("<@U1ANA>", "assigned <@U2BO>");
    assert_fits(&m);
    assert_eq!(m.text, "<@U1ANA> assigned <@U2BO>");
    let m = activity_reply(
        "<@U1ANA>",
        "commented: a < b & <!channel> <!subteam^S1DATA>",
    );
    assert_eq!(
        m.text,
        "<@U1ANA> commented: a &lt; b &amp; &lt;!channel&gt; <!subteam^S1DATA>"
    );
    assert_fits(&activity_reply(&"x".repeat(5_000), &"<&>".repeat(5_000)));

    let mut i = payments();
    i.status = "resolved".into();
    i.resolution = Some("recovered".into());
    i.resolved_at = Some("2024-05-02T12:00:00.000000Z".into());
    let m = recovery_reply(&i, now());
    assert_fits(&m);
    assert_eq!(m.text, "✅ `run` recovered after 2h 13m, 4 failing runs");
    i.resolved_at = None;
    i.resolution = Some("fixed".into());
    i.resolution_reason = Some("backfilled <raw>".into());
    i.occurrences = 1;
    let m = recovery_reply(&i, now() + chrono::Duration::hours(1));
    assert_eq!(
        m.text,
        "✅ `run` resolved as fixed after 3h 13m, 1 failing run: backfilled &lt;raw&gt;"
    );
    i.resolution_reason = Some("y".repeat(50_000));
    assert_fits(&recovery_reply(&i, now()));

    let mut t = test_issue(14);
    t.occurrences = 5;
    let m = repeat_failure_reply(&t);
    assert_fits(&m);
    assert!(m.text.starts_with("🔁 `not_null_stg_shop__payments_payment_id` failed again (fail): 5 failing runs since <!date^"), "{}", m.text);
    assert!(m.text.contains("37 failing rows now"));
    assert!(all_text(&m.blocks).contains("```Got 37 results"));
    t.message = Some("z".repeat(20_000));
    t.check = "q".repeat(5_000);
    assert_fits(&repeat_failure_reply(&t));
}

#[test]
fn a_recovered_root_keeps_what_it_explained() {
    let mut root = payments();
    root.status = "resolved".into();
    root.resolution = Some("recovered".into());
    root.resolved_at = Some("2024-05-02T12:00:00.000000Z".into());
    root.root_cause_of = vec![30];
    root.symptoms = vec![Symptom {
        unique_id: "test.shop.unique_orders_id.1".into(),
        status: "resolved".into(),
        issue: Some(30),
    }];
    for n in 0..24 {
        root.symptoms.push(Symptom {
            unique_id: format!("model.shop.m{n:02}"),
            status: "skipped".into(),
            issue: None,
        });
    }
    let group = [root.clone()];
    let c = ctx();
    let m = alert_message(&view(&group, &c));
    assert_fits(&m);
    let text = all_text(&m.blocks);
    assert!(
        text.contains("🎯 *Was the root* of 24 skipped nodes and 1 failure below."),
        "{text}"
    );
    assert!(text.contains("• 1 failed below: #30"), "{text}");
    assert!(text.contains("• 24 skipped: `m00`"), "{text}");
    assert!(!text.contains("nothing downstream"), "{text}");

    let reply = recovery_reply(&root, now());
    assert_eq!(
        reply.text,
        "✅ `run` recovered after 2h 13m, 4 failing runs; was the root of 24 skipped nodes and 1 failure below"
    );

    // A recovered root that explained nothing says so in the past tense.
    let mut alone = root;
    alone.symptoms.clear();
    alone.root_cause_of.clear();
    let group = [alone];
    let text = all_text(&alert_message(&view(&group, &c)).blocks);
    assert!(
        text.contains("nothing downstream failed or was skipped because of it"),
        "{text}"
    );
}
