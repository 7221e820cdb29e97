//! The Slack face: Block Kit rendering, the slash command parser, a faithful fake Slack for tests
//! and the demo, and (next) the Socket Mode bot. It calls the same core functions as the CLI and
//! the HTTP API, and nothing in the core imports it.

pub mod access;
pub mod api;
pub mod blocks;
pub mod bot;
pub mod check;
pub mod commands;
pub mod context;
pub mod fake;
pub mod handlers;
pub mod home;
pub mod limits;
pub mod notifier;
pub mod people;
pub mod routing;
pub mod worker;

/// Bot token scopes the app needs, each with why. `manifests/slack-app.yaml` must list exactly
/// these (a test checks it).
pub const BOT_SCOPES: &[(&str, &str)] = &[
    (
        "chat:write",
        "post alerts and incident messages, edit them in place, reply in threads",
    ),
    ("commands", "the /steward slash command"),
    (
        "channels:join",
        "`steward slack check` joins the configured public channels",
    ),
    (
        "channels:read",
        "check that configured public channels exist",
    ),
    (
        "groups:read",
        "check that configured private channels exist and the bot is in them",
    ),
    (
        "channels:history",
        "receive thread replies in public channels, stored as comments",
    ),
    (
        "groups:history",
        "receive thread replies in private channels, stored as comments",
    ),
    (
        "users:read",
        "show people by name in the App Home and reports",
    ),
    (
        "users:read.email",
        "map dbt owner emails to Slack users (users.lookupByEmail)",
    ),
    (
        "usergroups:read",
        "resolve @team handles from meta.steward.owners to user-group mentions; read the members of [access] user groups (usergroups.users.list)",
    ),
];

/// Bot events the app subscribes to. `manifests/slack-app.yaml` must list exactly these.
pub const BOT_EVENTS: &[&str] = &["app_home_opened", "message.channels", "message.groups"];

/// The slash command's default name (configurable with `[slack] command`).
pub use crate::config::DEFAULT_SLASH_COMMAND;
