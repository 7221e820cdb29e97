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
}

impl InputError {
    pub fn new(origin: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            origin: origin.into(),
            location: String::new(),
            message: message.into(),
            kind: InputErrorKind::Invalid,
        }
    }

    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = location.into();
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
