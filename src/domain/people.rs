//! People's names for the faces that are not Slack. Steward stores a person as Slack writes
//! one (`<@U0123ABCD>`), which Slack shows as a name; the CLI, the pages and the Markdown report
//! show `@name` instead, from the `people` table the bot fills with `users.info`.

use crate::domain::issues::ts;
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// How long a stored name is trusted before the bot asks Slack again.
pub const NAME_TTL_DAYS: i64 = 7;

/// Known names by Slack user id.
#[derive(Debug, Clone, Default)]
pub struct People(HashMap<String, String>);

/// How links come out of [`People::humanize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `label (https://…)`, for terminals and HTML (which escapes it).
    Plain,
    /// `[label](https://…)`, for the Markdown report.
    Markdown,
}

impl People {
    pub fn load(c: &Connection) -> Result<People> {
        let mut stmt = c.prepare_cached("SELECT slack_id, name FROM people")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(People(rows.collect::<rusqlite::Result<_>>()?))
    }

    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> People {
        People(pairs.into_iter().collect())
    }

    pub fn name(&self, slack_id: &str) -> Option<&str> {
        self.0.get(slack_id).map(String::as_str)
    }

    /// A stored person (an actor, assignee, commander or author) as a reader outside Slack
    /// should see it: `<@U1>` → `@ana`; anything else (`cli`, an email) as it is.
    pub fn person(&self, who: &str) -> String {
        self.humanize(who, Style::Plain)
    }

    /// Slack's tokens in `text` made readable: people (`<@U1>`, `<@U1|ana>`) by name, channels
    /// (`<#C1|general>`), user groups (`<!subteam^S1|@data>`), `<!here>`, dates (their fallback
    /// text), links (`<https://…|label>`), and `&lt;`, `&gt;`, `&amp;` unescaped. Anything that is
    /// not a Slack token is left as it is.
    pub fn humanize(&self, text: &str, style: Style) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            out.push_str(&unescape(&rest[..open]));
            let after = &rest[open + 1..];
            let Some(close) = after.find('>') else {
                out.push_str(&unescape(&rest[open..]));
                return out;
            };
            let token = &after[..close];
            match self.token(token, style) {
                Some(readable) => out.push_str(&readable),
                None => {
                    out.push('<');
                    out.push_str(&unescape(token));
                    out.push('>');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(&unescape(rest));
        out
    }

    fn token(&self, token: &str, style: Style) -> Option<String> {
        let (target, label) = match token.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (token, None),
        };
        if let Some(id) = target.strip_prefix('@') {
            if !is_slack_id(id) {
                return None;
            }
            let name = self.name(id).or(label).unwrap_or(id);
            return Some(format!("@{}", name.trim_start_matches('@')));
        }
        if let Some(id) = target.strip_prefix('#') {
            return is_slack_id(id).then(|| format!("#{}", label.unwrap_or(id)));
        }
        if let Some(special) = target.strip_prefix('!') {
            if let Some(group) = special.strip_prefix("subteam^") {
                let name = label.unwrap_or(group);
                return Some(format!("@{}", name.trim_start_matches('@')));
            }
            if special.starts_with("date^") {
                return label.map(unescape);
            }
            return matches!(special, "here" | "channel" | "everyone")
                .then(|| format!("@{special}"));
        }
        if target.starts_with("https://")
            || target.starts_with("http://")
            || target.starts_with("mailto:")
        {
            let url = unescape(target);
            return Some(match (label, style) {
                (Some(l), Style::Markdown) => format!("[{}]({url})", unescape(l)),
                (Some(l), Style::Plain) => format!("{} ({url})", unescape(l)),
                (None, Style::Markdown) => format!("<{url}>"),
                (None, Style::Plain) => url,
            });
        }
        None
    }
}

/// A Slack user, channel or group id: an upper-case letter, then upper-case letters and digits.
fn is_slack_id(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Records `name` for `slack_id`; true when it was new or changed.
pub fn remember(tx: &Transaction, slack_id: &str, name: &str, now: DateTime<Utc>) -> Result<bool> {
    let name = name.trim();
    if !is_slack_id(slack_id) || name.is_empty() {
        return Ok(false);
    }
    let known: Option<String> = tx
        .query_row(
            "SELECT name FROM people WHERE slack_id = ?1",
            [slack_id],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "INSERT INTO people (slack_id, name, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (slack_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        params![slack_id, name, ts(now)],
    )?;
    Ok(known.as_deref() != Some(name))
}

/// Slack users Steward has stored as actors, assignees, commanders, authors or follow-up owners
/// whose name is unknown or older than [`NAME_TTL_DAYS`], at most `limit`, unknown first.
pub fn to_look_up(c: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "WITH seen(who) AS (
             SELECT assignee FROM issues WHERE assignee LIKE '<@%'
             UNION SELECT commander FROM incidents WHERE commander LIKE '<@%'
             UNION SELECT declared_by FROM incidents WHERE declared_by LIKE '<@%'
             UNION SELECT actor FROM events WHERE actor LIKE '<@%'
             UNION SELECT author FROM comments WHERE author LIKE '<@%'
             UNION SELECT owner FROM followups WHERE owner LIKE '<@%'
         )
         SELECT DISTINCT who, p.updated_at FROM seen
           LEFT JOIN people p ON p.slack_id = substr(seen.who, 3, length(seen.who) - 3)
          WHERE p.updated_at IS NULL OR p.updated_at < ?1
          ORDER BY p.updated_at IS NOT NULL, p.updated_at",
    )?;
    let stale = ts(now - chrono::Duration::days(NAME_TTL_DAYS));
    let rows = stmt.query_map([stale], |r| r.get::<_, String>(0))?;
    let mut ids = Vec::new();
    for who in rows {
        let who = who?;
        let id = who
            .trim_start_matches("<@")
            .trim_end_matches('>')
            .split('|')
            .next()
            .unwrap_or_default()
            .to_owned();
        if is_slack_id(&id) && !ids.contains(&id) {
            ids.push(id);
            if ids.len() >= limit {
                break;
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> People {
        People::from_pairs([("U0ANA".to_owned(), "Ana Lima".to_owned())])
    }

    #[test]
    fn people_channels_groups_dates_and_links_are_made_readable() {
        let p = people();
        assert_eq!(p.person("<@U0ANA>"), "@Ana Lima");
        assert_eq!(p.person("<@U0BRUNO>"), "@U0BRUNO", "unknown: the id");
        assert_eq!(
            p.person("<@U0BRUNO|bruno>"),
            "@bruno",
            "unknown: Slack's label"
        );
        assert_eq!(p.person("cli"), "cli");
        assert_eq!(p.person("ana@example.com"), "ana@example.com");
        let text = "<@U0ANA> asked <!subteam^S0DATA|@data-eng> in <#C0ALERTS|data-alerts> and <#C0X> \
                    at <!date^1700000000^{date}|Nov 14> about <https://x.io/a?b=1&amp;c=2|the run> &lt;3 <!here>";
        assert_eq!(
            p.humanize(text, Style::Plain),
            "@Ana Lima asked @data-eng in #data-alerts and #C0X at Nov 14 about the run (https://x.io/a?b=1&c=2) <3 @here"
        );
        assert_eq!(
            p.humanize(
                "see <https://x.io|the run> or <https://y.io>",
                Style::Markdown
            ),
            "see [the run](https://x.io) or <https://y.io>"
        );
    }

    #[test]
    fn what_is_not_a_slack_token_is_left_alone() {
        let p = people();
        for text in [
            "a < b > c",
            "<not a token>",
            "<@lower>",
            "unclosed <@U0ANA",
            "x &amp y",
            "",
        ] {
            let out = p.humanize(text, Style::Plain);
            assert!(!out.is_empty() || text.is_empty(), "{text:?}");
        }
        assert_eq!(p.humanize("a < b > c", Style::Plain), "a < b > c");
        assert_eq!(p.humanize("<not a token>", Style::Plain), "<not a token>");
        assert_eq!(
            p.humanize("unclosed <@U0ANA", Style::Plain),
            "unclosed <@U0ANA"
        );
        assert_eq!(
            p.humanize("ünïcödé <@U0ANA> ✓", Style::Plain),
            "ünïcödé @Ana Lima ✓"
        );
    }
}
