//! `app_home_opened`: publishes the person's Home tab and remembers them, so the notifier
//! republishes it after changes.

use crate::faces::slack::context::Context;
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;

pub async fn handle(ctx: &Arc<Context>, event: &Value) -> Result<()> {
    if let Some(user) = event.get("user").and_then(Value::as_str) {
        ctx.home_users
            .lock()
            .expect("home users lock")
            .insert(user.to_owned());
        crate::faces::slack::home::publish(ctx, user).await?;
    }
    Ok(())
}
