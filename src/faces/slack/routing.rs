//! Where an alert goes: dbt `meta.steward` settings first (test, then model), then the config's
//! routing rules in order, then the default alerts channel. Pure, so it is tested without Slack.

use crate::config::{Route, SlackConfig};
use crate::domain::issues::Issue;
use crate::lineage::{Impact, Lineage};

/// The decision for one alert group.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    pub channel: String,
    /// `meta.steward.mute: true` on the test or the model: no alert at all.
    pub muted: bool,
    /// Extra people or `@usergroup` handles from `meta.steward.owners`.
    pub extra_mentions: Vec<String>,
    /// Why this channel, for logs and `steward slack check`.
    pub reason: String,
}

/// Routes the alert for `group` (root issues on one asset; `group[0]` represents it).
pub fn route(
    config: &SlackConfig,
    lineage: &Lineage,
    group: &[Issue],
    impact: Option<&Impact>,
) -> Routing {
    let first = &group[0];
    let asset = lineage.get(&first.asset);
    let tests: Vec<_> = group
        .iter()
        .filter_map(|i| i.node.as_deref())
        .filter(|n| n.starts_with("test."))
        .filter_map(|n| lineage.get(n))
        .collect();
    let mut muted = false;
    let mut channel: Option<(String, String)> = None;
    let mut extra: Vec<String> = Vec::new();
    for idx in tests.iter().copied().chain(asset) {
        let node = lineage.node(idx);
        let Some(meta) = &node.steward else { continue };
        muted |= meta.mute;
        if channel.is_none()
            && let Some(c) = &meta.channel
        {
            channel = Some((
                c.clone(),
                format!("meta.steward.channel on {}", node.unique_id),
            ));
        }
        for o in &meta.owners {
            if !extra.contains(o) {
                extra.push(o.clone());
            }
        }
    }
    let (channel, reason) = channel.unwrap_or_else(|| {
        config
            .routes
            .iter()
            .enumerate()
            .find(|(_, r)| matches(r, lineage, group, impact))
            .map(|(i, r)| (r.channel.clone(), format!("slack.routes[{i}]")))
            .unwrap_or_else(|| {
                (
                    config.alerts_channel.clone(),
                    "slack.alerts_channel".to_owned(),
                )
            })
    });
    Routing {
        channel,
        muted,
        extra_mentions: extra,
        reason,
    }
}

fn matches(rule: &Route, lineage: &Lineage, group: &[Issue], impact: Option<&Impact>) -> bool {
    let node = lineage.get(&group[0].asset).map(|i| lineage.node(i));
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let owner_ok = rule
        .owner
        .as_deref()
        .is_none_or(|o| group.iter().any(|i| i.owners.iter().any(|x| eq(x, o))));
    let group_ok = rule.group.as_deref().is_none_or(|g| {
        node.and_then(|n| n.group.as_deref())
            .is_some_and(|ng| eq(ng, g))
    });
    let tag_ok = rule
        .tag
        .as_deref()
        .is_none_or(|t| node.is_some_and(|n| n.tags.iter().any(|x| eq(x, t))));
    let product_ok = rule.data_product.as_deref().is_none_or(|p| {
        node.is_some_and(|n| n.data_products.iter().any(|x| eq(x, p)))
            || impact.is_some_and(|i| i.data_products.iter().any(|x| eq(x, p)))
    });
    let severity_ok = rule
        .severity
        .as_deref()
        .is_none_or(|s| group.iter().any(|i| eq(&i.severity, s)));
    owner_ok && group_ok && tag_ok && product_ok && severity_ok
}
