//! Errors a person can act on (bad files, bad requests, unknown ids), kept apart from internal ones.
//!
//! An [`InputError`] is shown as one line that names the file or request and the place in it.
//! The CLI exits with code 2 on it and the HTTP API answers 4xx; anything else is internal.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file, request or payload the problem is in, e.g. `target/manifest.json`.
    pub origin: String,
    /// Where in it: a JSON path with line and column, a line number, or empty.
    pub location: String,
    pub message: String,
    pub kind: InputErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputErrorKind {
    /// Malformed or unsupported input: HTTP 400.
    Invalid,
    /// The thing named does not exist: HTTP 404.
    NotFound,
    /// The input is larger than allowed: HTTP 413.
    TooLarge,
    /// The request conflicts with current state: HTTP 409.
    Conflict,
    /// `[access]` does not let this person take the action: HTTP 403.
    Forbidden,
}

/// The most characters of one quoted value an error repeats; longer values end in "…".
pub const MAX_QUOTED_CHARS: usize = 60;
/// The most characters of each part (origin, location, message) of an error.
const MAX_PART_CHARS: usize = 240;

impl InputError {
    /// The origin, location and message are made one line and capped (see [`cap`]), so an error
    /// never echoes a huge value it was given.
    pub fn new(origin: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            origin: cap(&origin.into()),
            location: String::new(),
            message: cap(&message.into()),
            kind: InputErrorKind::Invalid,
        }
    }

    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = cap(&location.into());
        self
    }

    pub fn kind(mut self, kind: InputErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn not_found(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(origin, message).kind(InputErrorKind::NotFound)
    }

    /// Builds the error for JSON that failed to deserialize into `T`, re-reading it with path
    /// tracking so the message says where. The fast path never pays for the tracking.
    pub fn from_json<'de, T: serde::Deserialize<'de>>(
        origin: &str,
        bytes: &'de [u8],
        err: serde_json::Error,
    ) -> Self {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let path_err = serde_path_to_error::deserialize::<_, T>(&mut de).err();
        let (path, inner) = match &path_err {
            Some(e) => (e.path().to_string(), e.inner()),
            None => (String::from("."), &err),
        };
        let what = match inner.classify() {
            serde_json::error::Category::Eof => {
                "unexpected end of input (is the file truncated?)".to_owned()
            }
            _ => strip_position(&inner.to_string()),
        };
        let location = if path == "." || path.is_empty() {
            format!("line {} column {}", inner.line(), inner.column())
        } else {
            format!(
                "at `{}` (line {} column {})",
                path,
                inner.line(),
                inner.column()
            )
        };
        InputError::new(origin, what).at(location)
    }
}

/// `value` quoted for an error message, at most [`MAX_QUOTED_CHARS`] characters of it (then
/// "…"), with control characters escaped: `quoted("fa\nil")` is `"fa\nil"`.
pub fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in value.chars().enumerate() {
        if i == MAX_QUOTED_CHARS {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

/// Makes `text` one line of bounded length: control characters become spaces, every span quoted
/// with `"…"` or `` `…` `` keeps at most [`MAX_QUOTED_CHARS`] characters (then "…"), and the
/// whole keeps at most 240. Every [`InputError`] part goes through it, so no face can print a
/// 20 MB value back at the sender.
pub fn cap(text: &str) -> String {
    let fits = text.len() <= MAX_QUOTED_CHARS && !text.chars().any(char::is_control);
    if fits {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len().min(MAX_PART_CHARS * 4));
    // The quote character of the span we are in, and how many characters of it were kept.
    let mut open: Option<(char, usize)> = None;
    let mut escaped = false;
    let mut total = 0;
    for c in text.chars() {
        if total >= MAX_PART_CHARS {
            out.push('…');
            break;
        }
        let c = if c.is_control() { ' ' } else { c };
        match open {
            Some((q, kept)) => {
                if c == q && !escaped {
                    open = None;
                    if kept > MAX_QUOTED_CHARS {
                        out.push('…');
                        total += 1;
                    }
                } else {
                    escaped = c == '\\' && !escaped;
                    open = Some((q, kept + 1));
                    if kept >= MAX_QUOTED_CHARS {
                        continue;
                    }
                }
            }
            None if c == '"' || c == '`' => {
                open = Some((c, 0));
                escaped = false;
            }
            None => {}
        }
        out.push(c);
        total += 1;
    }
    if let Some((_, kept)) = open
        && kept > MAX_QUOTED_CHARS
        && !out.ends_with('…')
    {
        out.push('…');
    }
    out
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.location, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// Finds an [`InputError`] anywhere in an `anyhow` chain.
pub fn as_input_error(err: &anyhow::Error) -> Option<&InputError> {
    err.chain().find_map(|e| e.downcast_ref::<InputError>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_capped_with_an_ellipsis() {
        let huge = "x".repeat(20_000_000);
        let e = InputError::new("POST /v1/alerts", format!("status {huge:?} is not `fail`"))
            .at(format!("at `{huge}`"));
        let line = e.to_string();
        assert!(line.len() < 400, "{} bytes", line.len());
        let expected_value = format!("\"{}…\"", "x".repeat(MAX_QUOTED_CHARS));
        assert!(line.contains(&expected_value), "{line}");
        assert!(
            line.contains(" is not `fail`"),
            "the text after the value stays: {line}"
        );
        assert!(
            line.contains(&format!("`{}…`", "x".repeat(MAX_QUOTED_CHARS))),
            "{line}"
        );
    }

    #[test]
    fn short_values_escapes_and_unterminated_quotes() {
        assert_eq!(cap("status \"fail\" is `ok`"), "status \"fail\" is `ok`");
        // An escaped quote does not end the span.
        let long = format!("v \"a\\\"{}\" end", "b".repeat(100));
        let capped = cap(&long);
        assert!(capped.ends_with("…\" end"), "{capped}");
        // A quote that never closes (a truncated message) is capped too.
        let open = format!("v \"{}", "c".repeat(100));
        assert_eq!(cap(&open), format!("v \"{}…", "c".repeat(MAX_QUOTED_CHARS)));
        // Newlines never split the line; a long unquoted text is capped as a whole.
        assert_eq!(cap("a\nb\r\tc"), "a b  c");
        assert_eq!(cap(&"y".repeat(1000)).chars().count(), MAX_PART_CHARS + 1);
        assert_eq!(quoted("fa\nil"), "\"fa\\nil\"");
        assert_eq!(
            quoted(&"é".repeat(100)).chars().count(),
            MAX_QUOTED_CHARS + 3
        );
    }
}
