//! The small value syntaxes of `steward.toml`: durations, sizes, channel IDs, weekdays and time
//! zones, parsed and written back.

use std::time::Duration;

/// `C0123ABCD`, `G0123ABCD` (private, legacy) or `D…`: upper-case letters and digits.
pub fn looks_like_channel_id(s: &str) -> bool {
    s.len() >= 9
        && matches!(s.as_bytes()[0], b'C' | b'G' | b'D')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Parses `90d`, `24h`, `30m`, `45s`, `2w`, `250ms`, `1h 30m` (humantime's syntax).
pub fn parse_duration(s: &str) -> Option<Duration> {
    humantime::parse_duration(s.trim()).ok()
}

pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, size) in [("w", 7 * 86_400), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if s >= size && s.is_multiple_of(size) {
            return format!("{}{unit}", s / size);
        }
    }
    format!("{s}s")
}

/// Parses `128MiB`, `1GiB`, `512KiB`, `1000` (bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "kb" | "k" => 1024,
        "mib" | "mb" | "m" => 1024 * 1024,
        "gib" | "gb" | "g" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mult)
}

pub(super) mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid duration {text:?}: use a number and a unit, e.g. 30m, 24h, 90d"
            ))
        })
    }
}

/// Durations that may be below a second: `250ms` as well as `1s`, `2m`.
pub(super) mod duration_ms_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        if d.subsec_millis() == 0 && d.as_secs() > 0 {
            s.serialize_str(&super::format_duration(*d))
        } else {
            s.serialize_str(&format!("{}ms", d.as_millis()))
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("invalid duration {text:?}: use e.g. 250ms, 1s"))
        })
    }
}

/// A period that can be turned off: `15m`, `1h`, or `"off"`.
pub(super) mod period_or_off {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_duration(*d)),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        if matches!(text.trim().to_ascii_lowercase().as_str(), "off" | "none") {
            return Ok(None);
        }
        match super::parse_duration(&text) {
            Some(p) if p >= Duration::from_secs(1) => Ok(Some(p)),
            _ => Err(serde::de::Error::custom(format!(
                "invalid period {text:?}: use e.g. 15m, 1h, or \"off\""
            ))),
        }
    }
}

pub(super) mod size_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}MiB", n / (1024 * 1024)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_size(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("invalid size {text:?}: use e.g. 128MiB"))
        })
    }
}

/// `monday`, `Mon`, `SUNDAY` → the weekday.
pub fn parse_weekday(s: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    let s = s.trim().to_ascii_lowercase();
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
        .into_iter()
        .find(|d| s == weekday_name(*d) || s == weekday_name(*d)[..3])
}

pub fn weekday_name(d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match d {
        Mon => "monday",
        Tue => "tuesday",
        Wed => "wednesday",
        Thu => "thursday",
        Fri => "friday",
        Sat => "saturday",
        Sun => "sunday",
    }
}

/// An IANA time zone name (`Europe/Paris`, `UTC`); case is forgiven.
pub fn parse_timezone(s: &str) -> Option<chrono_tz::Tz> {
    let s = s.trim();
    s.parse::<chrono_tz::Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(s))
    })
}

pub(super) mod digest_text {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn channel<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let id = String::deserialize(d)?;
        if !super::looks_like_channel_id(&id) {
            return Err(D::Error::custom(format!(
                "digest.channel {id:?} is not a channel ID (like C0123ABCD); names change, IDs do not"
            )));
        }
        Ok(id)
    }

    pub fn hour<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let h = i64::deserialize(d)?;
        u32::try_from(h)
            .ok()
            .filter(|h| *h < 24)
            .ok_or_else(|| D::Error::custom(format!("digest.hour {h} must be between 0 and 23")))
    }

    pub mod day {
        use super::*;

        pub fn serialize<S: Serializer>(d: &chrono::Weekday, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(super::super::weekday_name(*d))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::Weekday, D::Error> {
            let text = String::deserialize(d)?;
            super::super::parse_weekday(&text).ok_or_else(|| {
                D::Error::custom(format!(
                    "digest.day {text:?} is not a day of the week (monday … sunday, or mon … sun)"
                ))
            })
        }
    }

    pub mod timezone {
        use super::*;

        pub fn serialize<S: Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(tz.name())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
            let text = String::deserialize(d)?;
            super::super::parse_timezone(&text).ok_or_else(|| {
                D::Error::custom(format!(
                    "digest.timezone {text:?} is not an IANA time zone (like \"Europe/Paris\" or \"UTC\")"
                ))
            })
        }
    }
}
