//! Text sparklines (▁▂▃▄▅▆▇) for where no picture fits, such as the weekly digest in Slack,
//! and the daily and weekly series the digest draws with them.

use crate::domain::metrics::IncidentFacts;
use chrono::{DateTime, Duration, Utc};

const TICKS: [char; 7] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇'];

/// One tick per value, scaled between `lo` and `hi` (values outside are clamped); a flat
/// range draws every value at the top when it is `hi`, else at the bottom.
pub fn sparkline(values: &[f64], lo: f64, hi: f64) -> String {
    let span = hi - lo;
    values
        .iter()
        .map(|v| {
            if span <= 0.0 {
                return if *v >= hi { TICKS[6] } else { TICKS[0] };
            }
            let t = ((v - lo) / span).clamp(0.0, 1.0);
            TICKS[(t * 6.0).round() as usize]
        })
        .collect()
}

/// Daily uptime (fractions): a full day is the top tick; the scale's bottom is the week's
/// worst day, so a short outage still shows.
pub fn uptime(values: &[f64]) -> String {
    let lo = values.iter().copied().fold(1.0f64, f64::min).min(0.99);
    sparkline(values, lo, 1.0)
}

/// Counts, from zero to the largest.
pub fn counts(values: &[u64]) -> String {
    let hi = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let as_f: Vec<f64> = values.iter().map(|v| *v as f64).collect();
    sparkline(&as_f, 0.0, hi)
}

/// Incidents declared in each of the `weeks` weeks ending at `end`, oldest first.
pub fn incidents_per_week(incidents: &[IncidentFacts], end: DateTime<Utc>, weeks: i64) -> Vec<u64> {
    (0..weeks)
        .rev()
        .map(|k| {
            let to = end - Duration::weeks(k);
            let from = to - Duration::weeks(1);
            incidents
                .iter()
                .filter(|i| i.declared > from && i.declared <= to)
                .count() as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_scale_between_the_bounds() {
        assert_eq!(sparkline(&[0.0, 0.5, 1.0], 0.0, 1.0), "▁▄▇");
        assert_eq!(uptime(&[1.0; 7]), "▇▇▇▇▇▇▇");
        assert_eq!(uptime(&[1.0, 0.5, 1.0]), "▇▁▇");
        assert_eq!(counts(&[0, 2, 0, 4]), "▁▄▁▇");
        assert_eq!(counts(&[0, 0]), "▁▁");
    }

    #[test]
    fn incidents_fall_in_their_week() {
        let end = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |days: i64| IncidentFacts {
            id: format!("INC-{days}"),
            declared: end - Duration::days(days),
            impact_started: None,
            resolved: None,
            issues: Vec::new(),
        };
        let list = [at(1), at(2), at(9), at(27)];
        assert_eq!(incidents_per_week(&list, end, 4), [1, 0, 1, 2]);
    }
}
