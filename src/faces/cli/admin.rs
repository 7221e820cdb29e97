//! Running and checking Steward: `serve`, `backup`, `restore`, `config check` and `slack check`.

use super::{Context_, print_json};
use crate::error::InputError;
use anyhow::{Context, Result};
use std::path::Path;

pub(super) fn serve(ctx: &Context_, listen: Option<String>) -> Result<()> {
    let listen = listen.unwrap_or_else(|| ctx.config.http.listen.clone());
    // Held until the process ends: `steward restore` refuses to run under a server.
    let _lock = crate::store::backup::ServeLock::acquire(&ctx.db)?;
    let app = ctx.app()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::faces::serve::run(app, &listen))
}

/// `steward config check`: the effective settings, after checking `[[products]]`.
pub(super) fn config_check(ctx: &Context_, config: Option<&Path>, json: bool) -> Result<()> {
    let origin = config.map_or_else(|| "steward.toml".to_owned(), |p| p.display().to_string());
    let products_note = check_products(ctx, &origin)?;
    // Settings that only the Slack bot acts on.
    if ctx.config.slack.is_none() && ctx.config.digest.is_some() {
        eprintln!(
            "warning: {origin}: [digest] is set but [slack] is not: no digest will be posted"
        );
    }
    if json {
        print_json(&ctx.config)
    } else {
        outln!("config OK");
        out!(
            "{}",
            toml::to_string_pretty(&ctx.config).context("printing the config")?
        );
        outln!("# database in use: {}", ctx.db.display());
        outln!(
            "# STEWARD_TOKEN is {}",
            if std::env::var("STEWARD_TOKEN")
                .map(|t| !t.is_empty())
                .unwrap_or(false)
            {
                "set"
            } else {
                "not set"
            }
        );
        outln!("# data products: {products_note}");
        Ok(())
    }
}

/// Checks `[[products]]` against the stored lineage, when a manifest was ingested: warnings go
/// to stderr, a product matching nothing is an error. Returns the line saying what was checked.
fn check_products(ctx: &Context_, origin: &str) -> Result<String> {
    let lineage = match ctx.db.exists() {
        true => Some(ctx.app()?.lineage.current()),
        false => None,
    };
    let check =
        crate::domain::products::check_config(origin, &ctx.config.products, lineage.as_deref());
    for w in &check.warnings {
        eprintln!("warning: {w}");
    }
    if let Some((last, rest)) = check.errors.split_last() {
        for e in rest {
            eprintln!("error: {e}");
        }
        return Err(last.clone().into());
    }
    Ok(check.note)
}

pub(super) fn slack_check(
    ctx: &Context_,
    json: bool,
    manifest: Option<&std::path::Path>,
) -> Result<()> {
    let settings = crate::faces::slack::bot::SlackSettings::from_env(ctx.config.slack.as_ref())?
        .ok_or_else(|| {
            InputError::new(
                "slack check",
                "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (and a [slack] table in steward.toml)",
            )
        })?;
    let local = std::path::Path::new("manifests/slack-app.yaml");
    let (origin, text) = match manifest.or(local.exists().then_some(local)) {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| {
                InputError::new(path.display().to_string(), format!("cannot read: {e}"))
            })?,
        ),
        None => (
            "the app manifest this build ships".to_owned(),
            crate::faces::slack::check::BUILT_IN_MANIFEST.to_owned(),
        ),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lines = runtime.block_on(async {
        let client = crate::faces::slack::api::client(&settings.api_url)?;
        let api = |token: &str| {
            crate::faces::slack::api::SlackApi::new(
                client.clone(),
                token,
                settings.config.post_interval,
                settings.config.burst,
            )
        };
        let (bot, app) = (
            api(settings.bot_token.expose()),
            api(settings.app_token.expose()),
        );
        let install = crate::faces::slack::check::Install {
            slack: &settings.config,
            config: &ctx.config,
            app_api: &app,
            app_token_is_xapp: settings.app_token.expose().starts_with("xapp-"),
            manifest: (&origin, &text),
        };
        Ok::<_, anyhow::Error>(crate::faces::slack::check::run(&bot, &install).await)
    })?;
    let failed = lines.iter().filter(|l| !l.ok).count();
    if json {
        print_json(&lines)?;
    } else {
        for l in &lines {
            outln!(
                "{} {}: {}",
                if l.ok { "ok  " } else { "FAIL" },
                l.what,
                l.detail
            );
        }
    }
    if failed > 0 {
        // Exit 1: the install is wrong, not the command line.
        anyhow::bail!("slack check: {failed} check(s) failed");
    }
    Ok(())
}

/// `steward backup FILE`: an online copy of the database.
pub(super) fn backup(ctx: &Context_, file: &Path, force: bool, json: bool) -> Result<()> {
    let copied = crate::store::backup::backup(&ctx.db, file, force)?;
    if json {
        return print_json(&copied);
    }
    outln!(
        "backed up {} to {} ({} pages, {} bytes, schema version {})",
        ctx.db.display(),
        copied.file,
        copied.pages,
        copied.bytes,
        copied.schema_version
    );
    Ok(())
}

/// `steward restore FILE`: the database becomes the backup.
pub(super) fn restore(ctx: &Context_, file: &Path, json: bool) -> Result<()> {
    let copied = crate::store::backup::restore(&ctx.db, file)?;
    if json {
        return print_json(&copied);
    }
    outln!(
        "restored {} from {} ({} pages, schema version {})",
        copied.file,
        file.display(),
        copied.pages,
        copied.schema_version
    );
    Ok(())
}
