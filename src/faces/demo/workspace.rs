//! The demo's simulated Slack workspace: the fake Slack in this process, the real bot against
//! it, and the people of the story clicking buttons, filling modals and replying in threads.
//! Every step waits until its effect is visible in the store and in Slack (with a timeout).

use super::transcript::{Names, Note};
use crate::app::App;
use crate::config::Config;
use crate::faces::http::Secret;
use crate::faces::slack::bot::{self, Bot, SlackSettings};
use crate::faces::slack::fake::{
    ActionValue, EnvelopeKind, FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FAKE_BOT_USER_ID, FakeSlack,
    StoredView, block_action,
};
use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};
use std::time::Duration;

pub const ALERTS: &str = "C0ALERTS01";
pub const INCIDENTS: &str = "C0INCIDEN1";
pub const FINANCE: &str = "C0FINANCE1";
pub const MARKETING: &str = "C0MARKETNG";

/// Channels in the order the transcript shows them.
pub const CHANNELS: [(&str, &str); 4] = [
    (ALERTS, "data-alerts"),
    (MARKETING, "marketing-data"),
    (FINANCE, "finance-data"),
    (INCIDENTS, "data-incidents"),
];

/// The people: id, handle, display name, email.
pub const PEOPLE: [(&str, &str, &str, &str); 4] = [
    ("U0ANA", "ana", "Ana", "ana@example.com"),
    ("U0BRUNO", "bruno", "Bruno", "bruno@example.com"),
    ("U0CARLA", "carla", "Carla", "carla@example.com"),
    ("U0DMITRI", "dmitri", "Dmitri", "dmitri@example.com"),
];

/// How long one step may take before the demo gives up and says which.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The `[slack]` table of the demo: the two channels, and fast pacing (the demo is not the
/// pacing benchmark). Everything else takes its default.
pub const SLACK_TOML: &str = r#"
alerts_channel = "C0ALERTS01"
incidents_channel = "C0INCIDEN1"
post_interval = "20ms"
burst = 5
"#;

/// The demo's data products, with the uptime targets the SLA report measures.
pub const PRODUCTS_TOML: &str = r#"
[[products]]
name = "revenue"
team = "finance"
channel = "C0FINANCE1"
tier = 1
sla = "99.5%"
select = ["fct_revenue"]

[[products]]
name = "customer_360"
team = "core"
sla = "99%"
select = ["dim_customers"]
"#;

/// The demo's `steward.toml`: [`SLACK_TOML`] as `[slack]`, then [`PRODUCTS_TOML`], parsed and
/// validated as a real file is.
pub fn config() -> anyhow::Result<Config> {
    let text = format!("[slack]{SLACK_TOML}\n{PRODUCTS_TOML}");
    Ok(Config::parse("the demo's steward.toml", &text)?)
}

pub struct Workspace {
    pub app: App,
    pub fake: FakeSlack,
    bot: Option<Bot>,
    pub names: Names,
    /// Modals people saw, for the transcript.
    pub notes: Vec<Note>,
}

impl Workspace {
    /// Starts the fake Slack with the story's people and channels, then the bot against it, and
    /// waits for its Socket Mode connection.
    pub async fn start(app: App) -> Result<Workspace> {
        let fake = FakeSlack::start().await?;
        for (id, name) in CHANNELS {
            fake.add_channel(id, name, false, true);
        }
        for (id, handle, _, email) in PEOPLE {
            fake.add_user(id, handle, email);
        }
        let config = app
            .config
            .slack
            .clone()
            .context("the demo app has no [slack] settings")?;
        let settings = SlackSettings {
            bot_token: Secret::new(FAKE_BOT_TOKEN.into()),
            app_token: Secret::new(FAKE_APP_TOKEN.into()),
            api_url: fake.api_url(),
            config,
        };
        let bot = bot::start(app.clone(), settings).await?;
        fake.wait_for_socket(STEP_TIMEOUT).await?;
        let mut users: Vec<(String, String)> = PEOPLE
            .iter()
            .map(|(id, handle, _, _)| ((*id).to_owned(), (*handle).to_owned()))
            .collect();
        users.push((FAKE_BOT_USER_ID.to_owned(), "steward".to_owned()));
        let names = Names {
            users,
            channels: CHANNELS
                .iter()
                .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
                .collect(),
        };
        Ok(Workspace {
            app,
            fake,
            bot: Some(bot),
            names,
            notes: Vec::new(),
        })
    }

    /// Stops the bot and checks that every payload it sent passed Slack's rules.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(b) = self.bot.take() {
            b.stop().await;
        }
        let violations = self.fake.violations();
        if !violations.is_empty() {
            bail!(
                "the fake Slack saw {} violation(s):\n  {}",
                violations.len(),
                violations.join("\n  ")
            );
        }
        Ok(())
    }

    /// Waits until `f` holds.
    pub async fn until(&self, what: &str, f: impl Fn(&Workspace) -> bool) -> Result<()> {
        self.fake
            .wait_until(STEP_TIMEOUT, |_| f(self))
            .await
            .with_context(|| format!("the demo timed out waiting for: {what}"))
    }

    /// Waits until the bot has delivered every outbox item to Slack and told every data
    /// product's channel of its status.
    pub async fn drained(&self) -> Result<()> {
        self.until("Slack to catch up (the outbox to drain)", |w| {
            w.app
                .store
                .read(crate::store::outbox::pending_count)
                .is_ok_and(|n| n == 0)
                && w.app.product_announcements().is_ok_and(|a| a.is_empty())
        })
        .await
    }

    /// Has the bot learn the names of everyone the story stored (what its background pass does
    /// every few minutes), so the report printed next shows names, not Slack ids.
    pub async fn learn_names(&self) -> Result<()> {
        if let Some(bot) = &self.bot {
            crate::faces::slack::people::learn_names(&self.app, &bot.api).await?;
        }
        Ok(())
    }

    /// Issue `id`'s alert: channel and ts.
    pub fn alert_of(&self, id: i64) -> Result<(String, String)> {
        let s = self
            .app
            .issue(id)?
            .slack
            .with_context(|| format!("issue #{id} has no Slack message"))?;
        Ok((
            s.channel,
            s.ts.with_context(|| format!("issue #{id}'s message has no ts"))?,
        ))
    }

    /// `user` uses `action` on issue `id`'s alert; waits for the ack.
    pub async fn click(&self, user: &str, id: i64, action: &str, value: ActionValue) -> Result<()> {
        let (channel, ts) = self.alert_of(id)?;
        let trigger = self.fake.issue_trigger_id();
        let payload = block_action(
            user,
            &channel,
            &ts,
            action,
            &format!("steward.issue.{id}"),
            value,
            &trigger,
        );
        let env = self
            .fake
            .send_envelope(EnvelopeKind::Interactive, payload)
            .await;
        self.fake
            .wait_for_ack(&env, STEP_TIMEOUT)
            .await
            .with_context(|| format!("{action} on issue #{id} was not acknowledged"))?;
        Ok(())
    }

    /// Waits for a modal `callback_id` opened after the first `seen` views.
    pub async fn modal(&self, callback_id: &str, seen: usize) -> Result<StoredView> {
        let find = |w: &Workspace| {
            w.fake
                .views()
                .into_iter()
                .skip(seen)
                .find(|v| v.kind == "modal" && v.view["callback_id"] == callback_id)
        };
        self.until(&format!("the {callback_id} modal"), |w| find(w).is_some())
            .await?;
        find(self).context("the modal vanished")
    }

    /// `user` submits `view` with `values`; fails if the modal answers with errors.
    pub async fn submit(&self, view: &StoredView, user: &str, values: Value) -> Result<()> {
        let payload = self.fake.view_submission_for(&view.id, user, values)?;
        let env = self
            .fake
            .send_envelope(EnvelopeKind::Interactive, payload)
            .await;
        let ack = self.fake.wait_for_ack(&env, STEP_TIMEOUT).await?;
        if let Some(p) = ack.payload.as_ref()
            && p.get("response_action").and_then(Value::as_str) == Some("errors")
        {
            bail!("the modal refused the submission: {p}");
        }
        Ok(())
    }

    /// `user` replies in the thread of issue `id`'s alert.
    pub async fn reply(&self, user: &str, id: i64, text: &str) -> Result<()> {
        let (channel, ts) = self.alert_of(id)?;
        self.fake
            .post_as_user(user, &channel, text, Some(&ts))
            .await;
        Ok(())
    }

    /// Incident `n`'s message in the incidents channel: its ts.
    pub fn incident_message(&self, n: i64) -> Result<String> {
        let label = format!("INC-{n}");
        let mut top: Vec<_> = self
            .fake
            .messages(INCIDENTS)
            .into_iter()
            .filter(|m| {
                !m.ephemeral
                    && m.thread_ts.as_deref().is_none_or(|t| t == m.ts)
                    && (m.text.contains(&label)
                        || m.blocks
                            .as_ref()
                            .is_some_and(|b| b.to_string().contains(&label)))
            })
            .collect();
        top.sort_by_key(|m| ts_key(&m.ts));
        top.first()
            .map(|m| m.ts.clone())
            .with_context(|| format!("{label} has no message in #data-incidents"))
    }

    /// `user` presses `action` on incident `n`'s message; waits for the ack.
    pub async fn click_incident(&self, user: &str, n: i64, action: &str) -> Result<()> {
        let ts = self.incident_message(n)?;
        let trigger = self.fake.issue_trigger_id();
        let payload = block_action(
            user,
            INCIDENTS,
            &ts,
            action,
            &format!("steward.incident.{n}"),
            ActionValue::Button(n.to_string()),
            &trigger,
        );
        let env = self
            .fake
            .send_envelope(EnvelopeKind::Interactive, payload)
            .await;
        self.fake
            .wait_for_ack(&env, STEP_TIMEOUT)
            .await
            .with_context(|| format!("{action} on INC-{n} was not acknowledged"))?;
        Ok(())
    }

    /// Remembers a modal `who` saw on issue `id`'s alert, for the transcript.
    pub fn note(&mut self, id: i64, text: String) -> Result<()> {
        let (channel, thread_ts) = self.alert_of(id)?;
        self.note_on(channel, thread_ts, text);
        Ok(())
    }

    /// Remembers a modal seen on the message `thread_ts` of `channel`, for the transcript.
    pub fn note_on(&mut self, channel: String, thread_ts: String, text: String) {
        let after_ts = self
            .fake
            .all_messages()
            .into_iter()
            .map(|m| m.ts)
            .max_by_key(|ts| ts_key(ts))
            .unwrap_or_default();
        self.notes.push(Note {
            channel,
            thread_ts,
            after_ts,
            text,
        });
    }
}

/// `1700000000.000100` as (seconds, fraction), so ts order is numeric.
fn ts_key(ts: &str) -> (u64, u64) {
    let (s, f) = ts.split_once('.').unwrap_or((ts, "0"));
    (s.parse().unwrap_or(0), f.parse().unwrap_or(0))
}

/// A modal's title.
pub fn title(view: &StoredView) -> String {
    view.view
        .pointer("/title/text")
        .and_then(Value::as_str)
        .unwrap_or("a modal")
        .to_owned()
}

/// The declare modal's preselected related issues, as the submission carries them (Slack
/// submits an input's initial options unless the person changes them), and their ids.
pub fn preselected_issues(view: &StoredView) -> (Option<Value>, Vec<String>) {
    let initial = view
        .view
        .get("blocks")
        .and_then(Value::as_array)
        .and_then(|blocks| blocks.iter().find(|b| b["block_id"] == "issues"))
        .and_then(|b| b.pointer("/element/initial_options"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if initial.is_empty() {
        return (None, Vec::new());
    }
    let ids = initial
        .iter()
        .filter_map(|o| o.get("value").and_then(Value::as_str))
        .map(|v| format!("#{v}"))
        .collect();
    (
        Some(
            json!({"steward.issues": {"type": "multi_static_select", "selected_options": initial}}),
        ),
        ids,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_slack_table_parses_and_names_the_demo_channels() {
        let c = super::config().unwrap().slack.unwrap();
        assert_eq!(c.alerts_channel, super::ALERTS);
        assert_eq!(c.incidents_channel, super::INCIDENTS);
        assert_eq!(c.post_interval, std::time::Duration::from_millis(20));
        assert!(c.routes.is_empty());
    }

    #[test]
    fn the_demo_config_has_two_products_with_slas() {
        let c = super::config().unwrap();
        let names: Vec<&str> = c.products.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["revenue", "customer_360"]);
        assert!(c.products.iter().all(|p| p.sla_target().is_some()));
    }
}
