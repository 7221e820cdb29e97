//! A byte scanner for the manifest fast path: finds where JSON values end without building them.
//!
//! It checks the structure (strings closed, brackets matched, `:` and `,` in their places, no
//! truncation) but not the contents of what it skips: escapes, control characters and the
//! spelling of numbers and literals are serde_json's job for the values lineage reads. Every
//! failure is [`Bad`], with no detail: the loader then re-parses the file with serde_json, which
//! gives the exact error (see `lineage::fast`). Nesting depth is unbounded (no recursion), as with
//! serde_json's own skipping.

use memchr::memchr2;
use std::borrow::Cow;

/// The input is not what the fast path reads; re-parse with serde_json for the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad;

pub type Scan<T> = Result<T, Bad>;

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
pub fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// Expects `byte` at `i`, after optional whitespace; returns the index after it, and after the
/// whitespace that follows.
#[inline]
pub fn expect(b: &[u8], i: usize, byte: u8) -> Scan<usize> {
    let i = ws(b, i);
    if b.get(i) == Some(&byte) {
        Ok(ws(b, i + 1))
    } else {
        Err(Bad)
    }
}

/// `i` is at an opening quote: the index after the closing one. Escapes are stepped over (a
/// `\"` does not close the string) but not checked.
#[inline]
pub fn skip_string(b: &[u8], i: usize) -> Scan<usize> {
    let mut j = i + 1;
    loop {
        let k = memchr2(b'"', b'\\', b.get(j..).ok_or(Bad)?).ok_or(Bad)?;
        j += k;
        if b[j] == b'"' {
            return Ok(j + 1);
        }
        j += 2;
    }
}

/// `i` is at an opening quote of a string lineage reads: its text, borrowed unless it has
/// escapes (then decoded by serde_json), and the index after it. Control characters and
/// invalid UTF-8 are refused, as serde_json refuses them.
#[inline]
pub fn read_str(b: &[u8], i: usize) -> Scan<(Cow<'_, str>, usize)> {
    let mut j = i + 1;
    let mut ascii = true;
    while let Some(&c) = b.get(j) {
        match c {
            b'"' => {
                let raw = &b[i + 1..j];
                let s = if ascii {
                    // SAFETY: every byte of `raw` was checked to be ASCII.
                    unsafe { std::str::from_utf8_unchecked(raw) }
                } else {
                    std::str::from_utf8(raw).map_err(|_| Bad)?
                };
                return Ok((Cow::Borrowed(s), j + 1));
            }
            b'\\' => {
                let end = skip_string(b, i)?;
                let s: String = serde_json::from_slice(&b[i..end]).map_err(|_| Bad)?;
                return Ok((Cow::Owned(s), end));
            }
            0..=0x1f => return Err(Bad),
            0x80.. => {
                ascii = false;
                j += 1;
            }
            _ => j += 1,
        }
    }
    Err(Bad)
}

/// `bytes` as text, or [`Bad`] if it is not UTF-8: everything the fast path skips is checked
/// this way once it has been passed, while it is still in cache.
#[inline]
pub fn utf8(bytes: &[u8]) -> Scan<&str> {
    std::str::from_utf8(bytes).map_err(|_| Bad)
}

/// The bracket kinds of the open containers, one bit per level (1 = object): 64 levels in a
/// word, deeper ones spilled to the heap.
struct Stack {
    depth: usize,
    top: u64,
    spill: Vec<u64>,
}

impl Stack {
    #[inline]
    fn push(&mut self, object: bool) {
        if self.depth > 0 && self.depth.is_multiple_of(64) {
            self.spill.push(self.top);
            self.top = 0;
        }
        let bit = 1u64 << (self.depth % 64);
        if object {
            self.top |= bit;
        } else {
            self.top &= !bit;
        }
        self.depth += 1;
    }

    #[inline]
    fn object(&self) -> bool {
        self.top & (1u64 << ((self.depth - 1) % 64)) != 0
    }

    #[inline]
    fn pop(&mut self) {
        self.depth -= 1;
        if self.depth > 0 && self.depth.is_multiple_of(64) {
            self.top = self.spill.pop().unwrap_or(0);
        }
    }
}

/// `i` is at the first byte of a value: the index after it. See the module's notes for what
/// is checked.
pub fn skip_value(b: &[u8], mut i: usize) -> Scan<usize> {
    let mut stack = Stack {
        depth: 0,
        top: 0,
        spill: Vec::new(),
    };
    loop {
        // A value starts at `i`.
        match *b.get(i).ok_or(Bad)? {
            b'"' => i = skip_string(b, i)?,
            b'{' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(true);
                    i = member_key(b, i)?;
                    continue;
                }
            }
            b'[' => {
                i = ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(false);
                    continue;
                }
            }
            b'-' | b'0'..=b'9' | b'a'..=b'z' => {
                i += 1;
                while let Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'.' | b'+' | b'-') =
                    b.get(i)
                {
                    i += 1;
                }
            }
            _ => return Err(Bad),
        }
        // After a value: close containers until one continues with a comma.
        loop {
            if stack.depth == 0 {
                return Ok(i);
            }
            i = ws(b, i);
            match (b.get(i), stack.object()) {
                (Some(b','), true) => {
                    i = member_key(b, ws(b, i + 1))?;
                    break;
                }
                (Some(b','), false) => {
                    i = ws(b, i + 1);
                    break;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    stack.pop();
                    i += 1;
                }
                _ => return Err(Bad),
            }
        }
    }
}

/// `i` is at a member's key: the index of its value, past the key, the colon and whitespace.
#[inline]
fn member_key(b: &[u8], i: usize) -> Scan<usize> {
    if b.get(i) != Some(&b'"') {
        return Err(Bad);
    }
    expect(b, skip_string(b, i)?, b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(s: &str) -> Scan<usize> {
        skip_value(s.as_bytes(), 0)
    }

    #[test]
    fn skips_values_of_every_shape_to_their_end() {
        for v in [
            r#""plain""#,
            r#""esc \" quote \\ backslash \\""#,
            r#""\\""#,
            r#""unicode é 漢字 \u00e9 😀""#,
            "{}",
            "[]",
            "{ }",
            "[ ]",
            r#"{"a": [1, 2.5e-3, -4, true, false, null], "b": {"c": {"d": "}]\""}}}"#,
            r#"[{"a": "]"}, ["[", "{"], {}, []]"#,
            "123",
            "null",
        ] {
            assert_eq!(skip(v), Ok(v.len()), "{v}");
            let tail = format!("{v}, \"next\": 1}}");
            assert_eq!(skip(&tail), Ok(v.len()), "{tail}");
        }
        // Whitespace inside is stepped over; after the value it is left to the caller.
        assert_eq!(skip("{ \"a\" : [ 1 , 2 ] } "), Ok(19));
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(skip(&deep), Ok(deep.len()));
        let objects = format!("{}1{}", "{\"k\": ".repeat(1000), "}".repeat(1000));
        assert_eq!(skip(&objects), Ok(objects.len()));
        let mixed = format!("{}{}", "[{\"k\": ".repeat(100), "}]".repeat(100));
        assert_eq!(
            skip(&mixed),
            Err(Bad),
            "no value inside the innermost object"
        );
        let mixed = format!("{}0{}", "[{\"k\": ".repeat(100), "}]".repeat(100));
        assert_eq!(skip(&mixed), Ok(mixed.len()));
    }

    #[test]
    fn truncated_unbalanced_and_misplaced_input_is_bad() {
        for v in [
            "",
            "\"open",
            r#""escaped end \""#,
            "\"ends in a backslash\\",
            "{",
            "[",
            r#"{"a": 1"#,
            r#"{"a": 1,"#,
            r#"{"a" 1}"#,
            r#"{"a": }"#,
            r#"{"a": 1,}"#,
            r#"{1: 2}"#,
            "[1,]",
            "[1 2]",
            "{]",
            "[}",
            r#"{"a": [1}"#,
            r#"[{"a": 1]"#,
            "]",
            "}",
            ",",
            &"[".repeat(100_000),
            &format!("{}{}", "[".repeat(100), "]".repeat(99)),
        ] {
            assert_eq!(skip(v), Err(Bad), "{v:?}");
        }
        // Every prefix of a valid value is refused, never a panic.
        let full = r#"{"a": ["x\"y", {"b": null}], "c": "\u00e9\\"}"#;
        for n in 0..full.len() {
            assert_eq!(skip(&full[..n]), Err(Bad), "{:?}", &full[..n]);
        }
        assert_eq!(skip(full), Ok(full.len()));
    }

    #[test]
    fn read_strings_borrow_unless_escaped_and_refuse_control_characters() {
        let t = r#""plain" "d\u00e9v\n" "tab	here" "open"#.as_bytes();
        assert_eq!(read_str(t, 0), Ok((Cow::Borrowed("plain"), 7)));
        let (s, end) = read_str(t, 8).unwrap();
        assert!(matches!(s, Cow::Owned(_)));
        assert_eq!((s.as_ref(), end), ("dév\n", 20));
        assert_eq!(read_str(t, 21), Err(Bad));
        assert_eq!(read_str(t, 32), Err(Bad));
        assert_eq!(read_str(br#""bad \x escape""#, 0), Err(Bad));
        assert_eq!(read_str("\"é\"".as_bytes(), 0), Ok((Cow::Borrowed("é"), 4)));
        assert_eq!(read_str(b"\"a\xff\"", 0), Err(Bad));
    }
}
