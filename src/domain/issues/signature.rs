//! Error signatures: what root failures share when the lineage cannot see their common cause.
//! A signature is the first meaningful line of an error with its particulars (quoted names,
//! relations, paths, hashes, numbers) replaced, so "17 models: Not found: Table …" reads as one
//! cause. Only errors (a node that could not run) have one; a test's result ("Got 12 results,
//! configured to fail if != 0") is a finding of its own and never groups.

/// Why several roots are one storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseKind {
    /// The same error signature.
    Signature,
    /// Relations of the same schema are missing or unreachable.
    Schema,
    /// The same job upstream, outside dbt (an Airflow task), failed.
    Upstream,
}

impl CauseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::Signature => "signature",
            CauseKind::Schema => "schema",
            CauseKind::Upstream => "upstream",
        }
    }
}

/// A cause several roots can share: `key` groups, `label` is what people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub kind: CauseKind,
    pub key: String,
    pub label: String,
}

/// The cause an issue's error can share with others: a missing schema first, else the
/// signature. None for anything but an error (test results, warnings, freshness).
pub fn cause_of(dbt_status: &str, message: Option<&str>) -> Option<Cause> {
    if !matches!(dbt_status, "error" | "runtime error") {
        return None;
    }
    let line = first_meaningful_line(message?)?;
    if is_test_result(&line) {
        return None;
    }
    if let Some((relation, schema)) = missing_relation(&line) {
        return Some(Cause {
            kind: CauseKind::Schema,
            key: format!("schema:{}", schema.to_ascii_lowercase()),
            label: line.replacen(&relation, &format!("{schema}.*"), 1),
        });
    }
    let (key, label) = signature(&line);
    Some(Cause {
        kind: CauseKind::Signature,
        key: format!("signature:{key}"),
        label,
    })
}

/// "Got 12 results, configured to fail if != 0": a data test's finding, not an error.
fn is_test_result(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("got ") && l.contains("result") && l.contains("configured to")
}

/// The first line that says what went wrong: dbt's "Database Error in model x (path)" headers,
/// locations (`LINE 45:`, carets) and "compiled code at" pointers are skipped, and a line ending
/// in a colon ("SQL compilation error:") is read with the next one.
pub fn first_meaningful_line(message: &str) -> Option<String> {
    let mut lines = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_boilerplate(l));
    let first = lines.next()?;
    let mut line = first.to_owned();
    if line.ends_with(':')
        && let Some(next) = lines.next()
    {
        line.push(' ');
        line.push_str(next);
    }
    Some(line.chars().take(400).collect())
}

fn is_boilerplate(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    const HEADERS: [&str; 6] = [
        "database error in ",
        "runtime error in ",
        "compilation error in ",
        "dbt was unable to",
        "compiled code at",
        "compiled sql at",
    ];
    HEADERS.iter().any(|h| l.starts_with(h))
        || matches!(
            l.trim_end_matches(':'),
            "database error" | "runtime error" | "compilation error"
        )
        || (l.starts_with("line ") && l[5..].chars().next().is_some_and(|c| c.is_ascii_digit()))
        || l.chars().all(|c| c == '^' || c.is_whitespace())
}

/// The relation an error says is missing (as written) and its schema, for the messages of the
/// common warehouses: BigQuery ("Not found: Table p:d.t", "Not found: Dataset p:d"), Postgres and
/// Redshift (`relation "s.t" does not exist`), Snowflake ("Object 'D.S.T' does not exist",
/// "Schema 'D.S' does not exist"), Databricks (`The table or view \`c\`.\`s\`.\`t\` cannot be
/// found`) and Trino ("Table 'c.s.t' does not exist").
pub fn missing_relation(line: &str) -> Option<(String, String)> {
    let lower = line.to_ascii_lowercase();
    // BigQuery names the table or dataset after "Not found: ".
    for (marker, is_schema) in [("not found: table ", false), ("not found: dataset ", true)] {
        if let Some(at) = lower.find(marker) {
            let rest = &line[at + marker.len()..];
            let name = rest.split_whitespace().next()?.trim_end_matches([',', ';']);
            return schema_of(name, is_schema).map(|s| (name.to_owned(), s));
        }
    }
    let says_missing = lower.contains("does not exist")
        || lower.contains("cannot be found")
        || lower.contains("not found");
    if !says_missing {
        return None;
    }
    let is_schema = ["schema ", "dataset ", "database "]
        .iter()
        .any(|w| lower.contains(&format!("{w}'")) || lower.contains(&format!("{w}\"")));
    let quoted = first_quoted(line)?;
    let name = quoted.replace(['`', '"'], "");
    schema_of(&name, is_schema).map(|s| (quoted, s))
}

/// The schema part of a relation name (`db.schema.table` → `db.schema`, `p:d.t` → `p:d`); a name
/// that is itself a schema is returned whole. None for a bare table name: nothing to share.
fn schema_of(name: &str, is_schema: bool) -> Option<String> {
    let name = name.trim_matches(|c| matches!(c, '`' | '"' | '\'' | '.'));
    if name.is_empty() {
        return None;
    }
    if is_schema {
        return Some(name.to_owned());
    }
    let (schema, _) = name.rsplit_once('.')?;
    (!schema.is_empty()).then(|| schema.to_owned())
}

/// The first quoted run (`"…"`, `'…'`, or backquoted parts joined by dots), as written.
fn first_quoted(line: &str) -> Option<String> {
    let start = line.find(['"', '\'', '`'])?;
    let quote = line[start..].chars().next()?;
    let mut end = start + 1 + line[start + 1..].find(quote)? + 1;
    // `c`.`s`.`t`: keep the dotted backquoted parts together.
    while quote == '`' && line[end..].starts_with(".`") {
        match line[end + 2..].find('`') {
            Some(close) => end = end + 2 + close + 1,
            None => break,
        }
    }
    Some(line[start..end].to_owned())
}

/// The signature's key and a readable label: quoted names become `"…"`, relations and paths
/// `…`, hashes and standalone numbers `N`. Words keep their digits (`us-central1`).
pub fn signature(line: &str) -> (String, String) {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&normalize_token(token));
            token.clear();
        }
    };
    while let Some(c) = chars.next() {
        if matches!(c, '"' | '\'' | '`') {
            // A quote inside a word (don't, it's) is not a quoted name.
            let inside_word =
                !token.is_empty() && token.chars().last().is_some_and(char::is_alphanumeric);
            if !inside_word {
                flush(&mut token, &mut out);
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == c {
                        closed = true;
                        break;
                    }
                }
                out.push_str(if closed { "\"…\"" } else { "\"…" });
                continue;
            }
        }
        if c.is_whitespace() {
            flush(&mut token, &mut out);
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    let label = out.trim().to_owned();
    (label.to_lowercase(), label)
}

fn normalize_token(token: &str) -> String {
    let trimmed = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let tail = &token[trimmed.len()..];
    let lead_len = trimmed.len() - trimmed.trim_start_matches(['(', '[']).len();
    let (lead, core) = trimmed.split_at(lead_len);
    let core_norm = if core.is_empty() {
        String::new()
    } else if core.contains('/') || core.contains('\\') {
        "…".to_owned()
    } else if is_number(core) || is_hash(core) {
        "N".to_owned()
    } else if is_relation(core) {
        "…".to_owned()
    } else {
        core.to_owned()
    };
    format!("{lead}{core_norm}{tail}")
}

/// `12`, `3:14`, `1,024`, `[12:3]`.
fn is_number(core: &str) -> bool {
    core.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | ',' | '-' | '[' | ']'))
        && core.chars().any(|c| c.is_ascii_digit())
}

/// A hex hash of 7 characters or more (`9f86d08…`), with at least one digit.
fn is_hash(core: &str) -> bool {
    core.len() >= 7
        && core.chars().all(|c| c.is_ascii_hexdigit())
        && core.chars().any(|c| c.is_ascii_digit())
}

/// `a.b`, `p:d.t`, `db.schema.table`: word parts joined by dots or a project colon.
fn is_relation(core: &str) -> bool {
    let parts: Vec<&str> = core.split(['.', ':']).collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$'))
        })
        && !core.contains("://")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIGQUERY: &str = "Database Error in model stg_orders (models/staging/stg_orders.sql)\n  Not found: Table my-project:raw.orders was not found in location us-central1\n  compiled Code at target/run/shop/models/staging/stg_orders.sql";

    #[test]
    fn bigquery_missing_tables_of_one_dataset_share_the_schema() {
        let a = cause_of("error", Some(BIGQUERY)).unwrap();
        let b = cause_of(
            "error",
            Some(
                &BIGQUERY
                    .replace("raw.orders", "raw.customers")
                    .replace("stg_orders", "stg_customers"),
            ),
        )
        .unwrap();
        assert_eq!(a.kind, CauseKind::Schema);
        assert_eq!(a.key, "schema:my-project:raw");
        assert_eq!(a.key, b.key);
        assert_eq!(
            a.label,
            "Not found: Table my-project:raw.* was not found in location us-central1"
        );
        let other = cause_of(
            "error",
            Some(&BIGQUERY.replace(":raw.orders", ":marts.orders")),
        )
        .unwrap();
        assert_ne!(a.key, other.key, "another dataset is another cause");
    }

    #[test]
    fn postgres_missing_column_signature_ignores_the_column_and_line() {
        let real = "Database Error in model silver_prices_cleaned (models\\silver\\silver_prices_cleaned.sql)\n  column \"value\" does not exist\n  LINE 45:             coalesce(cast(value as varchar), '') || '-' || \n                                     ^\n  compiled code at target\\run\\x.sql";
        let c = cause_of("error", Some(real)).unwrap();
        assert_eq!(c.kind, CauseKind::Signature);
        assert_eq!(c.label, "column \"…\" does not exist");
        let other = cause_of("error", Some(&real.replace("\"value\"", "\"amount\""))).unwrap();
        assert_eq!(
            c.key, other.key,
            "a missing column is one kind of error, whichever column"
        );
    }

    #[test]
    fn relations_quoted_by_the_warehouse_give_their_schema() {
        for (line, schema) in [
            ("relation \"analytics.orders\" does not exist", "analytics"),
            (
                "Object 'PROD.RAW.ORDERS' does not exist or not authorized.",
                "PROD.RAW",
            ),
            (
                "Schema 'PROD.RAW' does not exist or not authorized.",
                "PROD.RAW",
            ),
            (
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`raw`.`orders` cannot be found.",
                "main.raw",
            ),
            ("Table 'hive.raw.orders' does not exist", "hive.raw"),
            (
                "Not found: Dataset my-project:raw was not found in location EU",
                "my-project:raw",
            ),
        ] {
            let (_, s) = missing_relation(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(s, schema, "{line}");
        }
        assert_eq!(
            missing_relation("Catalog Error: Table with name orders does not exist!"),
            None
        );
    }

    #[test]
    fn a_colon_heading_is_read_with_its_next_line() {
        let sf = "Database Error in model m (models/m.sql)\n  002003 (42S02): SQL compilation error:\n  Object 'PROD.RAW.ORDERS' does not exist or not authorized.";
        let c = cause_of("error", Some(sf)).unwrap();
        assert_eq!(c.key, "schema:prod.raw");
        let division =
            "Database Error in model m (models/m.sql)\n  100051 (22012): Division by zero";
        let d = cause_of("error", Some(division)).unwrap();
        assert_eq!(d.label, "N (N): Division by zero");
    }

    #[test]
    fn test_results_warnings_and_freshness_have_no_cause() {
        assert_eq!(
            cause_of("fail", Some("Got 12 results, configured to fail if != 0")),
            None
        );
        assert_eq!(
            cause_of("error", Some("Got 12 results, configured to fail if != 0")),
            None
        );
        assert_eq!(
            cause_of("warn", Some("Got 22 results, configured to warn if >0")),
            None
        );
        assert_eq!(cause_of("error", None), None);
        assert_eq!(cause_of("error", Some("\n  \n")), None);
    }

    #[test]
    fn different_error_classes_have_different_signatures() {
        let a = cause_of(
            "error",
            Some("Database Error in model a (a.sql)\n  division by zero"),
        )
        .unwrap();
        let b = cause_of(
            "error",
            Some("Database Error in model b (b.sql)\n  permission denied for table x"),
        )
        .unwrap();
        assert_ne!(a.key, b.key);
        let (k1, _) =
            signature("syntax error at or near \"select\" at line 12, hash 9f86d081884c7d65");
        let (k2, _) =
            signature("syntax error at or near \"from\" at line 3, hash 1b4f0e9851971998");
        assert_eq!(k1, k2);
        assert_eq!(signature("don't stop").1, "don't stop");
        assert_eq!(signature("in /tmp/x/y.sql at 3:14").1, "in … at N");
    }
}
