//! `betterstack`: the Logtail ingest API's JSON (object, array, NDJSON) or MessagePack (map or
//! array of maps).

use super::Input;
use crate::body::MediaType;
use crate::error::Rejection;
use crate::event::{write_event, Rules};
use crate::format::{json, msgpack};
use crate::output::Batch;

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let media = input.media;
    let body = input.body;
    if media == MediaType::Msgpack {
        let limits = *batch.limits();
        msgpack::for_each_event(body, &limits, |fields| {
            write_event(batch, Rules::BetterStack, fields, None).map_err(Rejection::from)
        })
    } else {
        json::for_each_event(body, |ev| {
            write_event(batch, Rules::BetterStack, &ev.fields, ev.inner(body)).map_err(Rejection::from)
        })
    }
}
