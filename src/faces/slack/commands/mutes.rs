//! The mute words of `/steward`: `mute <n | asset> <duration | until-fixed>` and
//! `unmute <n | asset>`.

use super::{
    Command, MAX_MUTE, MuteDuration, MuteTarget, ParseError, asset_name, issue_number,
    looks_like_issue_number, split_first, truncate, usage_of,
};
use std::time::Duration;

/// `<n | asset>`, the first word of `mute` and `unmute`.
fn target(word: &str, usage: &'static str) -> Result<MuteTarget, ParseError> {
    Ok(if looks_like_issue_number(word) {
        MuteTarget::Issue(issue_number(word, usage)?)
    } else {
        MuteTarget::Asset(asset_name(word))
    })
}

pub(super) fn parse_unmute(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("unmute");
    let Some((word, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            "`unmute` needs an issue number or an asset",
            usage,
        ));
    };
    if !rest.trim().is_empty() {
        return Err(ParseError::new(
            format!(
                "`unmute` takes one issue or asset, not `{}`",
                truncate(rest.trim(), 40)
            ),
            usage,
        ));
    }
    Ok(Command::Unmute {
        target: target(word, usage)?,
    })
}

pub(super) fn parse_mute(rest: &str) -> Result<Command, ParseError> {
    let usage = usage_of("mute");
    let Some((word, rest)) = split_first(rest) else {
        return Err(ParseError::new(
            "`mute` needs an issue number or an asset, then a duration",
            usage,
        ));
    };
    let target = target(word, usage)?;
    let rest = match split_first(rest) {
        Some((word, after)) if word.eq_ignore_ascii_case("for") => after,
        _ => rest,
    };
    if rest.is_empty() {
        return Err(ParseError::new(
            "`mute` needs a duration (30m, 24h, 7d, 2w) or until-fixed",
            usage,
        ));
    }
    let duration = mute_duration(rest).map_err(|message| ParseError::new(message, usage))?;
    Ok(Command::Mute { target, duration })
}

fn mute_duration(text: &str) -> Result<MuteDuration, String> {
    let lowered = text.to_lowercase();
    let words: Vec<&str> = lowered.split_whitespace().collect();
    match words.as_slice() {
        ["until-fixed" | "until_fixed" | "untilfixed"] | ["until", "fixed"] => {
            return Ok(MuteDuration::UntilFixed);
        }
        ["forever" | "always" | "permanently" | "indefinitely"] => {
            return Err(format!(
                "`{}` is not a mute: use until-fixed, or a duration like 7d",
                words[0]
            ));
        }
        _ => {}
    }
    let joined: String = words.concat();
    let bad = || {
        format!(
            "`{}` is not a duration: use 30m, 24h, 7d, 2w or until-fixed",
            truncate(text.trim(), 40)
        )
    };
    let mut total: u64 = 0;
    let mut chars = joined.as_str();
    while !chars.is_empty() {
        let digits = chars.len() - chars.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = chars[..digits].parse().map_err(|_| bad())?;
        chars = &chars[digits..];
        let letters = chars.len()
            - chars
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let seconds = match &chars[..letters] {
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
            _ => return Err(bad()),
        };
        chars = &chars[letters..];
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| "that mute is longer than 365 days".to_owned())?;
    }
    let duration = Duration::from_secs(total);
    if duration.is_zero() {
        return Err("a mute must last more than zero minutes".to_owned());
    }
    if duration > MAX_MUTE {
        return Err("that mute is longer than 365 days: use until-fixed instead".to_owned());
    }
    Ok(MuteDuration::For(duration))
}
