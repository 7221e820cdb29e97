//! The incident message.

use super::*;

#[test]
fn the_incident_message() {
    let issues = [payments(), test_issue(14)];
    let impact = ctx().impact;
    let v = IncidentView {
        number: 7,
        title: "Payments late & <broken>",
        severity: "SEV2",
        status: "investigating",
        commander: Some("<@U0123ANA>"),
        issues: &issues,
        impact: Some(&impact),
        declared_by: "<@U0456BO>",
        declared_at: "2024-05-02T11:58:00.000000Z",
        teams: &[crate::domain::incidents::TeamContact {
            name: "finance".into(),
            slack_group: Some("S0FINANCE1".into()),
            channel: Some("C0FINANCE1".into()),
            why: vec!["owns data product Finance reporting".into()],
        }],
        paged: &[("PagerDuty".into(), None)],
        trackers: &[("jira", None), ("linear", None)],
    };
    let m = incident_message(&v);
    assert_fits(&m);
    assert!(all_text(&m.blocks).contains("📟 Paged via PagerDuty"));
    assert!(action_ids(&m.blocks).contains(&"steward.incident.ticket".to_owned()));
    // Each tracker's button goes once its ticket exists; the tickets show as links.
    let with_ticket = incident_message(&IncidentView {
        trackers: &[
            (
                "jira",
                Some(("DATA-7", "https://example.atlassian.net/browse/DATA-7")),
            ),
            ("linear", None),
        ],
        ..v
    });
    let ids = action_ids(&with_ticket.blocks);
    assert!(!ids.contains(&"steward.incident.ticket".to_owned()));
    assert!(ids.contains(&"steward.incident.ticket.linear".to_owned()));
    assert!(
        all_text(&with_ticket.blocks)
            .contains("Jira: <https://example.atlassian.net/browse/DATA-7|DATA-7>")
    );
    let both = incident_message(&IncidentView {
        trackers: &[
            (
                "jira",
                Some(("DATA-7", "https://example.atlassian.net/browse/DATA-7")),
            ),
            (
                "linear",
                Some(("ENG-3", "https://linear.app/acme/issue/ENG-3")),
            ),
        ],
        ..v
    });
    assert!(
        !action_ids(&both.blocks)
            .iter()
            .any(|a| a.starts_with("steward.incident.ticket"))
    );
    assert!(all_text(&both.blocks).contains("🎫 Jira: <https://example.atlassian.net/browse/DATA-7|DATA-7> · Linear: <https://linear.app/acme/issue/ENG-3|ENG-3>"));
    assert_eq!(
        m.blocks[0]["text"]["text"],
        "🚨 INC-7: Payments late & <broken>"
    );
    assert_eq!(
        m.text,
        "🚨 INC-7 (SEV2): Payments late &amp; &lt;broken&gt;, 2 linked issues"
    );
    let text = all_text(&m.blocks);
    for needle in [
        "*Commander*\n<@U0123ANA>",
        "*Declared by*\n<@U0456BO>",
        "*Linked issues*",
        "*#12*",
        "*#14*",
        "*Finance reporting*",
        "*Teams to contact*",
        "*finance* <!subteam^S0FINANCE1> <#C0FINANCE1> — owns data product Finance reporting",
    ] {
        assert!(text.contains(needle), "missing {needle:?}: {text}");
    }
    let actions = m.blocks.last().unwrap();
    assert_eq!(actions["block_id"], "steward.incident.7");
    assert_eq!(
        action_ids(&m.blocks),
        [
            "steward.incident.status",
            "steward.incident.severity",
            "steward.incident.commander",
            "steward.incident.link",
            "steward.incident.merge",
            "steward.incident.split",
            "steward.incident.comment",
            "steward.incident.resolve",
            "steward.incident.postmortem",
            "steward.incident.ticket",
            "steward.incident.ticket.linear"
        ]
    );
    assert!(
        actions["elements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["value"] == "7")
    );

    let many: Vec<Issue> = (0..300)
        .map(|n| {
            let mut i = test_issue(n);
            i.asset = format!("model.x.{}", "*<&>".repeat(50));
            i
        })
        .collect();
    let long = "T".repeat(1_000);
    let v = IncidentView {
        issues: &many,
        title: &long,
        commander: None,
        status: "resolved",
        trackers: &[],
        ..v
    };
    let m = incident_message(&v);
    assert_fits(&m);
    assert_all_well_formed(&m.blocks);
    let text = all_text(&m.blocks);
    assert!(text.contains("… and 2"), "{text}");
    assert!(text.contains("more (`steward issues`)"), "{text}");
    // Resolved: reopen, updates and the report only.
    assert_eq!(
        action_ids(&m.blocks),
        [
            "steward.incident.status",
            "steward.incident.comment",
            "steward.incident.postmortem"
        ]
    );
    assert!(text.contains("Reopen"), "{text}");
}
