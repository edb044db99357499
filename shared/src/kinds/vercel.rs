//! `vercel`: every Vercel drain type (logs, Speed Insights, Web Analytics, audit logs) as a JSON
//! array, NDJSON or one object; `{}` alone is an empty delivery.

use super::Input;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::json;
use crate::output::Batch;

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let body = input.body;
    if body.trim_ascii() == b"{}" {
        return Ok(());
    }
    json::for_each_event(body, |ev| {
        write_event(batch, Rules::Vercel, &ev.fields, ev.inner(body)).map_err(Rejection::from)
    })
}
