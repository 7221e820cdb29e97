//! Reading a request body within `[http]`'s bounds: the declared length checked before a byte
//! is read, a deadline for the whole body, gzip inflated as it arrives into at most the limit,
//! and a semaphore on bodies over [`LARGE_BODY`], which live in an anonymous memory map.

use crate::error::{InputError, InputErrorKind};
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use hyper::{Request, StatusCode};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A body larger than this (declared, received or decompressed) needs one of the
/// `max_large_bodies` permits before more of it is read.
pub const LARGE_BODY: u64 = 1024 * 1024;

/// The bounds every body is read within (from `[http]`).
pub(super) struct Limits {
    pub body_limit: u64,
    pub body_timeout: Duration,
    pub large_bodies: Arc<Semaphore>,
}

/// A request refused for a reason that is neither bad input nor ours: too slow (408) or too many
/// large bodies at once (503). The message names the request.
#[derive(Debug)]
pub(super) struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

/// A request body read whole, with the large-body permit (if it needed one) that must be held
/// until the body is dropped.
pub(super) struct Body {
    pub bytes: Bytes,
    pub permit: Option<OwnedSemaphorePermit>,
}

/// Reads the whole body within the limit and the body deadline, gunzipping as it arrives when
/// `Content-Encoding: gzip`. Holds at most `body_limit` bytes (plus one network frame); bodies
/// over [`LARGE_BODY`] wait for a `max_large_bodies` permit first.
pub(super) async fn read_body(
    limits: &Limits,
    req: Request<Incoming>,
    origin: &str,
) -> Result<(hyper::http::request::Parts, Body)> {
    let (parts, mut incoming) = req.into_parts();
    let limit = limits.body_limit;
    let too_large = || {
        InputError::new(
            origin,
            format!("the body is larger than the limit of {limit} bytes (http.body_limit)"),
        )
        .kind(InputErrorKind::TooLarge)
    };
    let declared = match parts.headers.get(CONTENT_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    InputError::new(origin, "the Content-Length header is not a number")
                })?,
        ),
    };
    if declared.is_some_and(|n| n > limit) {
        // Refused before a byte of the body is read: hyper sends no `100 Continue`.
        return Err(too_large().into());
    }
    let gzip = parts
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.eq_ignore_ascii_case("gzip"))
        .unwrap_or(false);
    let mut permit = None;
    if declared.is_some_and(|n| n > LARGE_BODY) {
        permit = Some(large_body_permit(limits, origin).await?);
    }
    let mut sink = BoundedSink::new(limit, if gzip { None } else { declared });
    if permit.is_some() {
        sink.reserve_all().context("mapping memory for the body")?;
    }
    let mut sink = if gzip {
        Sink::Gzip(Box::new(flate2::write::MultiGzDecoder::new(sink)))
    } else {
        Sink::Plain(sink)
    };
    let corrupt =
        |e: std::io::Error| InputError::new(origin, format!("the gzip body is corrupt: {e}"));
    let mut deadline = tokio::time::Instant::now() + limits.body_timeout;
    loop {
        let frame = match tokio::time::timeout_at(deadline, incoming.frame()).await {
            Err(_) => {
                return Err(Refused {
                    status: StatusCode::REQUEST_TIMEOUT,
                    message: format!(
                        "{origin}: the body did not arrive within {} (http.body_timeout)",
                        crate::config::format_duration(limits.body_timeout)
                    ),
                }
                .into());
            }
            Ok(None) => break,
            // A body that cannot be read is the client's doing: a malformed chunk, a
            // connection closed before `Content-Length` bytes arrived.
            Ok(Some(Err(e))) => {
                return Err(
                    InputError::new(origin, format!("the body could not be read: {e}")).into(),
                );
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        // Fed in slices: a KiB of deflate inflates to at most about a MiB, so a body never
        // gets far past LARGE_BODY before it holds a permit.
        for piece in data.chunks(1024) {
            let written = match &mut sink {
                Sink::Plain(s) => s.push(piece),
                Sink::Gzip(d) => d.write_all(piece),
            };
            if let Err(e) = written {
                return Err(if sink.bounded().overflowed {
                    too_large().into()
                } else {
                    corrupt(e).into()
                });
            }
            if permit.is_none() && sink.bounded().len() as u64 > LARGE_BODY {
                let waited = tokio::time::Instant::now();
                permit = Some(large_body_permit(limits, origin).await?);
                deadline += waited.elapsed();
                sink.bounded_mut()
                    .reserve_all()
                    .context("mapping memory for the body")?;
            }
        }
    }
    let sink = match sink {
        Sink::Plain(s) => s,
        Sink::Gzip(d) => {
            let overflowed = d.get_ref().overflowed;
            (*d).finish().map_err(|e| {
                if overflowed {
                    anyhow::Error::from(too_large())
                } else {
                    corrupt(e).into()
                }
            })?
        }
    };
    if sink.len() == 0 {
        return Err(InputError::new(origin, "the body is empty").into());
    }
    Ok((
        parts,
        Body {
            bytes: sink.into_bytes(),
            permit,
        },
    ))
}

/// Waits (up to the body timeout) for one of the `max_large_bodies` permits; 503 when none
/// frees up.
async fn large_body_permit(limits: &Limits, origin: &str) -> Result<OwnedSemaphorePermit> {
    match tokio::time::timeout(
        limits.body_timeout,
        limits.large_bodies.clone().acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!(
                "{origin}: too many large bodies are being read (http.max_large_bodies); retry later"
            ),
        }
        .into()),
    }
}

/// A byte buffer that never holds more than `limit` bytes, nor reserves more than that: the
/// gzip decoder writes into it and stops with an error at the limit. A large body moves to an
/// anonymous memory map sized once (pages count only as bytes land in them) and unmapped when
/// dropped, so its memory goes back to the OS at once rather than lingering in a thread's
/// allocator cache, where several bodies in a row would pile up.
struct BoundedSink {
    buf: Buf,
    limit: u64,
    /// The declared length of a plain body, already reserved.
    expected: Option<u64>,
    overflowed: bool,
}

enum Buf {
    Heap(Vec<u8>),
    Mapped { map: memmap2::MmapMut, len: usize },
}

impl BoundedSink {
    fn new(limit: u64, expected: Option<u64>) -> Self {
        BoundedSink {
            buf: Buf::Heap(Vec::with_capacity(expected.unwrap_or(0).min(limit) as usize)),
            limit,
            expected,
            overflowed: false,
        }
    }

    fn len(&self) -> usize {
        match &self.buf {
            Buf::Heap(v) => v.len(),
            Buf::Mapped { len, .. } => *len,
        }
    }

    /// Moves the bytes to a mapping with room for the declared length, or else the limit.
    fn reserve_all(&mut self) -> std::io::Result<()> {
        let Buf::Heap(v) = &self.buf else {
            return Ok(());
        };
        let room = self.expected.unwrap_or(self.limit).min(self.limit) as usize;
        let mut map = memmap2::MmapMut::map_anon(room.max(1))?;
        map[..v.len()].copy_from_slice(v);
        self.buf = Buf::Mapped { map, len: v.len() };
        Ok(())
    }

    fn push(&mut self, data: &[u8]) -> std::io::Result<()> {
        let needed = self.len() as u64 + data.len() as u64;
        if needed > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("the body limit is reached"));
        }
        match &mut self.buf {
            Buf::Heap(v) => {
                if needed as usize > v.capacity() {
                    // Double, as Vec would, but never past the limit.
                    let target = (v.capacity() as u64 * 2)
                        .max(needed)
                        .max(8 * 1024)
                        .min(self.limit) as usize;
                    v.reserve_exact(target - v.len());
                }
                v.extend_from_slice(data);
            }
            Buf::Mapped { map, len } => {
                let end = *len + data.len();
                if end > map.len() {
                    // Only a plain body longer than it declared; hyper stops those first.
                    self.overflowed = true;
                    return Err(std::io::Error::other("the body is longer than declared"));
                }
                map[*len..end].copy_from_slice(data);
                *len = end;
            }
        }
        Ok(())
    }

    fn into_bytes(self) -> Bytes {
        match self.buf {
            Buf::Heap(v) => Bytes::from(v),
            Buf::Mapped { map, len } => Bytes::from_owner(map).slice(..len),
        }
    }
}

impl Write for BoundedSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.push(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where body bytes go: straight into the buffer, or through a streaming gzip decoder into it.
enum Sink {
    Plain(BoundedSink),
    Gzip(Box<flate2::write::MultiGzDecoder<BoundedSink>>),
}

impl Sink {
    fn bounded(&self) -> &BoundedSink {
        match self {
            Sink::Plain(s) => s,
            Sink::Gzip(d) => d.get_ref(),
        }
    }

    fn bounded_mut(&mut self) -> &mut BoundedSink {
        match self {
            Sink::Plain(s) => s,
            Sink::Gzip(d) => d.get_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_buffer_never_holds_or_reserves_past_the_limit() {
        let mut s = BoundedSink::new(10_000, None);
        for _ in 0..9 {
            s.push(&[1u8; 1000]).unwrap();
        }
        let Buf::Heap(v) = &s.buf else {
            panic!("small bodies stay on the heap")
        };
        assert!(v.capacity() <= 10_000, "capacity {}", v.capacity());
        assert!(s.push(&[1u8; 1001]).is_err() && s.overflowed);
        assert_eq!(s.len(), 9000, "a refused write adds nothing");
        s.reserve_all().unwrap();
        assert!(matches!(&s.buf, Buf::Mapped { map, .. } if map.len() == 10_000));
        s.push(&[2u8; 1000]).unwrap();
        assert!(s.push(&[0]).is_err());
        let bytes = s.into_bytes();
        assert_eq!((bytes.len(), bytes[0], bytes[9_999]), (10_000, 1, 2));

        // A declared length is reserved exactly, on the heap or in a map.
        let s = BoundedSink::new(1 << 20, Some(300));
        assert!(matches!(&s.buf, Buf::Heap(v) if v.capacity() == 300));
        let mut s = BoundedSink::new(1 << 20, Some(5000));
        s.reserve_all().unwrap();
        assert!(matches!(&s.buf, Buf::Mapped { map, .. } if map.len() == 5000));
    }
}
