//! Bodies that amplify (issue 12), shared by the core's hostile-shapes test and `drain-abuse`.

/// `{"x": [nil × n]}` as MessagePack: 1 byte per nil becomes 5 bytes of JSON.
pub fn msgpack_nils(n: u32) -> Vec<u8> {
    let mut v = vec![0x81, 0xa1, b'x', 0xdd];
    v.extend_from_slice(&n.to_be_bytes());
    v.extend(std::iter::repeat_n(0xc0, n as usize));
    v
}

/// `{"b": <bin32 of n bytes>}` as MessagePack: stored as base64, 4 bytes per 3.
pub fn msgpack_bin(n: u32) -> Vec<u8> {
    let mut v = vec![0x81, 0xa1, b'b', 0xc6];
    v.extend_from_slice(&n.to_be_bytes());
    v.extend(std::iter::repeat_n(0xab, n as usize));
    v
}

/// One MessagePack event: a map32 of `n` keys `k0`, `k1`, … each with a nil, 2-8 bytes a key
/// that each cost a slot of the event's field vector and a few bytes of JSON.
pub fn msgpack_map_with_keys(n: u32) -> Vec<u8> {
    let mut v = vec![0xdf];
    v.extend_from_slice(&n.to_be_bytes());
    for i in 0..n {
        let key = format!("k{i}");
        v.push(0xa0 | key.len() as u8);
        v.extend_from_slice(key.as_bytes());
        v.push(0xc0);
    }
    v
}

/// One JSON event: `message` and `n` more keys named by `name(i)`.
pub fn object_with_keys(n: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
    let mut body = String::from("{\"message\":\"m\"");
    for i in 0..n {
        body.push_str(&format!(",\"{}\":{i}", name(i)));
    }
    body.push('}');
    body.into_bytes()
}

/// Protobuf field `number` holding `bytes` (length-delimited).
pub fn pb(number: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 12);
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// An `ExportLogsServiceRequest` holding the log records given (each an encoded `LogRecord`).
pub fn otlp_logs(records: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let scope_logs: Vec<u8> = records.into_iter().flat_map(|r| pb(2, &r)).collect();
    pb(1, &pb(2, &scope_logs))
}

/// One log record with `n` attributes, each an empty `KeyValue` (2 bytes on the wire).
pub fn otlp_log_with_attributes(n: usize) -> Vec<u8> {
    [6u8 << 3 | 2, 0].repeat(n)
}

/// One log record whose body is an `AnyValue` array nested `depth` deep.
pub fn otlp_log_nested_body(depth: usize) -> Vec<u8> {
    let mut any = Vec::new();
    for _ in 0..depth {
        // AnyValue { array_value (5): ArrayValue { values (1): any } }
        any = pb(5, &pb(1, &any));
    }
    pb(5, &any)
}

/// An export whose first field claims `len` bytes and holds none of them.
pub fn otlp_claimed_length(len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(len, &mut out);
    out
}

/// An `ExportMetricsServiceRequest`: one histogram point with `n` packed bucket counts of 1
/// (1 byte each on the wire, 2 in the stored line).
pub fn otlp_histogram_buckets(n: usize) -> Vec<u8> {
    let point = pb(6, &vec![1u8; n]);
    let histogram = pb(1, &point);
    let metric = [pb(1, b"h"), pb(9, &histogram)].concat();
    pb(1, &pb(2, &pb(2, &metric)))
}

/// `n` attributes `k0 = "value 0"`, `k1 = "value 1"`, … as repeated `KeyValue` field `number`.
fn otlp_attributes(number: u32, n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            let value = pb(1, format!("value {i}").as_bytes());
            pb(number, &[pb(1, format!("k{i}").as_bytes()), pb(2, &value)].concat())
        })
        .collect()
}

/// An `ExportLogsServiceRequest`: one resource with `attributes` attributes, then `records`
/// empty log records (2 bytes each on the wire), each of whose stored lines carries the whole
/// resource (SPEC section 8): the shape `max_stored` bounds (issue 35).
pub fn otlp_logs_with_resource(attributes: usize, records: usize) -> Vec<u8> {
    let resource = pb(1, &otlp_attributes(1, attributes));
    let scope_logs = pb(2, &[0x12, 0].repeat(records));
    pb(1, &[resource, scope_logs].concat())
}

/// An `ExportTraceServiceRequest`: one scope with `attributes` attributes, then `spans` empty
/// spans, each stored line carrying the scope.
pub fn otlp_spans_with_scope(attributes: usize, spans: usize) -> Vec<u8> {
    let scope = pb(1, &[pb(1, b"amplifier"), otlp_attributes(3, attributes)].concat());
    let scope_spans = pb(2, &[scope, [0x12, 0].repeat(spans)].concat());
    pb(1, &scope_spans)
}

/// An `ExportMetricsServiceRequest`: one gauge whose `description` is `description` bytes long,
/// with `points` empty data points, each stored line carrying the description.
pub fn otlp_gauge_with_description(description: usize, points: usize) -> Vec<u8> {
    let gauge = pb(5, &[0x0a, 0].repeat(points));
    let metric = [pb(1, b"g"), pb(2, &vec![b'd'; description]), gauge].concat();
    pb(1, &pb(2, &pb(2, &metric)))
}

/// One Logplex frame (octet-counted) whose STRUCTURED-DATA holds `params` parameters all named
/// `a`: each a few bytes on the wire, renamed `_a`, `__a`, … when stored (issue 35).
pub fn logplex_repeated_params(params: usize) -> Vec<u8> {
    let msg = format!("<13>1 2026-11-22T10:00:00Z h a p - [x@1{}] m", " a=\"\"".repeat(params));
    format!("{} {msg}", msg.len()).into_bytes()
}
