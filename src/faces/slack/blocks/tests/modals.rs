//! The modals.

use super::*;

#[test]
fn the_sql_modal_splits_and_points_to_the_full_text() {
    let sql = "select\n  payment_id,\n  amount_cents / 100.0 as amount\nfrom raw.stripe.payments\nwhere status <> 'failed' and a < b && c > d";
    let v = sql_modal(12, "model.shop.stg_shop__payments", sql);
    assert_view_fits(&v);
    assert_eq!(v.0["type"], "modal");
    assert_eq!(v.0["title"]["text"], "Compiled SQL");
    assert_eq!(v.0["private_metadata"], r#"{"issue":12}"#);
    let blocks = v.0["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    let body = blocks[1]["text"]["text"].as_str().unwrap();
    assert!(body.starts_with("```select\n"), "{body}");
    assert!(
        body.contains("status &lt;&gt; 'failed' and a &lt; b &amp;&amp; c &gt; d```"),
        "{body}"
    );

    let line = "select a.*, b.`col` from `proj.ds.t` a join b on a.id = b.id -- <&> ``` x\n";
    let big = line.repeat(60_000 / line.len() + 1);
    let v = sql_modal(7, "model.shop.big", &big);
    assert_view_fits(&v);
    let blocks = v.0["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1 + SQL_SECTIONS + 1);
    let last = blocks.last().unwrap()["text"]["text"].as_str().unwrap();
    assert!(last.contains("target/compiled/"), "{last}");
    assert!(last.contains("steward issue 7 --json"), "{last}");
    assert!(last.contains("more characters not shown"), "{last}");
    for b in &blocks[1..=SQL_SECTIONS] {
        let t = b["text"]["text"].as_str().unwrap();
        assert!(t.starts_with("```") && t.ends_with("```"));
        assert_eq!(t.matches("```").count(), 2, "{t}");
        assert!(
            t.trim_end_matches("```").ends_with(" x"),
            "split at a line end"
        );
    }

    let one_line_sql = "x".repeat(10_000);
    let v = sql_modal(8, "m", &one_line_sql);
    assert_view_fits(&v);
    let shown: usize = v.0["blocks"].as_array().unwrap()[1..]
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap().matches('x').count())
        .sum();
    assert_eq!(shown, 10_000, "nothing lost when it fits");

    let v = sql_modal(9, "m", "");
    assert_view_fits(&v);
    assert!(all_text(v.0["blocks"].as_array().unwrap()).contains("No compiled SQL"));
}

#[test]
fn the_declare_modal_has_its_inputs() {
    let d = DeclareDraft {
        issue_id: 12,
        title: "stg_shop__payments failing in prod".into(),
        candidates: vec![
            (12, "stg_shop__payments: run".into()),
            (14, "orders: unique_orders_id".into()),
        ],
        preselected: vec![12],
        severity: Some("sev2".into()),
    };
    let v = declare_modal(&d);
    assert_view_fits(&v);
    let m = &v.0;
    assert_eq!(m["callback_id"], "steward.declare");
    assert_eq!(m["submit"]["text"], "Declare");
    let meta: Value = serde_json::from_str(m["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(meta, json!({"issue": 12}));
    let blocks = m["blocks"].as_array().unwrap();
    let ids: Vec<&str> = blocks
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["title", "severity", "description", "commander", "issues"]
    );
    assert_eq!(
        action_ids(blocks),
        [
            "steward.title",
            "steward.severity",
            "steward.description",
            "steward.commander",
            "steward.issues"
        ]
    );
    assert_eq!(
        blocks[0]["element"]["initial_value"],
        "stg_shop__payments failing in prod"
    );
    assert_eq!(blocks[1]["element"]["initial_option"]["value"], "SEV2");
    assert_eq!(blocks[2]["element"]["multiline"], true);
    assert_eq!(blocks[2]["optional"], true);
    assert_eq!(blocks[3]["element"]["type"], "users_select");
    assert_eq!(blocks[3]["optional"], true);
    assert_eq!(blocks[4]["element"]["type"], "multi_static_select");
    assert_eq!(blocks[4]["element"]["initial_options"][0]["value"], "12");
    assert_eq!(
        blocks[4]["element"]["initial_options"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let big = DeclareDraft {
        issue_id: 1,
        title: "T<&>*".repeat(100),
        candidates: (0..300)
            .map(|n| (n, format!("{}{n}", "long label *<&> ".repeat(20))))
            .collect(),
        preselected: vec![250, 299, 9999],
        severity: Some("bogus".into()),
    };
    let v = declare_modal(&big);
    assert_view_fits(&v);
    let blocks = v.0["blocks"].as_array().unwrap();
    let el = &blocks[4]["element"];
    assert_eq!(el["options"].as_array().unwrap().len(), 100);
    let initial: Vec<&str> = el["initial_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(initial, ["250", "299"]);
    assert!(blocks[1]["element"].get("initial_option").is_none());
    assert_eq!(
        blocks[0]["element"]["initial_value"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        150
    );
    assert!(all_text(blocks).contains("Showing 100 of 300"));

    let none = declare_modal(&DeclareDraft {
        issue_id: 3,
        title: String::new(),
        ..Default::default()
    });
    assert_view_fits(&none);
    assert!(all_text(none.0["blocks"].as_array().unwrap()).contains("issue #3 will be linked"));
}

#[test]
fn the_reason_and_comment_modals() {
    let v = reason_modal(12, "fixed", None);
    assert_view_fits(&v);
    assert_eq!(v.0["callback_id"], "steward.reason");
    assert_eq!(v.0["title"]["text"], "Resolve: fixed");
    let meta: Value = serde_json::from_str(v.0["private_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(meta, json!({"issue": 12, "resolution": "fixed"}));
    let blocks = v.0["blocks"].as_array().unwrap();
    let cats = option_values(&blocks[1]["element"]);
    assert_eq!(
        cats,
        [
            "upstream_source_late",
            "code_change",
            "schema_change",
            "infrastructure",
            "bad_data_at_source",
            "other"
        ]
    );
    assert_eq!(blocks[2]["element"]["multiline"], true);
    assert_eq!(
        action_ids(blocks),
        ["steward.reason_category", "steward.reason_text"]
    );
    assert_eq!(
        reason_modal(1, "false_positive", None).0["title"]["text"],
        "Resolve: false positive"
    );
    assert_view_fits(&reason_modal(1, &"<&>*".repeat(1_000), None));

    // An issue of an open incident: a warning and a required confirmation.
    let v = reason_modal(12, "fixed", Some(3));
    assert_view_fits(&v);
    let text = v.0.to_string();
    assert!(
        text.contains("part of *INC-3*, which is still open"),
        "{text}"
    );
    let confirm = v.0["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "confirm")
        .expect("a confirm block");
    assert_eq!(confirm["optional"], false);
    assert_eq!(confirm["element"]["type"], "checkboxes");
    assert_eq!(
        v.0["private_metadata"],
        r#"{"incident":3,"issue":12,"resolution":"fixed"}"#
    );

    let v = comment_modal(12);
    assert_view_fits(&v);
    assert_eq!(v.0["callback_id"], "steward.comment");
    assert_eq!(v.0["private_metadata"], r#"{"issue":12}"#);
    assert_eq!(
        action_ids(v.0["blocks"].as_array().unwrap()),
        ["steward.comment_text"]
    );
    assert_view_fits(&comment_modal(i64::MIN));
}

#[test]
fn the_expected_reason_modal_asks_how_long_to_mute_the_check() {
    let v = reason_modal(12, "expected", None);
    assert_view_fits(&v);
    let blocks = v.0["blocks"].as_array().unwrap();
    assert_eq!(
        action_ids(blocks),
        [
            "steward.reason_category",
            "steward.reason_text",
            "steward.mute_for"
        ]
    );
    let mute = blocks.last().unwrap();
    assert_eq!(mute["type"], "input");
    assert_eq!(mute["block_id"], "mute_for");
    assert_eq!(mute["label"]["text"], "Mute this check for");
    assert_eq!(mute["element"]["type"], "static_select");
    let values = option_values(&mute["element"]);
    assert_eq!(values, ["24h", "7d", "30d"]);
    assert_eq!(mute["element"]["initial_option"]["value"], "24h");
    for value in values {
        assert!(crate::config::parse_duration(value).is_some(), "{value}");
    }
    // Only `expected` mutes.
    for other in ["fixed", "false_positive"] {
        let v = reason_modal(12, other, None);
        assert!(
            !v.0.to_string().contains("mute_for"),
            "{other} has no mute select"
        );
    }
}

#[test]
fn incident_modals_fit_slack() {
    for v in [
        incident_status_modal(12345, "identified"),
        incident_resolve_modal(12345),
        incident_comment_modal(7, &[]),
        incident_comment_modal(7, &vec!["C0FINANCE1".to_owned(); 40]),
    ] {
        assert!(v.violations().is_empty(), "{:?}", v.violations());
    }
    // With product channels, the update also goes to them unless unticked.
    let v = incident_comment_modal(7, &["C0FINANCE1".to_owned(), "data-eng".to_owned()]);
    let notify = &v.0["blocks"][1];
    assert_eq!(notify["block_id"], "notify");
    assert_eq!(notify["element"]["initial_options"][0]["value"], "products");
    assert!(
        v.0.to_string().contains("<#C0FINANCE1> #data-eng"),
        "{}",
        v.0
    );
    assert_eq!(
        incident_comment_modal(7, &[]).0["blocks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let v = incident_status_modal(3, "identified");
    assert_eq!(
        v.0["blocks"][0]["element"]["initial_option"]["value"],
        "identified"
    );
}
