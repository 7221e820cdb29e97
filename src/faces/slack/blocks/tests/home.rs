//! The App Home tab.

use super::*;

#[test]
fn the_home_tab_caps_everything() {
    let mut mine = payments();
    mine.assignee = Some("<@U0123ANA>".into());
    mine.status = "acknowledged".into();
    let products = vec![("Finance".to_owned(), vec![mine.clone(), test_issue(14)])];
    let unowned = vec![issue(20, "model.shop.orders", "run")];
    let muted = vec![
        HomeMute {
            asset: "model.shop.events".to_owned(),
            check: None,
            until: "2024-05-03T12:00:00.000000Z".to_owned(),
            reason: None,
        },
        HomeMute {
            asset: "model.shop.orders".to_owned(),
            check: Some("test.shop.not_null_orders_id.1a2b".to_owned()),
            until: "2024-05-03T12:00:00.000000Z".to_owned(),
            reason: Some("backfill <until> Friday".to_owned()),
        },
    ];
    let status = vec![HomeProduct {
        name: "Finance".into(),
        status: crate::domain::status::Status::Degraded,
        uptime: 0.999,
        window: "30d".into(),
        sla_target: Some(0.995),
        incidents: Vec::new(),
    }];
    let h = HomeView {
        by_product: &products,
        unowned: &unowned,
        mine: std::slice::from_ref(&mine),
        muted: &muted,
        products: &status,
        open_incidents: &[],
        budgets: &[],
        now: now(),
    };
    let v = home_view(&h);
    assert_view_fits(&v);
    assert_eq!(v.0["type"], "home");
    let text = all_text(v.0["blocks"].as_array().unwrap());
    for needle in [
        "*Assigned to you*",
        "*📦 Finance* · 2 open",
        "*No data product*",
        "*Muted*",
        "`events` until <!date^",
        "`orders` (only `not_null_orders_id`) until <!date^",
        ": backfill &lt;until&gt; Friday",
        "3 open issues · 1 data product affected · 1 assigned to you",
        "📊 Data products",
        "🟡 *Finance* · degraded · 99.90% uptime 30d (SLA 99.50% met)",
        "*Open incidents*\nNone.",
    ] {
        assert!(text.contains(needle), "missing {needle:?}: {text}");
    }

    let issues: Vec<Issue> = (0..300)
        .map(|n| {
            let mut i = test_issue(n);
            i.check = format!("test.x.{}", "c*<>&".repeat(60));
            i
        })
        .collect();
    let products: Vec<(String, Vec<Issue>)> = (0..120)
        .map(|p| (format!("{} {p}", "Product*<&>".repeat(30)), issues.clone()))
        .collect();
    let muted: Vec<HomeMute> = (0..200)
        .map(|n| HomeMute {
            asset: format!("model.x.m{n}"),
            check: (n % 2 == 0).then(|| format!("test.x.{}", "c*<>&".repeat(60))),
            until: "until fixed".to_owned(),
            reason: Some("r<&>".repeat(100)),
        })
        .collect();
    let status: Vec<HomeProduct> = (0..120)
        .map(|p| HomeProduct {
            name: format!("{} {p}", "Product*<&>".repeat(30)),
            status: crate::domain::status::Status::Incident,
            uptime: 0.5,
            window: "30d".into(),
            sla_target: Some(0.999),
            incidents: (0..50).map(|n| format!("INC-{n}")).collect(),
        })
        .collect();
    let h = HomeView {
        by_product: &products,
        unowned: &issues,
        mine: &issues,
        muted: &muted,
        products: &status,
        open_incidents: &[],
        budgets: &[],
        now: now(),
    };
    let v = home_view(&h);
    assert_view_fits(&v);
    let blocks = v.0["blocks"].as_array().unwrap();
    assert!(blocks.len() <= limits::VIEW_BLOCKS);
    assert_all_well_formed(blocks);
    let text = all_text(blocks);
    assert!(
        text.contains("… and 80 more data products with 24,000 open issues"),
        "{text}"
    );
    assert!(text.contains("… and 190 more"), "muted capped: {text}");
    assert!(text.contains("… and 2"), "{text}");

    let empty = home_view(&HomeView {
        by_product: &[],
        unowned: &[],
        mine: &[],
        muted: &[],
        products: &[],
        open_incidents: &[],
        budgets: &[],
        now: now(),
    });
    assert_view_fits(&empty);
    assert!(all_text(empty.0["blocks"].as_array().unwrap()).contains("No open issues"));
}
