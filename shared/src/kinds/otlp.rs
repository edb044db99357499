//! `otlp`: OTLP/HTTP exports (`/v1/logs`, `/v1/traces`, `/v1/metrics`) in protobuf or JSON,
//! gzip or not (SPEC sections 2 and 8); the mapping itself is `format::otlp`.

use crate::body::MediaType;
use crate::error::Rejection;
use crate::format::otlp;
use crate::output::Batch;

use super::Input;

pub(super) fn decode(input: &Input<'_>, batch: &mut Batch<'_, '_>) -> Result<(), Rejection> {
    let signal = input.signal.unwrap_or(otlp::Signal::Logs);
    otlp::decode(signal, input.media == MediaType::Protobuf, input.body, batch)
}
