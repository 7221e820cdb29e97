//! Access control: who may take each guarded action (`[access]`), checked in the core so every
//! face obeys the same rules. Pure: the rules come from the config, the members of user groups
//! from a [`Membership`] snapshot a face fills (the Slack bot, from `usergroups.users.list`).
//!
//! An [`Actor`] is a person known by their chat user ID, or an administrator (the CLI, the HTTP
//! API) who is always allowed and is recorded by name. An action with no rule is open to all.

use crate::config::{AccessConfig, AccessEntry};
use crate::error::{InputError, InputErrorKind};
use arc_swap::ArcSwap;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// The guarded actions, one per `[access]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Declare,
    ResolveIssues,
    ResolveIncidents,
    Mute,
    SeverityCommander,
    MergeSplit,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Declare,
        Action::ResolveIssues,
        Action::ResolveIncidents,
        Action::Mute,
        Action::SeverityCommander,
        Action::MergeSplit,
    ];

    /// Its key in `[access]`.
    pub fn key(self) -> &'static str {
        match self {
            Action::Declare => "declare",
            Action::ResolveIssues => "resolve_issues",
            Action::ResolveIncidents => "resolve_incidents",
            Action::Mute => "mute",
            Action::SeverityCommander => "severity_commander",
            Action::MergeSplit => "merge_split",
        }
    }

    /// What it lets people do, for a refusal: "may declare incidents".
    pub fn doing(self) -> &'static str {
        match self {
            Action::Declare => "declare incidents",
            Action::ResolveIssues => "resolve or close issues",
            Action::ResolveIncidents => "resolve incidents",
            Action::Mute => "mute or unmute alerts",
            Action::SeverityCommander => "change an incident's severity or commander",
            Action::MergeSplit => "merge or split incidents",
        }
    }
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person, by their Slack user ID (`U0123`): subject to `[access]`.
    User(String),
    /// The CLI or the HTTP API, by the name they act under (`--as`, the token's name): always
    /// allowed, since whoever holds the database or the token administers Steward.
    Admin(String),
}

impl Actor {
    pub fn user(id: impl Into<String>) -> Actor {
        Actor::User(id.into())
    }

    pub fn admin(name: impl Into<String>) -> Actor {
        Actor::Admin(name.into())
    }

    /// As the timeline records it: a person as a mention (`<@U0123>`), so every face can show
    /// it; an administrator by name.
    pub fn recorded(&self) -> String {
        match self {
            Actor::User(id) => format!("<@{id}>"),
            Actor::Admin(name) => name.clone(),
        }
    }
}

/// Who is in each user group: a snapshot, replaced whole when the groups are read again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// Group ID (`S0123`) → its members' user IDs.
    pub groups: HashMap<String, HashSet<String>>,
    /// Handle (lowercase, no `@`) → group ID.
    pub handles: HashMap<String, String>,
}

impl Membership {
    /// Whether `user` is in the group `entry` names (by ID or by handle).
    fn contains(&self, entry: &AccessEntry, user: &str) -> bool {
        let id = match entry {
            AccessEntry::User(_) => return false,
            AccessEntry::Group(id) => id.as_str(),
            AccessEntry::Handle(h) => match self.handles.get(h) {
                Some(id) => id.as_str(),
                None => return false,
            },
        };
        self.groups.get(id).is_some_and(|m| m.contains(user))
    }
}

/// Why an action was refused: the rule, and who it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    /// The rule's entries as written.
    pub allowed: Vec<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.allowed.is_empty() {
            "administrators (the CLI)".to_owned()
        } else {
            self.allowed.join(", ")
        };
        write!(
            f,
            "only [access] {} may {}: {who}",
            self.action.key(),
            self.action.doing()
        )
    }
}

impl From<Refusal> for InputError {
    /// A refusal as every face shows it: one line naming the rule (HTTP 403).
    fn from(r: Refusal) -> InputError {
        InputError::new("Not allowed", r.to_string()).kind(InputErrorKind::Forbidden)
    }
}

/// The rule for `action` in `config`: None when it is open to everyone.
pub fn rule(config: &AccessConfig, action: Action) -> Option<Vec<AccessEntry>> {
    let list = config
        .lists()
        .into_iter()
        .find(|(key, _)| *key == action.key())
        .and_then(|(_, l)| l)?;
    Some(list.iter().filter_map(|e| AccessEntry::parse(e)).collect())
}

/// Whether `actor` may take `action` under `rule` (None: everyone), with `membership` for the
/// groups it names.
pub fn allows(
    action: Action,
    rule: Option<&[AccessEntry]>,
    actor: &Actor,
    membership: &Membership,
) -> Result<(), Refusal> {
    let (Some(rule), Actor::User(user)) = (rule, actor) else {
        return Ok(());
    };
    let allowed = rule.iter().any(|e| match e {
        AccessEntry::User(id) => id == user,
        group => membership.contains(group, user),
    });
    if allowed {
        Ok(())
    } else {
        Err(Refusal {
            action,
            allowed: rule.iter().map(AccessEntry::shown).collect(),
        })
    }
}

/// The rules and the latest membership, shared by every face through `App`.
#[derive(Debug)]
pub struct Access {
    rules: HashMap<Action, Vec<AccessEntry>>,
    groups: Vec<AccessEntry>,
    membership: ArcSwap<Membership>,
}

impl Access {
    pub fn new(config: &AccessConfig) -> Access {
        let rules = Action::ALL
            .iter()
            .filter_map(|a| Some((*a, rule(config, *a)?)))
            .collect();
        Access {
            rules,
            groups: config.groups(),
            membership: ArcSwap::from_pointee(Membership::default()),
        }
    }

    /// Whether `actor` may take `action` now (see [`allows`]).
    pub fn check(&self, action: Action, actor: &Actor) -> Result<(), Refusal> {
        let rule = self.rules.get(&action).map(Vec::as_slice);
        allows(action, rule, actor, &self.membership.load())
    }

    /// The user groups the rules name (IDs and handles), for a face to resolve.
    pub fn groups(&self) -> &[AccessEntry] {
        &self.groups
    }

    /// Replaces the membership snapshot (readers never block).
    pub fn set_membership(&self, membership: Membership) {
        self.membership.store(Arc::new(membership));
    }

    pub fn membership(&self) -> Arc<Membership> {
        self.membership.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> AccessConfig {
        crate::config::Config::parse("steward.toml", text)
            .unwrap()
            .access
    }

    #[test]
    fn absent_rules_allow_everyone_and_admins_are_always_allowed() {
        let access = Access::new(&config("[access]\ndeclare = [\"U1\"]\n"));
        assert!(access.check(Action::Mute, &Actor::user("U9")).is_ok());
        assert!(access.check(Action::Declare, &Actor::user("U1")).is_ok());
        assert!(access.check(Action::Declare, &Actor::admin("cli")).is_ok());
        let refusal = access
            .check(Action::Declare, &Actor::user("U9"))
            .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "only [access] declare may declare incidents: U1"
        );
    }

    #[test]
    fn groups_by_id_and_by_handle_follow_the_membership_snapshot() {
        let access = Access::new(&config(
            "[access]\nmerge_split = [\"S1\", \"@Data-Oncall\"]\nmute = [\"U1\", \"S1\"]\n",
        ));
        assert_eq!(
            access.groups(),
            [
                AccessEntry::Group("S1".into()),
                AccessEntry::Handle("data-oncall".into())
            ]
        );
        let bo = Actor::user("U2");
        let refusal = access.check(Action::MergeSplit, &bo).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "only [access] merge_split may merge or split incidents: S1, @data-oncall"
        );
        let mut m = Membership::default();
        m.groups.insert("S2".into(), ["U2".to_owned()].into());
        m.handles.insert("data-oncall".into(), "S2".into());
        access.set_membership(m);
        assert!(access.check(Action::MergeSplit, &bo).is_ok());
        assert!(access.check(Action::Mute, &bo).is_err(), "S1 is not S2");
        access.set_membership(Membership::default());
        assert!(access.check(Action::MergeSplit, &bo).is_err());
    }

    #[test]
    fn an_empty_rule_leaves_the_action_to_administrators() {
        let access = Access::new(&config("[access]\nresolve_incidents = []\n"));
        let e = access
            .check(Action::ResolveIncidents, &Actor::user("U1"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "only [access] resolve_incidents may resolve incidents: administrators (the CLI)"
        );
        let e: InputError = e.into();
        assert_eq!(e.kind, InputErrorKind::Forbidden);
        assert!(
            access
                .check(Action::ResolveIncidents, &Actor::admin("ops"))
                .is_ok()
        );
    }

    #[test]
    fn actors_are_recorded_as_mentions_or_names() {
        assert_eq!(Actor::user("U1").recorded(), "<@U1>");
        assert_eq!(Actor::admin("dana").recorded(), "dana");
    }
}
