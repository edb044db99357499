//! Reading a request body within the server's limits: at most `max_body` kept, every kept byte
//! reserved first from the budget shared by all deliveries (`max_buffered`), so a body that
//! doesn't fit is a 503 rather than an allocation.

use bytes::Bytes;
use http_body::Body;
use http_body_util::BodyExt;

use super::quota::{Held, Quota};

/// How far past the limit a body is still read (and thrown away) so that the sender sees the
/// 413 instead of a reset connection; beyond it the connection is cut.
pub const DISCARD_LIMIT: usize = 8 << 20;

pub enum Read<'a> {
    /// The body, and its share of the memory budget.
    Complete(Bytes, Held<'a>),
    /// Past `max_body`: nothing past the limit was kept.
    TooLarge,
    /// Keeping it would pass `max_buffered`.
    OverBudget,
}

pub fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

/// Reads the body frame by frame, reserving its bytes (in KiB) from `quota` as they are kept
/// (all at once when the length is declared). The buffer grows at most to `max`, never by
/// doubling past it.
pub async fn read<'a, B>(quota: &'a Quota, mut body: B, max: usize, declared: Option<u64>) -> Result<Read<'a>, B::Error>
where
    B: Body<Data = Bytes> + Unpin,
{
    let reserve = |bytes: usize| quota.try_take(kib(bytes));
    let first = declared.map_or(64 << 10, |n| n.min(max as u64) as usize);
    let Some(permit) = reserve(first) else {
        return Ok(Read::OverBudget);
    };
    let mut held = Some(permit);
    let mut buf: Vec<u8> = Vec::with_capacity(first);
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else { continue };
        total += data.len();
        if total <= max {
            let needed = buf.len() + data.len();
            if needed > buf.capacity() {
                let target = needed.max(buf.capacity() * 2).min(max);
                let (Some(held), Some(more)) = (held.as_mut(), reserve(target - buf.capacity())) else {
                    return Ok(Read::OverBudget);
                };
                held.merge(more);
                buf.reserve_exact(target - buf.len());
            }
            buf.extend_from_slice(&data);
        } else if total > max + DISCARD_LIMIT {
            break;
        } else if held.is_some() {
            // Past the limit: what was kept is freed now, the rest is only counted.
            (buf, held) = (Vec::new(), None);
        }
    }
    Ok(match held {
        Some(held) if total <= max => Read::Complete(Bytes::from(buf), held),
        _ => Read::TooLarge,
    })
}

/// Reads a body and keeps none of it, up to `limit` bytes.
pub async fn discard<B: Body<Data = Bytes> + Unpin>(mut body: B, limit: usize) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > limit {
            break;
        }
    }
}
