//! The "Comment" button on an alert opens the comment modal; its submission
//! (`steward.comment`) adds the comment to the issue.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{Button, Errors, Modal, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Comment(i64);

impl Button for Comment {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Comment(action.issue()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        ctx.api
            .open_view(&action.trigger, &blocks::comment_modal(self.0))
            .await?;
        Ok(())
    }
}

pub struct CommentText {
    issue: i64,
    text: String,
}

impl Modal for CommentText {
    /// A comment (and an incident's update) is never empty.
    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        if s.text("comment").is_none() {
            errors.insert("comment".to_owned(), "The comment is empty.".to_owned());
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        Ok(CommentText {
            issue: s.required_issue()?,
            text: s.text("comment").unwrap_or_default(),
        })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let actor = mention(&s.user);
        core(ctx, move |app| app.comment(self.issue, &actor, &self.text)).await?;
        Ok(())
    }
}
