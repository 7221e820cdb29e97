//! The deployment files agree with the code: `manifests/slack-app.yaml` asks for exactly the bot
//! scopes and events in `steward::faces::slack`, `fly.toml` and the `Dockerfile` agree on the port, the
//! volume and the health check.
//!
//! The manifest is read with a small line-based reader (no YAML crate among the dependencies):
//! it takes block-style maps and lists, `- key: value` items and `#` comments, and fails loudly on
//! anything else, so the manifest has to stay that simple.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use steward::faces::slack::{BOT_EVENTS, BOT_SCOPES, DEFAULT_SLASH_COMMAND};

fn repo_file(relative: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    (path, text)
}

/// One scalar of a block-style YAML file: its dotted path (list items add `[]`, so a scope is
/// `oauth_config.scopes.bot[]`), its unquoted value, its trailing comment and its line.
#[derive(Debug)]
struct Entry {
    path: String,
    value: String,
    comment: String,
    line: usize,
}

fn read_yaml(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    // (indent, key); "[]" marks the current list item.
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        assert!(
            !raw.contains('\t'),
            "line {line}: tabs are not YAML indentation"
        );
        let (content, comment) = split_comment(raw);
        if content.trim().is_empty() {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let body = content.trim();
        if body == "---" {
            continue;
        }
        if let Some(item) = body.strip_prefix("- ") {
            // A list may sit at its key's indentation or deeper.
            while stack
                .last()
                .is_some_and(|(i, k)| *i > indent || (*i == indent && k == "[]"))
            {
                stack.pop();
            }
            stack.push((indent, "[]".to_owned()));
            let item = item.trim();
            assert!(!item.is_empty(), "line {line}: nested lists are not read");
            if key_value(item).is_some() {
                let item_indent = indent + (body.len() - body[1..].trim_start().len());
                mapping_line(&mut stack, &mut entries, item_indent, item, comment, line);
            } else {
                entries.push(Entry {
                    path: path_of(&stack),
                    value: scalar(item, line),
                    comment: comment.to_owned(),
                    line,
                });
            }
        } else {
            mapping_line(&mut stack, &mut entries, indent, body, comment, line);
        }
    }
    entries
}

fn mapping_line(
    stack: &mut Vec<(usize, String)>,
    entries: &mut Vec<Entry>,
    indent: usize,
    body: &str,
    comment: &str,
    line: usize,
) {
    let (key, value) =
        key_value(body).unwrap_or_else(|| panic!("line {line}: `{body}` is not `key: value`"));
    while stack.last().is_some_and(|(i, _)| *i >= indent) {
        stack.pop();
    }
    if value.is_empty() {
        stack.push((indent, key.to_owned()));
    } else {
        let mut path = path_of(stack);
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        entries.push(Entry {
            path,
            value: scalar(value, line),
            comment: comment.to_owned(),
            line,
        });
    }
}

/// `key: value` or `key:`; None for a plain scalar such as `chat:write`.
fn key_value(body: &str) -> Option<(&str, &str)> {
    if let Some(key) = body.strip_suffix(':') {
        return (!key.contains(": ")).then_some((key.trim(), ""));
    }
    let (key, value) = body.split_once(": ")?;
    Some((key.trim(), value.trim()))
}

fn path_of(stack: &[(usize, String)]) -> String {
    let mut path = String::new();
    for (_, key) in stack {
        if key == "[]" {
            path.push_str("[]");
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
        }
    }
    path
}

/// A plain or quoted scalar; anything fancier is refused.
fn scalar(value: &str, line: usize) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    assert!(
        !value.starts_with(['[', '{', '|', '>', '&', '*', '!', '"', '\'']),
        "line {line}: `{value}` is not a plain scalar; keep the manifest block-style"
    );
    value.to_owned()
}

/// Splits a line at a `#` that starts a comment (at the start or after a space, outside quotes).
fn split_comment(line: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && previous.is_whitespace() => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => {
                return (&line[..at], line[at + 1..].trim());
            }
            None => {}
        }
        previous = c;
    }
    (line, "")
}

fn values<'a>(entries: &'a [Entry], path: &str) -> Vec<&'a str> {
    entries
        .iter()
        .filter(|e| e.path == path)
        .map(|e| e.value.as_str())
        .collect()
}

fn one<'a>(entries: &'a [Entry], path: &str) -> &'a str {
    match values(entries, path).as_slice() {
        [value] => value,
        other => panic!("slack-app.yaml: expected one `{path}`, found {other:?}"),
    }
}

/// A list compared as a set, after checking it has no repeats.
fn set_of<'a>(list: &[&'a str], what: &str) -> BTreeSet<&'a str> {
    let set: BTreeSet<&str> = list.iter().copied().collect();
    assert_eq!(set.len(), list.len(), "{what} has repeats: {list:?}");
    set
}

#[test]
fn the_yaml_reader_reads_what_the_manifest_uses() {
    let text = "\
a:
  b: \"#not a comment\" # a comment
  list:
  - one # first
  - 'two'
  maps:
    - name: /x
      flag: true
    - name: /y
c: plain
";
    let entries = read_yaml(text);
    assert_eq!(one(&entries, "a.b"), "#not a comment");
    assert_eq!(entries[0].comment, "a comment");
    assert_eq!(values(&entries, "a.list[]"), ["one", "two"]);
    assert_eq!(entries[1].comment, "first");
    assert_eq!(values(&entries, "a.maps[].name"), ["/x", "/y"]);
    assert_eq!(one(&entries, "a.maps[].flag"), "true");
    assert_eq!(one(&entries, "c"), "plain");
    let flow = std::panic::catch_unwind(|| read_yaml("a: [x, y]\n"));
    assert!(
        flow.is_err(),
        "flow-style lists must be refused, not misread"
    );
}

#[test]
fn slack_manifest_matches_the_code() {
    let (path, text) = repo_file("manifests/slack-app.yaml");
    let entries = read_yaml(&text);
    let at = |e: &Entry| format!("{}:{}", path.display(), e.line);

    // Bot scopes: exactly BOT_SCOPES, each commented with its reason.
    let scopes = values(&entries, "oauth_config.scopes.bot[]");
    let expected: BTreeSet<&str> = BOT_SCOPES.iter().map(|(scope, _)| *scope).collect();
    let listed = set_of(&scopes, "oauth_config.scopes.bot");
    let missing: Vec<_> = expected.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "bot scopes differ from steward::faces::slack::BOT_SCOPES: missing {missing:?}, extra {extra:?}"
    );
    for entry in entries
        .iter()
        .filter(|e| e.path == "oauth_config.scopes.bot[]")
    {
        let (_, reason) = BOT_SCOPES
            .iter()
            .find(|(scope, _)| *scope == entry.value)
            .expect("checked above");
        assert_eq!(
            entry.comment,
            *reason,
            "{}: scope {} should be commented with its reason from BOT_SCOPES",
            at(entry),
            entry.value
        );
    }
    assert!(
        values(&entries, "oauth_config.scopes.user[]").is_empty(),
        "Steward asks for no user scopes"
    );

    // Bot events: exactly BOT_EVENTS.
    let events = values(&entries, "settings.event_subscriptions.bot_events[]");
    assert_eq!(
        set_of(&events, "settings.event_subscriptions.bot_events"),
        BOT_EVENTS.iter().copied().collect::<BTreeSet<_>>(),
        "bot events differ from steward::faces::slack::BOT_EVENTS"
    );

    // The one slash command, escaped so mentions arrive as <@U123|name> for the parser.
    assert_eq!(
        values(&entries, "features.slash_commands[].command"),
        [DEFAULT_SLASH_COMMAND]
    );
    assert_eq!(
        one(&entries, "features.slash_commands[].should_escape"),
        "true"
    );
    assert!(!one(&entries, "features.slash_commands[].description").is_empty());
    assert!(!one(&entries, "features.slash_commands[].usage_hint").is_empty());

    // Socket Mode with interactivity, and so no request URLs anywhere.
    assert_eq!(one(&entries, "settings.socket_mode_enabled"), "true");
    assert_eq!(one(&entries, "settings.interactivity.is_enabled"), "true");
    for entry in &entries {
        assert!(
            !entry.path.ends_with("request_url") && !entry.path.ends_with(".url"),
            "{}: {} is not needed with Socket Mode",
            at(entry),
            entry.path
        );
    }

    // App Home: the Home tab, no Messages tab.
    assert_eq!(one(&entries, "features.app_home.home_tab_enabled"), "true");
    assert_eq!(
        one(&entries, "features.app_home.messages_tab_enabled"),
        "false"
    );
    assert!(!one(&entries, "display_information.name").is_empty());
    assert!(!one(&entries, "features.bot_user.display_name").is_empty());
    assert_eq!(one(&entries, "settings.token_rotation_enabled"), "false");
}

/// The Dockerfile as instructions: continuation lines joined, comments dropped.
fn dockerfile_instructions(text: &str) -> Vec<(String, String)> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (word, rest) = current
                    .split_once(char::is_whitespace)
                    .unwrap_or((&current, ""));
                instructions.push((word.to_uppercase(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    instructions
}

#[test]
fn fly_toml_and_dockerfile_agree() {
    let (_, fly_text) = repo_file("fly.toml");
    let fly: toml::Table = fly_text.parse().expect("fly.toml is valid TOML");

    let http = fly["http_service"].as_table().expect("[http_service]");
    let internal_port = http["internal_port"].as_integer().expect("internal_port");
    assert_eq!(internal_port, 8080);
    let min_running = http
        .get("min_machines_running")
        .and_then(|v| v.as_integer())
        .unwrap_or(0);
    assert!(
        min_running >= 1,
        "Socket Mode needs a live process: min_machines_running >= 1"
    );
    let autostop = http.get("auto_stop_machines");
    assert!(
        matches!(autostop, Some(toml::Value::Boolean(false)))
            || autostop.and_then(|v| v.as_str()) == Some("off"),
        "Socket Mode needs a live process: auto_stop_machines must be off, not {autostop:?}"
    );
    let checks = http["checks"].as_array().expect("[[http_service.checks]]");
    assert!(
        checks.iter().any(
            |c| c.get("path").and_then(|p| p.as_str()) == Some("/healthz")
                && c.get("interval").is_some()
                && c.get("timeout").is_some()
        ),
        "a health check on /healthz with an interval and a timeout"
    );

    // [mounts] may be one table or an array of them.
    let mounts: Vec<&toml::Table> = match &fly["mounts"] {
        toml::Value::Table(t) => vec![t],
        toml::Value::Array(a) => a.iter().filter_map(|m| m.as_table()).collect(),
        other => panic!("[mounts] is {other:?}"),
    };
    let data = mounts
        .iter()
        .find(|m| m.get("destination").and_then(|d| d.as_str()) == Some("/data"))
        .expect("a volume mounted at /data");
    assert!(
        data.get("source")
            .and_then(|s| s.as_str())
            .is_some_and(|s| !s.is_empty())
    );
    if let Some(db) = fly
        .get("env")
        .and_then(|e| e.get("STEWARD_DB"))
        .and_then(|d| d.as_str())
    {
        assert!(
            db.starts_with("/data/"),
            "fly.toml STEWARD_DB {db} is off the volume"
        );
    }
    for secret in ["STEWARD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"] {
        assert!(
            fly.get("env").and_then(|e| e.get(secret)).is_none(),
            "{secret} is a secret: `fly secrets set`, never [env]"
        );
        assert!(
            fly_text.contains(secret),
            "fly.toml should say how to set {secret}"
        );
    }

    let (_, docker_text) = repo_file("Dockerfile");
    let instructions = dockerfile_instructions(&docker_text);
    let froms: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, (word, _))| word == "FROM")
        .map(|(i, _)| i)
        .collect();
    assert!(
        froms.len() >= 2,
        "a multi-stage build: {} FROM",
        froms.len()
    );
    let builds = instructions
        .iter()
        .any(|(word, args)| word == "RUN" && args.contains("cargo build --release"));
    assert!(builds, "the builder runs `cargo build --release`");
    let runtime = &instructions[*froms.last().unwrap()..];
    let of = |name: &str| -> Vec<&str> {
        runtime
            .iter()
            .filter(|(word, _)| word == name)
            .map(|(_, args)| args.as_str())
            .collect()
    };
    let user = *of("USER").last().expect("the runtime stage sets USER");
    let user_name = user.split(':').next().unwrap();
    assert!(
        user_name != "root" && user_name != "0",
        "the runtime runs as a non-root user, not {user}"
    );
    assert!(
        of("RUN").iter().any(|r| r.contains("ca-certificates")),
        "the runtime installs ca-certificates"
    );
    assert!(
        of("ENV")
            .iter()
            .any(|e| e.replace(' ', "=").contains("STEWARD_DB=/data/")),
        "ENV STEWARD_DB points into /data"
    );
    assert!(
        of("VOLUME").iter().any(|v| v.contains("/data")),
        "VOLUME /data"
    );

    let cmd = *of("CMD").last().expect("a CMD");
    let argv: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec (JSON) form");
    assert_eq!(
        argv.get(..2),
        Some(&["steward".to_owned(), "serve".to_owned()][..])
    );
    let listen = argv
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| argv.get(i + 1))
        .expect("CMD passes --listen");
    let (host, port) = listen.rsplit_once(':').expect("--listen host:port");
    assert_eq!(
        port.parse::<i64>().ok(),
        Some(internal_port),
        "the Dockerfile listens on {listen}, fly.toml's internal_port is {internal_port}"
    );
    assert!(
        host != "127.0.0.1" && host != "localhost",
        "listening on loopback would hide it from Fly's proxy"
    );
    assert!(
        of("EXPOSE")
            .iter()
            .any(|e| e.split_whitespace().any(|p| p == port)),
        "EXPOSE {port}"
    );

    let (_, ignore) = repo_file(".dockerignore");
    let ignored: Vec<&str> = ignore
        .lines()
        .map(|l| l.trim().trim_end_matches('/'))
        .collect();
    for needed in ["target", ".git"] {
        assert!(
            ignored.contains(&needed),
            ".dockerignore should leave out {needed}/"
        );
    }
}
