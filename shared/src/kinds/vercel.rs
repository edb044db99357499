//! `vercel`: every Vercel drain type (logs, Speed Insights, Web Analytics, audit logs) as a JSON
//! array, NDJSON or one object; `{}` alone is an empty delivery.

use crate::body::MediaType;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json;
use crate::output::Batch;

pub(super) fn decode(_: MediaType, body: &[u8], batch: &mut Batch<'_>) -> Result<(), Rejection> {
    if body.trim_ascii() == b"{}" {
        return Ok(());
    }
    json::for_each_event(body, |ev| {
        write_event(batch, Rules::Vercel, &ev.fields, ev.inner(body)).map_err(Rejection::from)
    })
}
