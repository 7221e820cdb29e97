//! The manifest fast path: the top level and every entry are walked with the byte scanner
//! ([`super::scan`]), only the values lineage uses go to serde_json, and a large `nodes` is read
//! in two halves on two threads.
//!
//! Any failure is [`Bad`] with no detail: `read` then re-parses the whole file with the serde
//! path ([`super::load::RawManifest`]'s `Deserialize`), whose error names the place. Results
//! are the serde path's: same nodes, same order, same refusals for everything lineage reads.
//!
//! **The split.** A candidate entry boundary near the middle of the file is guessed by a byte
//! search (`}, "<id>": {` whose entry holds `"unique_id": "<id>"`). A second thread parses from
//! there as if inside `nodes` (to the end of the file); the first parses from the start and
//! stops when it reaches that exact position as the start of a `nodes` entry, which proves the
//! guess right. If it passes the position anywhere else the guess was wrong: it tells the second
//! thread to give up and reads on alone, so a wrong guess costs time, never correctness.

use super::NodeKind;
use super::load::{Loaded, NodesSection, RawManifest};
use super::manifest::{
    MapEntries, MapValues, NodeKey, RawConfig, RawGroup, RawMetadata, RawNode, Str,
};
use super::scan::{Bad, Scan, expect, read_str, skip_string, skip_value, utf8, ws};
use crate::schema_version::ObjectOnly;
use memchr::memmem;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};

/// Inputs smaller than this are read on one thread.
const MIN_SPLIT: usize = 8 << 20;
/// Where the second thread starts, as a fraction of the file: it also reads everything after
/// `nodes` (sources, `parent_map`, …), mostly skipped, so it takes a little less than half.
const SPLIT_AT: f64 = 0.5;

/// Reads `text` (a whole manifest). `mapped`: it is a private read-only file mapping, so the
/// second thread may release pages behind it too (see [`super::release`]). The text is checked
/// to be UTF-8 piece by piece as it is read (on both threads), not before.
pub(super) fn parse(text: &[u8], mapped: bool) -> Scan<RawManifest<'_>> {
    let split = (text.len() >= MIN_SPLIT
        && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2))
    .then(|| candidate(text))
    .flatten();
    parse_split(text, mapped, split)
}

/// [`parse`] with the second thread starting at `split`, if any.
fn parse_split(text: &[u8], mapped: bool, split: Option<usize>) -> Scan<RawManifest<'_>> {
    let abort = AtomicBool::new(false);
    let Some(at) = split else {
        let mut r = Reader::new(text, usize::MAX, &abort, false);
        return match r.top()? {
            Flow::At(_) => Ok(r.out),
            Flow::Stopped => Err(Bad),
        };
    };
    std::thread::scope(|s| {
        let second = s.spawn(|| {
            let mut r = Reader::new(text, usize::MAX, &abort, true);
            let mut run = || r.resume(at);
            let flow = if mapped {
                // SAFETY: `mapped` means the caller holds `load_mapped_manifest`'s contract for
                // all of `text`, so for this part of it too.
                unsafe { super::release::while_parsing(&text[at..], run) }
            } else {
                run()
            };
            flow.map(|_| r)
        });
        let mut first = Reader::new(text, at, &abort, false);
        let flow = first.top();
        if !matches!(flow, Ok(Flow::Stopped)) {
            abort.store(true, Ordering::Relaxed);
        }
        let second = second
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        match flow? {
            Flow::At(_) => Ok(first.out),
            Flow::Stopped => Ok(first.merge(second?)),
        }
    })
}

/// A likely start of a `nodes` entry near `SPLIT_AT` of the file (the index of its key's
/// opening quote). Only a guess: see the module's notes.
fn candidate(b: &[u8]) -> Option<usize> {
    let mut from = (b.len() as f64 * SPLIT_AT) as usize;
    for _ in 0..32 {
        let k = memmem::find(b.get(from..)?, b"}, \"")? + from;
        let key_start = k + 3;
        let key_len = memchr::memchr(b'"', b.get(key_start + 1..)?)?;
        let key_end = key_start + 1 + key_len;
        let key = &b[key_start + 1..key_end];
        if b[key_end..].starts_with(b"\": {") && !key.contains(&b'\\') && key.contains(&b'.') {
            let window = &b[key_end..(key_end + (1 << 16)).min(b.len())];
            let needle = [b"\"unique_id\": \"".as_slice(), key, b"\""].concat();
            if memmem::find(window, &needle).is_some() {
                return Some(key_start);
            }
        }
        from = k + 1;
    }
    None
}

enum Flow {
    /// Done; the index after the value read.
    At(usize),
    /// Reached the split point (the first thread only).
    Stopped,
}

struct Reader<'a, 'f> {
    b: &'a [u8],
    out: RawManifest<'a>,
    /// The first thread stops at the `nodes` entry that starts here; `usize::MAX` otherwise.
    stop_at: usize,
    /// The first thread sets it when the split is off; the second gives up when it is set.
    abort: &'f AtomicBool,
    second: bool,
    /// `out.nodes.len()` when the current `nodes` section began.
    section_start: usize,
    seen: Seen,
}

/// Top-level keys met, for merging the two halves: the second half's value wins, as the later
/// one does in a serial parse.
#[derive(Default)]
struct Seen {
    metadata: bool,
    groups: bool,
    parent_map: bool,
    nodes: bool,
}

impl<'a, 'f> Reader<'a, 'f> {
    fn new(b: &'a [u8], stop_at: usize, abort: &'f AtomicBool, second: bool) -> Self {
        let span = if second { b.len() / 2 } else { b.len() };
        Reader {
            b,
            // See `TopLevel` in `load`: reserving from the size avoids regrowing the lists.
            out: RawManifest {
                nodes: Vec::with_capacity(span / 2048),
                deps: Vec::with_capacity(span / 2048),
                ..RawManifest::default()
            },
            stop_at,
            abort,
            second,
            section_start: 0,
            seen: Seen::default(),
        }
    }

    /// The whole file.
    fn top(&mut self) -> Scan<Flow> {
        let b = self.b;
        let i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return Err(Bad);
        }
        let i = ws(b, i + 1);
        let flow = if b.get(i) == Some(&b'}') {
            Flow::At(i + 1)
        } else {
            self.members(i, false)?
        };
        self.finish(flow)
    }

    /// From an entry of `nodes` at `at` to the end of the file (the second thread).
    fn resume(&mut self, at: usize) -> Scan<Flow> {
        let Flow::At(i) = self.entries(at, NodeKind::Other)? else {
            return Err(Bad);
        };
        let flow = self.members(i, true)?;
        self.finish(flow)
    }

    /// Only whitespace may follow the top-level object.
    fn finish(&self, flow: Flow) -> Scan<Flow> {
        match flow {
            Flow::At(i) if ws(self.b, i) != self.b.len() => Err(Bad),
            flow => Ok(flow),
        }
    }

    /// The members of the top-level object, from `i` (at a key, or after a value).
    fn members(&mut self, mut i: usize, mut after_value: bool) -> Scan<Flow> {
        let b = self.b;
        loop {
            if after_value {
                i = ws(b, i);
                match b.get(i) {
                    Some(b',') => i = ws(b, i + 1),
                    Some(b'}') => return Ok(Flow::At(i + 1)),
                    _ => return Err(Bad),
                }
            }
            after_value = true;
            if b.get(i) != Some(&b'"') {
                return Err(Bad);
            }
            let (key, j) = read_str(b, i)?;
            i = expect(b, j, b':')?;
            let section = match &*key {
                "nodes" => Some(NodeKind::Other),
                "sources" => Some(NodeKind::Source),
                "exposures" => Some(NodeKind::Exposure),
                "metrics" => Some(NodeKind::Metric),
                "semantic_models" => Some(NodeKind::SemanticModel),
                "saved_queries" => Some(NodeKind::SavedQuery),
                "unit_tests" => Some(NodeKind::UnitTest),
                _ => None,
            };
            if let Some(kind) = section {
                match self.section(i, kind)? {
                    Flow::At(j) => i = j,
                    Flow::Stopped => return Ok(Flow::Stopped),
                }
                continue;
            }
            let end = skip_value(b, i)?;
            let v = &b[i..end];
            match &*key {
                "metadata" => {
                    self.seen.metadata = true;
                    self.out.metadata = de::<Option<ObjectOnly<RawMetadata>>>(v)?
                        .map(|m| m.0)
                        .unwrap_or_default();
                }
                "groups" => {
                    self.seen.groups = true;
                    self.out.groups = de::<MapValues<RawGroup>>(v)?.0;
                }
                "parent_map" => {
                    self.seen.parent_map = true;
                    self.out.parent_map = de::<MapEntries<_, _>>(v)?.0;
                }
                _ => {
                    utf8(v)?;
                }
            }
            i = end;
        }
    }

    /// A section (`nodes`, `sources`, …) at `i`: `null` or an object of entries.
    fn section(&mut self, i: usize, kind: NodeKind) -> Scan<Flow> {
        let b = self.b;
        if kind == NodeKind::Other {
            self.seen.nodes = true;
            self.section_start = self.out.nodes.len();
        }
        match b.get(i) {
            Some(b'n') if b[i..].starts_with(b"null") => {
                if kind == NodeKind::Other {
                    self.out.nodes_section = NodesSection::Null;
                }
                Ok(Flow::At(i + 4))
            }
            Some(b'{') => {
                let j = ws(b, i + 1);
                if b.get(j) == Some(&b'}') {
                    if kind == NodeKind::Other {
                        self.out.nodes_section = NodesSection::Entries(0);
                    }
                    return Ok(Flow::At(j + 1));
                }
                self.entries(j, kind)
            }
            _ => Err(Bad),
        }
    }

    /// The entries of a section, from the key of one of them at `i` to the closing brace.
    fn entries(&mut self, mut i: usize, kind: NodeKind) -> Scan<Flow> {
        let b = self.b;
        loop {
            if kind == NodeKind::Other && i >= self.stop_at {
                if i == self.stop_at {
                    return Ok(Flow::Stopped);
                }
                // Past the guess without meeting it: the split is off.
                self.abort.store(true, Ordering::Relaxed);
                self.stop_at = usize::MAX;
            }
            if self.second && self.abort.load(Ordering::Relaxed) {
                return Err(Bad);
            }
            if b.get(i) != Some(&b'"') {
                return Err(Bad);
            }
            super::release::passed(b[i..].as_ptr());
            let start = i;
            i = expect(b, skip_string(b, i)?, b':')?;
            let (raw, end) = entry(b, i)?;
            // What the entry reader skipped is checked here (what it read, as it read it).
            utf8(&b[start..end])?;
            self.out.push(Loaded::from_raw(raw), kind);
            i = ws(b, end);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    if kind == NodeKind::Other {
                        let n = self.out.nodes.len() - self.section_start;
                        self.out.nodes_section = NodesSection::Entries(n);
                    }
                    return Ok(Flow::At(i + 1));
                }
                _ => return Err(Bad),
            }
        }
    }

    /// The first half (stopped at the split) followed by the second.
    fn merge(mut self, second: Reader<'a, '_>) -> RawManifest<'a> {
        let out = &mut self.out;
        let offset = out.nodes.len();
        let second_nodes = match second.out.nodes_section {
            NodesSection::Entries(n) => n,
            _ => 0,
        };
        out.nodes_section = if second.seen.nodes {
            second.out.nodes_section
        } else {
            NodesSection::Entries(offset - self.section_start + second_nodes)
        };
        out.nodes.extend(second.out.nodes);
        out.deps.extend(second.out.deps);
        out.tests.extend(
            second
                .out
                .tests
                .into_iter()
                .map(|(i, a, n)| (i + offset, a, n)),
        );
        if second.seen.metadata {
            out.metadata = second.out.metadata;
        }
        if second.seen.groups {
            out.groups = second.out.groups;
        }
        if second.seen.parent_map {
            out.parent_map = second.out.parent_map;
        }
        self.out
    }
}

/// A value lineage reads, by serde_json (its own errors are dropped: see the module's notes).
fn de<'a, T: Deserialize<'a>>(v: &'a [u8]) -> Scan<T> {
    serde_json::from_slice(v).map_err(|_| Bad)
}

/// `v` is a whole JSON value, usually a string.
fn string(v: &[u8]) -> Scan<Str<'_>> {
    if v.first() == Some(&b'"')
        && let Ok((s, end)) = read_str(v, 0)
        && end == v.len()
    {
        return Ok(Str(s));
    }
    de(v)
}

fn opt_string(v: &[u8]) -> Scan<Option<Str<'_>>> {
    match v.first() {
        Some(b'"') => string(v).map(Some),
        Some(b'n') if v == b"null" => Ok(None),
        _ => de(v),
    }
}

/// One entry (a node, source, exposure…) at `i`, and the index after it. Reads what
/// [`RawNode`]'s serde visitor reads, with the same refusals.
fn entry(b: &[u8], mut i: usize) -> Scan<(RawNode<'_>, usize)> {
    use NodeKey::*;
    if b.get(i) != Some(&b'{') {
        return Err(Bad);
    }
    i = ws(b, i + 1);
    let mut n = RawNode::default();
    let mut unique_id = None;
    let mut seen = 0u32;
    if b.get(i) == Some(&b'}') {
        return Err(Bad);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(Bad);
        }
        let (name, j) = read_str(b, i)?;
        let key = NodeKey::from_bytes(name.as_bytes());
        i = expect(b, j, b':')?;
        if key == Other {
            i = skip_value(b, i)?;
        } else {
            let bit = 1u32 << key as u32;
            if seen & bit != 0 {
                return Err(Bad);
            }
            seen |= bit;
            if key == Config {
                let (config, end) = config(b, i)?;
                n.config = config;
                i = end;
            } else {
                let end = skip_value(b, i)?;
                let v = &b[i..end];
                match key {
                    UniqueId => unique_id = Some(string(v)?),
                    ResourceType => n.resource_type = opt_string(v)?,
                    Name => n.name = opt_string(v)?,
                    PackageName => n.package_name = opt_string(v)?,
                    SourceName => n.source_name = opt_string(v)?,
                    Database => n.database = opt_string(v)?,
                    Schema => n.schema = opt_string(v)?,
                    Alias => n.alias = opt_string(v)?,
                    Identifier => n.identifier = opt_string(v)?,
                    RelationName => n.relation_name = opt_string(v)?,
                    OriginalFilePath => n.original_file_path = opt_string(v)?,
                    Fqn => n.fqn = de::<Option<_>>(v)?.unwrap_or_default(),
                    Tags => n.tags = de::<Option<_>>(v)?.unwrap_or_default(),
                    Group => n.group = opt_string(v)?,
                    Meta => n.meta = de(v)?,
                    DependsOn => n.depends_on = de(v)?,
                    AttachedNode => n.attached_node = opt_string(v)?,
                    TestMetadata => n.test_metadata = de(v)?,
                    Checksum => n.checksum = de(v)?,
                    Owner => n.owner = de(v)?,
                    Type => n.exposure_type = de(v)?,
                    Url => n.url = opt_string(v)?,
                    Maturity => n.maturity = opt_string(v)?,
                    Label => n.label = opt_string(v)?,
                    Config | Other => unreachable!("handled above"),
                }
                i = end;
            }
        }
        i = ws(b, i);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => break,
            _ => return Err(Bad),
        }
    }
    n.unique_id = unique_id.ok_or(Bad)?;
    Ok((n, i + 1))
}

/// An entry's `config` at `i`: walked here rather than by serde_json because it is large
/// (~30 keys) and lineage reads four of them.
fn config(b: &[u8], i: usize) -> Scan<(Option<RawConfig<'_>>, usize)> {
    if b.get(i) != Some(&b'{') {
        let end = skip_value(b, i)?;
        return Ok((de(&b[i..end])?, end));
    }
    let mut c = RawConfig::default();
    let mut seen = 0u8;
    let mut i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Ok((Some(c), i + 1));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(Bad);
        }
        let (key, j) = read_str(b, i)?;
        i = expect(b, j, b':')?;
        let field: u8 = match &*key {
            "meta" => 1,
            "severity" => 2,
            "group" => 4,
            "enabled" => 8,
            _ => 0,
        };
        let end = skip_value(b, i)?;
        if field != 0 {
            if seen & field != 0 {
                return Err(Bad);
            }
            seen |= field;
            let v = &b[i..end];
            match field {
                1 => c.meta = de(v)?,
                2 => c.severity = opt_string(v)?,
                4 => c.group = opt_string(v)?,
                _ => c.enabled = de(v)?,
            }
        }
        i = ws(b, end);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return Ok((Some(c), i + 1)),
            _ => return Err(Bad),
        }
    }
}

#[cfg(test)]
mod tests;
