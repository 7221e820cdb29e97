//! The `/steward` parser's unit tests: every word, argument form and error message.

use super::*;
use std::path::Path;

fn mins(n: u64) -> MuteDuration {
    MuteDuration::For(Duration::from_secs(n * 60))
}

fn hours(n: u64) -> MuteDuration {
    mins(n * 60)
}

fn days(n: u64) -> MuteDuration {
    hours(n * 24)
}

fn status(issue: i64, status: StatusArg, reason: Option<&str>) -> Command {
    Command::Status {
        issue,
        status,
        reason: reason.map(str::to_owned),
    }
}

fn assign(issue: i64, user: UserRef) -> Command {
    Command::Assign { issue, user }
}

fn id(s: &str) -> UserRef {
    UserRef::Id(s.to_owned())
}

fn email(s: &str) -> UserRef {
    UserRef::Email(s.to_owned())
}

fn name(s: &str) -> UserRef {
    UserRef::Name(s.to_owned())
}

fn comment(issue: i64, text: &str) -> Command {
    Command::Comment {
        issue,
        text: text.to_owned(),
    }
}

fn mute_issue(issue: i64, duration: MuteDuration) -> Command {
    Command::Mute {
        target: MuteTarget::Issue(issue),
        duration,
    }
}

fn mute_asset(asset: &str, duration: MuteDuration) -> Command {
    Command::Mute {
        target: MuteTarget::Asset(asset.to_owned()),
        duration,
    }
}

fn declare(title: Option<&str>) -> Command {
    Command::Declare {
        title: title.map(str::to_owned),
    }
}

fn impact(node: &str) -> Command {
    Command::Impact {
        node: node.to_owned(),
    }
}

fn owner(node: &str) -> Command {
    Command::WhoisOwner {
        node: node.to_owned(),
    }
}

fn update(incident: i64, text: &str) -> Command {
    Command::Update {
        incident,
        text: text.to_owned(),
    }
}

fn asset_scope(asset: &str) -> Command {
    Command::Issues(IssuesScope::Asset(asset.to_owned()))
}

#[test]
fn parses_every_subcommand_and_its_spellings() {
    use StatusArg::*;
    let cases: Vec<(&str, Command)> = vec![
        // help
        ("help", Command::Help),
        ("HELP", Command::Help),
        ("?", Command::Help),
        ("  --help  ", Command::Help),
        // issues
        ("issues", Command::Issues(IssuesScope::Open)),
        ("Issues   open", Command::Issues(IssuesScope::Open)),
        ("issues MINE", Command::Issues(IssuesScope::Mine)),
        ("issues me", Command::Issues(IssuesScope::Mine)),
        ("issues stg_orders", asset_scope("stg_orders")),
        ("issues model.shop.Orders", asset_scope("model.shop.Orders")),
        ("issues `fct_revenue`", asset_scope("fct_revenue")),
        ("issues asset open", asset_scope("open")),
        ("issues for mine", asset_scope("mine")),
        (
            "issues <http://orders.shop|orders.shop>",
            asset_scope("orders.shop"),
        ),
        // issue
        ("issue 12", Command::Issue(12)),
        ("issue #12", Command::Issue(12)),
        ("ISSUE\t#7", Command::Issue(7)),
        ("show 3", Command::Issue(3)),
        ("#12", Command::Issue(12)),
        ("42", Command::Issue(42)),
        // assign
        ("assign 12 <@U123ABC|dana>", assign(12, id("U123ABC"))),
        ("assign #12 <@W0042>", assign(12, id("W0042"))),
        ("assign 12 to <@U1|dana>", assign(12, id("U1"))),
        (
            "assign 12 dana@example.com",
            assign(12, email("dana@example.com")),
        ),
        (
            "assign 12 <mailto:dana@example.com|dana@example.com>",
            assign(12, email("dana@example.com")),
        ),
        ("assign 12 @dana", assign(12, name("dana"))),
        ("assign 12 dana", assign(12, name("dana"))),
        ("assign 12 Dana  Smith", assign(12, name("Dana  Smith"))),
        // status
        ("status 12 investigating", status(12, Investigating, None)),
        ("status #12 ACK", status(12, Acknowledged, None)),
        ("status 12 acknowledged", status(12, Acknowledged, None)),
        ("status 12 open", status(12, Open, None)),
        (
            "status 12 fixed backfilled the late partition",
            status(12, Fixed, Some("backfilled the late partition")),
        ),
        (
            "status 12 expected \"monthly reload &amp; vacuum\"",
            status(12, Expected, Some("monthly reload & vacuum")),
        ),
        ("status 12 false-positive", status(12, FalsePositive, None)),
        ("status 12 false_positive", status(12, FalsePositive, None)),
        (
            "status 12 FP flaky test",
            status(12, FalsePositive, Some("flaky test")),
        ),
        (
            "status 12 false positive row count &gt; 0 is fine",
            status(12, FalsePositive, Some("row count > 0 is fine")),
        ),
        // comment
        (
            "comment 12 upstream API was down",
            comment(12, "upstream API was down"),
        ),
        (
            "comment #3 \"quoted &lt;b&gt; text\"",
            comment(3, "quoted <b> text"),
        ),
        (
            "comment 3 “smart quotes from a Mac”",
            comment(3, "smart quotes from a Mac"),
        ),
        (
            "comment 3 line one\nline two",
            comment(3, "line one\nline two"),
        ),
        ("comment 3 &amp;lt; stays", comment(3, "&lt; stays")),
        (
            "comment 3 cc <@U1|dana> see <https://x.io|x>",
            comment(3, "cc <@U1|dana> see <https://x.io|x>"),
        ),
        // mute
        ("mute 12 30m", mute_issue(12, mins(30))),
        ("mute #12 24h", mute_issue(12, hours(24))),
        ("mute stg_orders 7d", mute_asset("stg_orders", days(7))),
        ("mute stg_orders 2w", mute_asset("stg_orders", days(14))),
        ("mute 12 for 2 hours", mute_issue(12, hours(2))),
        ("mute 12 1h30m", mute_issue(12, mins(90))),
        ("mute 12 1h 30m", mute_issue(12, mins(90))),
        ("snooze 12 1D", mute_issue(12, days(1))),
        (
            "mute model.shop.orders until-fixed",
            mute_asset("model.shop.orders", MuteDuration::UntilFixed),
        ),
        (
            "mute 12 until_fixed",
            mute_issue(12, MuteDuration::UntilFixed),
        ),
        (
            "mute 12 Until Fixed",
            mute_issue(12, MuteDuration::UntilFixed),
        ),
        ("mute 12 365d", mute_issue(12, days(365))),
        // declare
        ("declare", declare(None)),
        ("declare   ", declare(None)),
        (
            "declare Revenue dashboard is stale",
            declare(Some("Revenue dashboard is stale")),
        ),
        (
            "DECLARE 'Orders &amp; payments late'",
            declare(Some("Orders & payments late")),
        ),
        ("declare \"\"", declare(None)),
        // incidents, impact, owner
        ("incidents", Command::Incidents),
        ("  Incidents  ", Command::Incidents),
        ("impact stg_orders", impact("stg_orders")),
        (
            "impact model.shop.stg_orders",
            impact("model.shop.stg_orders"),
        ),
        ("impact \"stg_orders\"", impact("stg_orders")),
        ("owner fct_revenue", owner("fct_revenue")),
        ("whois fct_revenue", owner("fct_revenue")),
        ("who-owns `fct_revenue`", owner("fct_revenue")),
        // update, sla
        (
            "update INC-3 Backfill running, ETA 2h",
            update(3, "Backfill running, ETA 2h"),
        ),
        ("update inc-3 done", update(3, "done")),
        ("UPDATE 3 \"quoted &amp; done\"", update(3, "quoted & done")),
        ("update #12 multi\nline", update(12, "multi\nline")),
        ("stakeholder-update Inc-7 hi", update(7, "hi")),
        ("sla", Command::Sla { product: None }),
        (
            "SLA revenue",
            Command::Sla {
                product: Some("revenue".into()),
            },
        ),
        // non-breaking spaces, which Slack clients sometimes send
        ("issue\u{a0}#5", Command::Issue(5)),
        (
            "unmute #12",
            Command::Unmute {
                target: MuteTarget::Issue(12),
            },
        ),
        (
            "UNMUTE stg_orders",
            Command::Unmute {
                target: MuteTarget::Asset("stg_orders".into()),
            },
        ),
        ("mutes", Command::Mutes),
        (
            "incident INC-3 severity sev1",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Severity("SEV1".into()),
            },
        ),
        (
            "incident inc-3 resolve code_change Reverted the rename",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Resolve {
                    reason: "code_change".into(),
                    summary: "Reverted the rename".into(),
                },
            },
        ),
        (
            "incident #3 commander <@U0DANA|dana>",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Commander(id("U0DANA")),
            },
        ),
        (
            "incident 3 link #12",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Link(12),
            },
        ),
        (
            "incident 3 status Monitoring",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Status("monitoring".into()),
            },
        ),
        (
            "incident 3 postmortem",
            Command::Incident {
                incident: 3,
                action: IncidentAction::Postmortem,
            },
        ),
        (
            "incident INC-2 merge-into INC-1",
            Command::Incident {
                incident: 2,
                action: IncidentAction::MergeInto(1),
            },
        ),
        (
            "incident 2 merge into inc-1",
            Command::Incident {
                incident: 2,
                action: IncidentAction::MergeInto(1),
            },
        ),
        (
            "incident INC-1 split #13, 12 13 --title \"Orders backfill\"",
            Command::Incident {
                incident: 1,
                action: IncidentAction::Split {
                    issues: vec![12, 13],
                    title: "Orders backfill".into(),
                },
            },
        ),
        (
            "incident INC-1 split 7 Late orders feed",
            Command::Incident {
                incident: 1,
                action: IncidentAction::Split {
                    issues: vec![7],
                    title: "Late orders feed".into(),
                },
            },
        ),
        (
            "incident INC-1 followups",
            Command::Incident {
                incident: 1,
                action: IncidentAction::Followup(FollowupChange::List),
            },
        ),
        (
            "incident INC-1 followup list",
            Command::Incident {
                incident: 1,
                action: IncidentAction::Followup(FollowupChange::List),
            },
        ),
        (
            "incident INC-1 followup add --owner <@U1|dana smith> Add a test &amp; alert --linear",
            Command::Incident {
                incident: 1,
                action: IncidentAction::Followup(FollowupChange::Add {
                    text: "Add a test & alert".into(),
                    owner: Some(UserRef::Id("U1".into())),
                    tracker: Some("linear"),
                }),
            },
        ),
        (
            "incident 2 follow-up add \"Backfill Tuesday\"",
            Command::Incident {
                incident: 2,
                action: IncidentAction::Followup(FollowupChange::Add {
                    text: "Backfill Tuesday".into(),
                    owner: None,
                    tracker: None,
                }),
            },
        ),
        (
            "incident 2 followup done #4",
            Command::Incident {
                incident: 2,
                action: IncidentAction::Followup(FollowupChange::Set {
                    id: 4,
                    state: "done",
                }),
            },
        ),
        (
            "incident 2 followup drop 5",
            Command::Incident {
                incident: 2,
                action: IncidentAction::Followup(FollowupChange::Set {
                    id: 5,
                    state: "dropped",
                }),
            },
        ),
        (
            "incident 2 followup reopen 5",
            Command::Incident {
                incident: 2,
                action: IncidentAction::Followup(FollowupChange::Set {
                    id: 5,
                    state: "open",
                }),
            },
        ),
    ];
    assert!(cases.len() >= 30);
    for (text, expected) in cases {
        assert_eq!(parse(text), Ok(expected), "parsing {text:?}");
    }
}

#[test]
fn bad_input_says_what_was_wrong_and_carries_usage() {
    // (text, a piece of the message, the usage it carries; None = all of them)
    let cases: Vec<(&str, &str, Option<&str>)> = vec![
        ("", "no subcommand", None),
        (
            "unmute",
            "`unmute` needs an issue number or an asset",
            Some("unmute"),
        ),
        ("unmute 3 4", "takes one issue or asset", Some("unmute")),
        ("mutes all", "", Some("mutes")),
        ("   \t\n ", "no subcommand", None),
        ("hello", "unknown subcommand `hello`", None),
        ("isues", "did you mean `issues`", None),
        ("asign 1 @dana", "did you mean `assign`", None),
        ("incidnts", "did you mean `incidents`", None),
        ("incident", "needs an incident number", Some("incident")),
        ("incident INC-3", "say what to change", Some("incident")),
        (
            "incident INC-3 status resolved",
            "needs a reason and a summary",
            Some("incident"),
        ),
        (
            "incident INC-3 resolve code_change",
            "needs a summary",
            Some("incident"),
        ),
        (
            "incident INC-x severity SEV1",
            "not an incident number",
            Some("incident"),
        ),
        (
            "incident 3 explode",
            "unknown change `explode`",
            Some("incident"),
        ),
        (
            "incident 3 merge-into",
            "needs the incident",
            Some("incident"),
        ),
        (
            "incident 3 merge-into INC-3",
            "into itself",
            Some("incident"),
        ),
        (
            "incident 3 merge-into INC-4 now",
            "takes one incident",
            Some("incident"),
        ),
        (
            "incident 3 split Orders",
            "needs the issues to move",
            Some("incident"),
        ),
        ("incident 3 split 12 13", "needs a title", Some("incident")),
        (
            "incident 3 followup add --jira",
            "needs what is to be done",
            Some("incident"),
        ),
        (
            "incident 3 followup add Fix it --jira --linear",
            "Jira or in Linear, not both",
            Some("incident"),
        ),
        (
            "incident 3 followup add Fix it --owner",
            "`--owner` needs a person",
            Some("incident"),
        ),
        (
            "incident 3 followup done",
            "needs one follow-up number",
            Some("incident"),
        ),
        (
            "incident 3 followup done 0",
            "is not a follow-up number",
            Some("incident"),
        ),
        (
            "incident 3 followup finish 2",
            "unknown follow-up change `finish`",
            Some("incident"),
        ),
        ("issues open extra", "more than it takes", Some("issues")),
        ("issues asset", "needs an asset name", Some("issues")),
        ("issue", "needs an issue number", Some("issue")),
        (
            "issue twelve",
            "`twelve` is not an issue number",
            Some("issue"),
        ),
        ("issue #", "`#` is not an issue number", Some("issue")),
        ("issue 0", "`0` is not an issue number", Some("issue")),
        ("issue -3", "`-3` is not an issue number", Some("issue")),
        (
            "issue 99999999999999999999",
            "is not an issue number",
            Some("issue"),
        ),
        ("issue 12 13", "more than it takes", Some("issue")),
        ("#12 extra", "more than it takes", Some("issue")),
        ("assign", "needs an issue number", Some("assign")),
        ("assign 12", "needs a person", Some("assign")),
        ("assign 12 to", "needs a person", Some("assign")),
        (
            "assign @dana 12",
            "`@dana` is not an issue number",
            Some("assign"),
        ),
        (
            "assign 12 <!subteam^S123|@data>",
            "not a user group",
            Some("assign"),
        ),
        ("assign 12 <#C123|general>", "not a channel", Some("assign")),
        ("assign 12 <@|x>", "not a Slack mention", Some("assign")),
        ("status 12", "needs a status", Some("status")),
        ("status 12 done", "unknown status `done`", Some("status")),
        (
            "status 12 false alarm",
            "unknown status `false`",
            Some("status"),
        ),
        ("status fixed 12", "not an issue number", Some("status")),
        ("comment 12", "needs some text", Some("comment")),
        ("comment 12 \"\"", "needs some text", Some("comment")),
        ("mute", "needs an issue number or an asset", Some("mute")),
        ("mute 12", "needs a duration", Some("mute")),
        ("mute 12 for", "needs a duration", Some("mute")),
        ("mute 12 forever", "`forever` is not a mute", Some("mute")),
        ("mute 12 30s", "`30s` is not a duration", Some("mute")),
        ("mute 12 soon", "`soon` is not a duration", Some("mute")),
        ("mute 12 0m", "more than zero", Some("mute")),
        ("mute 12 53w", "longer than 365 days", Some("mute")),
        (
            "mute 12 99999999999999999999w",
            "is not a duration",
            Some("mute"),
        ),
        (
            "mute 12 9999999999999999w",
            "longer than 365 days",
            Some("mute"),
        ),
        ("incidents now", "more than it takes", Some("incidents")),
        ("impact", "needs a node", Some("impact")),
        ("impact a b", "more than it takes", Some("impact")),
        ("owner", "needs a node", Some("owner")),
        ("whois", "needs a node", Some("owner")),
        ("update", "needs an incident number", Some("update")),
        ("update INC-3", "needs some text", Some("update")),
        (
            "update INC-x hi",
            "`INC-x` is not an incident number",
            Some("update"),
        ),
        (
            "update 0 hi",
            "`0` is not an incident number",
            Some("update"),
        ),
        (
            "update INC--3 hi",
            "is not an incident number",
            Some("update"),
        ),
        ("update é hi", "is not an incident number", Some("update")),
        ("sla revenue extra", "more than it takes", Some("sla")),
    ];
    assert!(cases.len() >= 30);
    for (text, message, which) in cases {
        let err = parse(text).expect_err(text);
        assert!(
            err.message.contains(message),
            "{text:?}: message {:?} should contain {message:?}",
            err.message
        );
        match which {
            None => {
                assert!(err.is_general(), "{text:?}: {err:?}");
                assert_eq!(err.usage, ALL_USAGES);
            }
            Some(name) => assert_eq!(err.usage, usage_of(name), "{text:?}"),
        }
        let reply = err.reply("/steward");
        assert!(reply.contains(&err.message), "{reply}");
        assert!(reply.contains("/steward"), "{reply}");
    }
}

#[test]
fn replies_show_the_full_help_or_the_one_usage_with_an_example() {
    let unknown = parse("frobnicate").unwrap_err();
    let reply = unknown.reply("steward");
    assert!(reply.starts_with("unknown subcommand `frobnicate`"));
    assert_eq!(
        reply,
        format!("{}\n\n{}", unknown.message, usage("/steward"))
    );

    let reply = parse("assign 12").unwrap_err().reply("/oncall");
    assert!(
        reply.contains("Usage: `/oncall assign <n> <@person | email>`"),
        "{reply}"
    );
    assert!(
        reply.contains("For example: `/oncall assign #12 @dana`"),
        "{reply}"
    );

    let display = parse("mute 12").unwrap_err().to_string();
    assert!(display.contains("usage: mute <n | asset>"), "{display}");
    assert_eq!(
        parse("").unwrap_err().to_string(),
        parse("").unwrap_err().message
    );
}

#[test]
fn usage_lists_every_subcommand_with_an_example_that_parses() {
    let text = usage("/steward");
    assert!(text.starts_with("*Steward*"));
    for spec in SPECS {
        assert!(
            text.contains(&format!("`/steward {}`", spec.usage)),
            "{}",
            spec.name
        );
        assert!(text.contains(&format!("e.g. `/steward {}`", spec.example)));
        assert!(ALL_USAGES.lines().any(|l| l == spec.usage));
        let parsed = parse(spec.example);
        assert!(parsed.is_ok(), "example {:?}: {parsed:?}", spec.example);
        for alias in spec.aliases {
            assert!(text.contains(&format!("`{alias}`")), "alias {alias}");
        }
    }
    assert_eq!(ALL_USAGES.lines().count(), SPECS.len());
    // The configured command name is used as given, with or without its slash.
    assert!(usage("oncall").contains("`/oncall issues mine`"));
    assert!(!usage("oncall").contains("/steward"));
    assert!(text.contains("until-fixed"));
}

#[test]
fn every_spec_name_and_alias_reaches_its_parser() {
    for spec in SPECS {
        for word in std::iter::once(&spec.name).chain(spec.aliases) {
            // Either a command or a complaint about that subcommand's arguments, never
            // "unknown subcommand".
            match parse(word) {
                Ok(_) => {}
                Err(e) => assert_eq!(e.usage, spec.usage, "{word}: {e:?}"),
            }
            let upper = word.to_uppercase();
            assert_eq!(parse(word), parse(&upper), "{word}");
        }
    }
}

#[test]
fn unescaping_is_one_pass_and_leaves_other_ampersands() {
    assert_eq!(unescape("a &amp; b"), "a & b");
    assert_eq!(unescape("&lt;tag&gt;"), "<tag>");
    assert_eq!(unescape("&amp;gt;"), "&gt;");
    assert_eq!(unescape("AT&T & co &quot;"), "AT&T & co &quot;");
    assert_eq!(unescape("&"), "&");
    assert_eq!(unescape("ünïcödé &amp; 🚀"), "ünïcödé & 🚀");
}

#[test]
fn long_junk_is_truncated_in_messages() {
    let junk = "x".repeat(500);
    let err = parse(&junk).unwrap_err();
    assert!(err.message.len() < 120, "{}", err.message);
    let err = parse(&format!("issue {}", "é".repeat(100))).unwrap_err();
    assert!(err.message.contains('…'));
}

/// The real slash command payloads from Slack's SDK fixtures: their `text` is what a user
/// typed. `Hi` is no subcommand, and an empty text is none at all: both get the full usage.
#[test]
fn real_slash_command_fixtures_get_a_command_or_usage() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/slack");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED real_slash_command_fixtures_get_a_command_or_usage: \
             ../shared/fixtures/slack is missing"
        );
        return;
    }
    let mut seen = 0;
    for (file, pointer) in [
        ("slash_command.json", "/text"),
        ("socket_mode_envelope_slash_commands.json", "/payload/text"),
    ] {
        let path = dir.join(file);
        let Ok(raw) = std::fs::read_to_string(&path) else {
            eprintln!("SKIPPED {file}: not in ../shared/fixtures/slack");
            continue;
        };
        let json: serde_json::Value = serde_json::from_str(&raw).expect(file);
        let text = json
            .pointer(pointer)
            .and_then(|t| t.as_str())
            .unwrap_or_else(|| panic!("{file} has no {pointer}"));
        seen += 1;
        match parse(text) {
            Ok(command) => eprintln!("{file}: {text:?} -> {command:?}"),
            Err(err) => {
                // Not a subcommand: the bot answers with everything it knows.
                assert!(err.is_general(), "{file}: {text:?} -> {err:?}");
                let reply = err.reply("/steward");
                assert!(reply.contains("`/steward issues mine`"), "{reply}");
                if !text.trim().is_empty() {
                    assert!(err.message.contains(text.trim()), "{}", err.message);
                }
                eprintln!("{file}: {text:?} -> {}", err.message);
            }
        }
    }
    // The form-encoded body of the same command carries the same text.
    if let Ok(body) = std::fs::read_to_string(dir.join("slash_command_form_body.txt")) {
        let text = body
            .trim()
            .split('&')
            .find_map(|pair| pair.strip_prefix("text="))
            .expect("form body has text=");
        assert_eq!(text, "Hi");
        assert!(parse(text).unwrap_err().message.contains("`Hi`"));
    }
    assert!(seen > 0, "no slash command fixture was readable");
}
