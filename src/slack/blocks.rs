//! Block Kit rendering: pure functions from core state to Slack messages, modals and the Home tab.
