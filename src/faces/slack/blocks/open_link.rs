//! "Open in Steward": the link line added to alert and incident messages, the Home tab and the
//! digest when `[http] public_url` is set (the URL is made, and signed, by the caller).

use super::{Message, View};
use serde_json::{Value, json};

/// Blocks a message may hold (Slack's limit).
const MESSAGE_BLOCKS: usize = 50;
/// Blocks a Home tab may hold.
const VIEW_BLOCKS: usize = 100;

fn link_block(url: &str) -> Value {
    json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!("<{url}|Open in Steward>")}]
    })
}

/// `message` with an "Open in Steward" line at its end, when there is a URL and room for it.
pub fn with_open_link(mut message: Message, url: Option<&str>) -> Message {
    if let Some(url) = url
        && message.blocks.len() < MESSAGE_BLOCKS
    {
        message.blocks.push(link_block(url));
    }
    message
}

/// The Home tab with an "Open in Steward" line at its top, when there is a URL and room.
pub fn view_with_open_link(mut view: View, url: Option<&str>) -> View {
    if let (Some(url), Some(blocks)) = (url, view.0["blocks"].as_array_mut())
        && blocks.len() < VIEW_BLOCKS
    {
        blocks.insert(0, link_block(url));
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_added_within_the_limits() {
        let m = Message {
            text: "x".into(),
            blocks: vec![json!({"type": "divider"})],
        };
        let m = with_open_link(m, Some("https://s.example/incidents/INC-1?exp=1&sig=ab"));
        assert_eq!(m.blocks.len(), 2);
        assert!(m.blocks[1].to_string().contains("|Open in Steward>"));
        assert!(crate::faces::slack::limits::check_message(&m.to_json("C1", None)).is_empty());
        let full = Message {
            text: "x".into(),
            blocks: vec![json!({"type": "divider"}); MESSAGE_BLOCKS],
        };
        assert_eq!(
            with_open_link(full, Some("https://s")).blocks.len(),
            MESSAGE_BLOCKS
        );
        let none = with_open_link(m.clone(), None);
        assert_eq!(none.blocks.len(), 2);
        let v = view_with_open_link(
            View(json!({"type": "home", "blocks": []})),
            Some("https://s/status"),
        );
        assert_eq!(v.0["blocks"][0]["type"], "context");
    }
}
