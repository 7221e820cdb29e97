//! Reports: `report` (metrics), `digest` and `postmortem`.

use super::incidents::incident_number;
use super::{Context_, print_json};
use anyhow::Result;

pub(super) fn report(ctx: &Context_, since: String, json: bool) -> Result<()> {
    let window = crate::domain::metrics::Window::parse(&since)?;
    let report = ctx.app()?.report(&window)?;
    if json {
        print_json(&report)
    } else {
        out!("{}", crate::domain::metrics::render(&report));
        Ok(())
    }
}

pub(super) fn digest(ctx: &Context_, json: bool) -> Result<()> {
    let digest = ctx.app()?.current_digest()?;
    if json {
        print_json(&digest)
    } else {
        out!("{}", crate::domain::digest::render(&digest));
        Ok(())
    }
}

pub(super) fn postmortem(ctx: &Context_, id: String, json: bool) -> Result<()> {
    let n = incident_number(&id)?;
    let app = ctx.app()?;
    let data = app.postmortem(n)?;
    if json {
        print_json(&data)
    } else {
        // Slack's `<@U…>` as `@name`: a Markdown file is read outside Slack.
        let people = app.people()?;
        out!(
            "{}",
            people.humanize(
                &crate::domain::postmortem::render(&data),
                crate::domain::people::Style::Markdown
            )
        );
        Ok(())
    }
}
