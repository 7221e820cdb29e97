//! "Add issue" on an incident message opens the link modal (related issues first); its
//! submission (`steward.incident_link`) links the chosen and typed issues to the incident.

use crate::faces::slack::blocks;
use crate::faces::slack::context::Context;
use crate::faces::slack::handlers::kit::{self, Button, Errors, Modal, core, mention};
use crate::faces::slack::handlers::payload::{Action, Malformed, Submission};
use anyhow::Result;
use std::sync::Arc;

pub struct Link(i64);

impl Button for Link {
    fn read(action: &Action) -> Result<Self, Malformed> {
        Ok(Link(action.incident()?))
    }

    async fn handle(self, ctx: &Arc<Context>, action: &Action<'_>) -> Result<()> {
        let n = self.0;
        kit::incident(ctx, n, true).await?;
        let candidates = core(ctx, move |app| app.link_candidates(n)).await?;
        let candidates: Vec<blocks::LinkCandidate> = candidates
            .into_iter()
            .map(|(i, related, in_incident)| blocks::LinkCandidate {
                id: i.id,
                label: format!(
                    "{} {}",
                    crate::domain::text::short_name(&i.asset),
                    crate::domain::text::short_name(&i.check)
                ),
                related,
                in_incident,
            })
            .collect();
        let view = blocks::incident_link_modal(n, &candidates);
        ctx.api.open_view(&action.trigger, &view).await?;
        Ok(())
    }
}

pub struct Issues {
    incident: i64,
    ids: Vec<i64>,
}

impl Modal for Issues {
    fn validate(s: &Submission) -> Errors {
        let mut errors = Errors::new();
        let typed = s.text("issue_numbers").unwrap_or_default();
        match blocks::parse_issue_numbers(&typed) {
            Err(e) => {
                errors.insert("issue_numbers".to_owned(), e);
            }
            Ok(numbers) if numbers.is_empty() && !s.ticked("issues") => {
                errors.insert(
                    "issue_numbers".to_owned(),
                    "Pick an issue above or type its number.".to_owned(),
                );
            }
            Ok(_) => {}
        }
        errors
    }

    fn read(s: &Submission) -> Result<Self, Malformed> {
        let incident = s.required_incident()?;
        let mut ids = s.numbers("issues");
        ids.extend(
            blocks::parse_issue_numbers(&s.text("issue_numbers").unwrap_or_default())
                .unwrap_or_default(),
        );
        ids.sort_unstable();
        ids.dedup();
        Ok(Issues { incident, ids })
    }

    async fn handle(self, ctx: &Arc<Context>, s: &Submission<'_>) -> Result<()> {
        let (n, ids, actor) = (self.incident, self.ids, mention(&s.user));
        // Adding an issue that is in another open incident moves it here: the modal
        // said so next to it.
        // Every number is checked before anything is linked.
        core(ctx, move |app| {
            for id in &ids {
                let i = app.issue(*id)?.issue;
                if !i.is_active() {
                    return Err(crate::error::InputError::new(
                        format!("issue {id}"),
                        "it is resolved; only open issues join an incident",
                    )
                    .into());
                }
            }
            for id in ids {
                app.incident_link(n, id, &actor, true)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}
