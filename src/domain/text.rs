//! Plain-text building blocks every rendering shares (the CLI, reports, Slack mrkdwn): aligned
//! tables, short node names, channel mentions.

/// Renders rows as an aligned table; cells longer than `max` characters are cut with "…".
pub fn table(headers: &[&str], rows: &[Vec<String>], max: usize) -> String {
    let cut = |s: &str| -> String {
        let one_line = s.replace('\n', " ");
        if one_line.chars().count() > max {
            let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
            t.push('…');
            t
        } else {
            one_line
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cut(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            l.push_str(c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for row in &rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// The last dotted component of a unique_id, e.g. `model.shop.orders` → `orders`; tests keep
/// their name without the hash suffix.
pub fn short_name(unique_id: &str) -> String {
    let parts: Vec<&str> = unique_id.split('.').collect();
    match parts.first() {
        Some(&"test") if parts.len() >= 3 => parts[2].to_owned(),
        Some(&"source") if parts.len() >= 4 => format!("{}.{}", parts[2], parts[3]),
        _ if parts.len() >= 3 => parts[2..].join("."),
        _ => unique_id.to_owned(),
    }
}

/// A Slack message's address from its channel and `ts` (`https://slack.com/archives/C1/p1700000000123456`):
/// Slack redirects it to the workspace, so it works without knowing the workspace's domain.
pub fn slack_permalink(channel: &str, ts: &str) -> String {
    format!(
        "https://slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    )
}

/// A Slack channel as people should see it: an id (`C0123ABCD`) as a channel mention
/// (`<#C0123ABCD>`, which Slack shows as its name), anything else as `#name`.
pub fn channel_mention(channel: &str) -> String {
    let id = channel.trim().trim_start_matches('#');
    let is_id = (9..=20).contains(&id.len())
        && (id.starts_with('C') || id.starts_with('G'))
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if is_id {
        format!("<#{id}>")
    } else {
        format!("#{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_package_and_hash() {
        assert_eq!(short_name("model.shop.orders"), "orders");
        assert_eq!(
            short_name("test.shop.not_null_orders_id.abc123"),
            "not_null_orders_id"
        );
        assert_eq!(short_name("source.shop.raw.orders"), "raw.orders");
        assert_eq!(short_name("weird"), "weird");
    }

    #[test]
    fn tables_align_and_truncate() {
        let t = table(&["A", "B"], &[vec!["x".into(), "yyyyyyyyyy".into()]], 5);
        assert_eq!(t, "A  B\nx  yyyy…\n");
    }
}
