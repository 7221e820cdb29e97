//! Hands the pages of a memory-mapped manifest back to the OS as the parser moves past them,
//! so that loading a 100 MB manifest does not hold all of it in memory at once.
//!
//! Only for a private, read-only file mapping: discarded pages are re-read from the file if
//! touched again, so correctness never depends on this; it only lowers peak memory.

use std::cell::Cell;

const PAGE: usize = 4096;
/// Keep this much behind the parser resident: a node being parsed starts before its `unique_id`.
const SLACK: usize = 1 << 20;
/// Release in steps of at least this much, to keep `madvise` calls rare.
const STEP: usize = 8 << 20;

#[derive(Clone, Copy)]
struct Region {
    start: usize,
    end: usize,
    released: usize,
}

thread_local! {
    static REGION: Cell<Option<Region>> = const { Cell::new(None) };
}

/// Runs `f` (the parse) with `bytes` registered for release.
///
/// # Safety
/// `bytes` must be a private, read-only file mapping (e.g. `memmap2::Mmap`) that nothing
/// writes to: discarded pages of heap memory would be lost, not re-read.
pub unsafe fn while_parsing<R>(bytes: &[u8], f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            REGION.with(|r| r.set(None));
        }
    }
    let start = bytes.as_ptr() as usize;
    let aligned = start.next_multiple_of(PAGE);
    REGION.with(|r| {
        r.set(Some(Region {
            start,
            end: start + bytes.len(),
            released: aligned,
        }))
    });
    let _reset = Reset;
    f()
}

/// Tells the releaser that the parser has passed `ptr` (a pointer into the input).
pub fn passed(ptr: *const u8) {
    REGION.with(|cell| {
        let Some(mut region) = cell.get() else { return };
        let p = ptr as usize;
        if p < region.start || p >= region.end {
            return;
        }
        let upto = p.saturating_sub(SLACK) / PAGE * PAGE;
        if upto <= region.released || upto - region.released < STEP {
            return;
        }
        discard(region.released, upto - region.released);
        region.released = upto;
        cell.set(Some(region));
    });
}

#[cfg(unix)]
fn discard(addr: usize, len: usize) {
    // SAFETY: the range lies inside the registered mapping (checked by `passed`), is page
    // aligned, and `while_parsing`'s contract says it is a private read-only file mapping.
    unsafe {
        libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTNEED);
    }
}

#[cfg(not(unix))]
fn discard(_addr: usize, _len: usize) {}

/// Validates that `bytes` is UTF-8, in chunks; when a region is registered, each validated
/// chunk is handed back to the OS at once so that validation does not make the whole file
/// resident before parsing starts.
pub fn validate_utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let registered = REGION.with(|r| r.get().is_some());
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + STEP).min(bytes.len());
        if let Err(e) = std::str::from_utf8(&bytes[start..end]) {
            if e.error_len().is_some() || end == bytes.len() {
                // A real error: report it with offsets into the whole input.
                return std::str::from_utf8(bytes);
            }
            // A character split by the chunk boundary: validate it with the next chunk.
            end = start + e.valid_up_to();
        }
        if registered {
            let chunk_start = (bytes.as_ptr() as usize + start).next_multiple_of(PAGE);
            let chunk_end = (bytes.as_ptr() as usize + end) / PAGE * PAGE;
            if chunk_end > chunk_start {
                discard(chunk_start, chunk_end - chunk_start);
            }
        }
        start = end;
    }
    // SAFETY: every byte was validated above, chunk by chunk, on character boundaries.
    Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
}
