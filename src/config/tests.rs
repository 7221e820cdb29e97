//! `steward.toml` parsing and validation, pinned.

use super::*;

#[test]
fn defaults_and_overrides() {
    let c = Config::parse("s.toml", "").unwrap();
    assert_eq!(c.issues.reopen_window, Duration::from_secs(86_400));
    assert_eq!(c.issues.recover_after_passes, 1);
    let c = Config::parse(
        "s.toml",
        "database = \"/data/s.db\"\n[issues]\nreopen_window = \"2h\"\nrecover_after_passes = 3\nenvironments = [\"prod\"]\n[http]\nbody_limit = \"1MiB\"\n",
    )
    .unwrap();
    assert_eq!(c.issues.reopen_window, Duration::from_secs(7200));
    assert_eq!(c.issues.recover_after_passes, 3);
    assert!(c.issues.raises_issues("prod") && !c.issues.raises_issues("dev"));
    assert_eq!(c.http.body_limit, 1024 * 1024);
}

#[test]
fn http_limits_parse_validate_and_print_back() {
    let c = Config::parse("s.toml", "").unwrap();
    assert_eq!(
        (
            c.http.header_timeout,
            c.http.body_timeout,
            c.http.max_connections,
            c.http.max_large_bodies
        ),
        (Duration::from_secs(10), Duration::from_secs(60), 256, 2)
    );
    let c = Config::parse(
        "s.toml",
        "[http]\nheader_timeout = \"250ms\"\nbody_timeout = \"2m\"\nmax_connections = 8\nmax_large_bodies = 1\n",
    )
    .unwrap();
    assert_eq!(c.http.header_timeout, Duration::from_millis(250));
    assert_eq!(c.http.body_timeout, Duration::from_secs(120));
    assert_eq!((c.http.max_connections, c.http.max_large_bodies), (8, 1));
    let shown = toml::to_string(&c).unwrap();
    assert!(
        shown.contains("header_timeout = \"250ms\"") && shown.contains("body_timeout = \"2m\""),
        "{shown}"
    );
    for (text, key) in [
        (
            "[http]\nheader_timeout = \"10ms\"\n",
            "http.header_timeout must be at least 100ms",
        ),
        (
            "[http]\nbody_timeout = \"0s\"\n",
            "http.body_timeout must be at least 100ms",
        ),
        (
            "[http]\nmax_connections = 0\n",
            "http.max_connections must be at least 1",
        ),
        (
            "[http]\nmax_large_bodies = 0\n",
            "http.max_large_bodies must be at least 1",
        ),
    ] {
        let e = Config::parse("s.toml", text).unwrap_err().to_string();
        assert_eq!(e, format!("s.toml: {key}"));
    }
    let e = Config::parse("s.toml", "[http]\nbody_timeout = \"soon\"\n").unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn unknown_keys_and_bad_values_name_the_line() {
    let e = Config::parse("s.toml", "[issues]\nreopen_windw = \"2h\"\n").unwrap_err();
    assert!(e.to_string().starts_with("s.toml: line 2"), "{e}");
    let e = Config::parse("s.toml", "\n[issues]\nretention = \"soon\"\n").unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("soon"),
        "{e}"
    );
}

#[test]
fn slack_table_needs_only_two_channels_and_ids() {
    let c = Config::parse(
        "s.toml",
        "[slack]\nalerts_channel = \"C0ALERTS01\"\nincidents_channel = \"C0INCIDEN1\"\n",
    )
    .unwrap();
    let s = c.slack.unwrap();
    assert_eq!(
        (s.command.as_str(), s.post_interval, s.burst),
        ("/steward", Duration::from_secs(1), 3)
    );
    let e = Config::parse(
        "s.toml",
        "[slack]\nalerts_channel = \"#alerts\"\nincidents_channel = \"C0INCIDEN1\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a channel ID"), "{e}");
    let c = Config::parse(
        "s.toml",
        "[slack]\nalerts_channel = \"C0ALERTS01\"\nincidents_channel = \"C0INCIDEN1\"\npost_interval = \"50ms\"\n[[slack.routes]]\nchannel = \"C0FINANCE1\"\ndata_product = \"revenue\"\n",
    )
    .unwrap();
    let s = c.slack.unwrap();
    assert_eq!(s.post_interval, Duration::from_millis(50));
    assert_eq!(s.routes[0].data_product.as_deref(), Some("revenue"));
}

const PRODUCTS: &str = "database = \"x.db\"\n\n[[products]]\nname = \"revenue\"\nteam = \"finance\"\nchannel = \"C0FINANCE1\"\ntier = 1\nsla = \"99.5%\"\nselect = [\n  \"+fct_revenue\",\n  \"tag:finance\",\n]\n\n[[products]]\nname = \"crm\"\nteam = \"core\"\nwindow = \"7d\"\nselect = [\"group:core\"]\n";

#[test]
fn products_parse_with_their_lines() {
    let c = Config::parse("s.toml", PRODUCTS).unwrap();
    let (rev, crm) = (&c.products[0], &c.products[1]);
    assert_eq!((rev.line, rev.select_lines.as_slice()), (4, &[10, 11][..]));
    assert_eq!(rev.sla_target(), Some(0.995));
    assert_eq!(rev.window, Duration::from_secs(30 * 86_400));
    assert_eq!(
        (crm.line, crm.window),
        (15, Duration::from_secs(7 * 86_400))
    );
    assert_eq!(crm.sla_target(), None);
    // The effective config prints back and parses again.
    let again = Config::parse("s.toml", &toml::to_string_pretty(&c).unwrap()).unwrap();
    assert_eq!(again.products.len(), 2);
    assert_eq!(again.products[0].select, rev.select);
}

#[test]
fn product_errors_name_their_line() {
    let bad = |from: &str, to: &str| {
        Config::parse("s.toml", &PRODUCTS.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    };
    let e = bad("tag:finance", "colour:red");
    assert!(
        e.starts_with("s.toml: line 11: ") && e.contains("unknown selector method \"colour\""),
        "{e}"
    );
    let e = bad("name = \"crm\"", "name = \"Revenue\"");
    assert!(
        e.starts_with("s.toml: line 15: ")
            && e.contains("duplicate product name \"Revenue\" (first defined on line 4)"),
        "{e}"
    );
    let e = bad("99.5%", "0.995");
    assert!(
        e.contains("line 4") && e.contains("not a percentage"),
        "{e}"
    );
    let e = bad("C0FINANCE1", "#finance");
    assert!(
        e.contains("line 4") && e.contains("not a channel ID"),
        "{e}"
    );
    let e = bad("tier = 1", "tier = 0");
    assert!(e.contains("tier must be at least 1"), "{e}");
    let e = bad("team = \"core\"\n", "");
    assert!(e.contains("line 14") && e.contains("team"), "{e}");
    let e = bad("window = \"7d\"", "colour = \"red\"");
    assert!(e.contains("line 17") && e.contains("colour"), "{e}");
    assert_eq!(parse_percent("100%"), Some(1.0));
    assert_eq!(parse_percent("0%"), None);
    assert_eq!(parse_percent("101%"), None);
}

#[test]
fn severity_rules_parse_and_errors_name_their_line() {
    let c = Config::parse("s.toml", "").unwrap();
    assert_eq!(c.incidents, IncidentsConfig::default());
    let text = "[incidents]\ndefault_severity = \"SEV4\"\n\n[[incidents.severity_rules]]\nseverity = \"SEV1\"\ntier = 1\n\n[[incidents.severity_rules]]\nseverity = \"SEV2\"\nexposure_type = \"ml\"\n";
    let c = Config::parse("s.toml", text).unwrap();
    assert_eq!(c.incidents.default_severity, "SEV4");
    let rules = &c.incidents.severity_rules;
    assert_eq!((rules[0].line, rules[0].tier), (5, Some(1)));
    assert_eq!(
        (rules[1].line, rules[1].exposure_type.as_deref()),
        (9, Some("ml"))
    );
    let e = Config::parse(
        "s.toml",
        "[incidents]\n[[incidents.severity_rules]]\nseverity = \"SEV1\"\ncolour = \"red\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 4") && e.contains("colour"), "{e}");
    let e = Config::parse(
        "s.toml",
        "\n[[incidents.severity_rules]]\nseverity = \"SEV1\"\ntier = 1\ndata_product = \"revenue\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("s.toml: line 3") && e.contains("exactly one"),
        "{e}"
    );
    let e = Config::parse(
        "s.toml",
        "[[incidents.severity_rules]]\nseverity = \"SEV9\"\ntier = 2\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("s.toml: line 2") && e.contains("SEV9"), "{e}");
    let e = Config::parse("s.toml", "[incidents]\ndefault_severity = \"high\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("default_severity"), "{e}");
}

#[test]
fn durations_and_sizes() {
    assert_eq!(
        parse_duration("90d"),
        Some(Duration::from_secs(90 * 86_400))
    );
    assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
    assert_eq!(parse_duration("x"), None);
    assert_eq!(parse_size("128MiB"), Some(128 * 1024 * 1024));
    assert_eq!(format_duration(Duration::from_secs(86_400)), "1d");
}

#[test]
fn digest_parses_with_defaults_and_errors_name_the_line() {
    let c = Config::parse("s.toml", "").unwrap();
    assert_eq!(c.digest, None);
    let c = Config::parse("s.toml", "[digest]\nchannel = \"C0DIGEST01\"\n").unwrap();
    let d = c.digest.unwrap();
    assert_eq!(
        (d.channel.as_str(), d.day, d.hour, d.timezone),
        ("C0DIGEST01", chrono::Weekday::Mon, 9, chrono_tz::UTC)
    );
    let text = "[digest]\nchannel = \"C0DIGEST01\"\nday = \"FRI\"\nhour = 17\ntimezone = \"europe/paris\"\n";
    let c = Config::parse("s.toml", text).unwrap();
    let d = c.digest.clone().unwrap();
    assert_eq!(
        (d.day, d.hour, d.timezone),
        (chrono::Weekday::Fri, 17, chrono_tz::Europe::Paris)
    );
    assert_eq!(
        Config::parse(
            "s.toml",
            "[digest]\nchannel = \"C0DIGEST01\"\nday = \"Sunday\"\n"
        )
        .unwrap()
        .digest
        .unwrap()
        .day,
        chrono::Weekday::Sun
    );
    // The effective config prints back (as `steward config check` shows it) and parses again.
    let printed = toml::to_string_pretty(&c).unwrap();
    assert!(
        printed.contains("day = \"friday\"") && printed.contains("timezone = \"Europe/Paris\""),
        "{printed}"
    );
    assert_eq!(Config::parse("s.toml", &printed).unwrap().digest, Some(d));

    let bad = |body: &str| {
        Config::parse("s.toml", &format!("database = \"x.db\"\n[digest]\n{body}"))
            .unwrap_err()
            .to_string()
    };
    let e = bad("channel = \"C0DIGEST01\"\ntimezone = \"Mars/Olympus\"\n");
    assert!(
        e.starts_with("s.toml: line 4") && e.contains("Mars/Olympus") && e.contains("IANA"),
        "{e}"
    );
    let e = bad("channel = \"C0DIGEST01\"\nday = \"someday\"\n");
    assert!(
        e.starts_with("s.toml: line 4") && e.contains("someday"),
        "{e}"
    );
    let e = bad("channel = \"C0DIGEST01\"\n\nhour = 24\n");
    assert!(
        e.starts_with("s.toml: line 5") && e.contains("0 and 23"),
        "{e}"
    );
    let e = bad("channel = \"C0DIGEST01\"\nhour = -1\n");
    assert!(e.starts_with("s.toml: line 4"), "{e}");
    let e = bad("channel = \"#weekly\"\n");
    assert!(
        e.starts_with("s.toml: line 3") && e.contains("not a channel ID"),
        "{e}"
    );
    let e = bad("day = \"monday\"\n");
    assert!(e.contains("line 2") && e.contains("channel"), "{e}");
    let e = bad("channel = \"C0DIGEST01\"\nweekday = \"monday\"\n");
    assert!(
        e.starts_with("s.toml: line 4") && e.contains("weekday"),
        "{e}"
    );
}

#[test]
fn durations_follow_humantime() {
    let secs = |s: &str| parse_duration(s).map(|d| d.as_secs_f64());
    assert_eq!(secs("90d"), Some(90.0 * 86_400.0));
    assert_eq!(secs("2w"), Some(14.0 * 86_400.0));
    assert_eq!(secs(" 24h "), Some(86_400.0));
    assert_eq!(secs("1h 30m"), Some(5_400.0));
    assert_eq!(secs("250ms"), Some(0.25));
    for bad in [
        "",
        "soon",
        "-1h",
        "10",
        "1 fortnight",
        "99999999999999999999d",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
    assert_eq!(format_duration(parse_duration("7d").unwrap()), "1w");
}

#[test]
fn dbt_cloud_parses_with_defaults_and_refuses_what_cannot_work() {
    let c = Config::parse(
        "s.toml",
        "[dbt_cloud]\naccount_id = 42\nenvironments = { \"1234\" = \"prod\" }\nbackoff = \"50ms\"\n",
    )
    .unwrap();
    let d = c.dbt_cloud.as_ref().unwrap();
    assert_eq!(d.url, DEFAULT_DBT_CLOUD_URL);
    assert_eq!((d.account_id, d.attempts), (42, 5));
    assert_eq!(d.backoff, Duration::from_millis(50));
    assert_eq!(
        (d.token_env.as_str(), d.webhook_secret_env.as_str()),
        ("DBT_CLOUD_TOKEN", "DBT_CLOUD_WEBHOOK_SECRET")
    );
    assert_eq!(
        (d.environment("1234"), d.environment("9")),
        (Some("prod"), None)
    );
    // Printed back, it parses to the same.
    let again = Config::parse("s.toml", &toml::to_string(&c).unwrap()).unwrap();
    assert_eq!(again.dbt_cloud, c.dbt_cloud);
    for (text, says) in [
        ("[dbt_cloud]\n", "account_id is required"),
        (
            "[dbt_cloud]\naccount_id = 1\nurl = \"cloud.getdbt.com\"\n",
            "not an http(s)",
        ),
        (
            "[dbt_cloud]\naccount_id = 1\ntoken_env = \"\"\n",
            "token_env",
        ),
        ("[dbt_cloud]\naccount_id = 1\nattempts = 0\n", "attempts"),
        (
            "[dbt_cloud]\naccount_id = 1\nwebhook_secret = \"x\"\n",
            "webhook_secret",
        ),
    ] {
        let e = Config::parse("s.toml", text).unwrap_err().to_string();
        assert!(e.contains(says) && e.contains("s.toml"), "{text}: {e}");
    }
}

#[test]
fn access_rules_parse_and_bad_ones_name_the_key() {
    let c = Config::parse(
        "s.toml",
        "[access]\ndeclare = [\"U0ANA\", \"S0ONCALL\", \"@Data-Oncall\"]\nmerge_split = []\nrefresh = \"5m\"\n",
    )
    .unwrap();
    assert_eq!(c.access.refresh, Duration::from_secs(300));
    assert_eq!(c.access.merge_split, Some(Vec::new()));
    assert_eq!(c.access.mute, None, "absent: everyone");
    assert_eq!(
        c.access.groups(),
        [
            AccessEntry::Group("S0ONCALL".into()),
            AccessEntry::Handle("data-oncall".into())
        ]
    );
    assert_eq!(
        Config::parse("s.toml", "").unwrap().access.refresh,
        Duration::from_secs(600)
    );
    let err = |text: &str| Config::parse("s.toml", text).unwrap_err().to_string();
    let e = err("[access]\ndeclar = [\"U1\"]\n");
    assert!(
        e.contains("unknown field `declar`") && e.contains("line 2"),
        "{e}"
    );
    let e = err("[access]\nmute = [\"dana\"]\n");
    assert_eq!(
        e,
        "s.toml: access.mute: \"dana\" is not a Slack user ID (U…), a user group ID (S…) or a @handle"
    );
    let e = err("[access]\nresolve_issues = [\"C0ALERTS\"]\n");
    assert!(e.contains("access.resolve_issues"), "{e}");
    let e = err("[access]\nrefresh = \"10s\"\n");
    assert!(e.contains("access.refresh must be at least 1m"), "{e}");
    assert!(!e.contains('\n'));
}

#[test]
fn ticket_sync_has_a_period_or_is_off() {
    let every = |text: &str| {
        Config::parse("s.toml", &format!("[integrations]\n{text}\n"))
            .map(|c| c.integrations.ticket_sync)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        Config::parse("s.toml", "")
            .unwrap()
            .integrations
            .ticket_sync,
        Some(Duration::from_secs(900))
    );
    assert_eq!(
        every("ticket_sync = \"1h\""),
        Ok(Some(Duration::from_secs(3600)))
    );
    assert_eq!(every("ticket_sync = \"off\""), Ok(None));
    let err = every("ticket_sync = \"soon\"").unwrap_err();
    assert!(
        err.contains("ticket_sync") || err.contains("invalid period"),
        "{err}"
    );
    assert!(
        every("ticket_sync = \"0s\"").is_err(),
        "a zero period is refused"
    );
}
