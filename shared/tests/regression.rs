//! Inputs that once broke the core, named after what broke; each must now be answered quickly
//! with a bounded amount of work.

use drain_core::{handle, Body, Config, Request, Timestamp};

fn betterstack(body: &[u8], content_type: &str) -> u16 {
    let config = Config::parse(
        "[[source]]\nname=\"app\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n",
        &|_| None,
    )
    .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    headers.insert("content-type", content_type.parse().unwrap());
    let req = Request {
        method: "POST",
        path: "/app",
        headers: &headers,
        body: Body::Complete(body),
        request_id: "regression",
        body_macs: None,
    };
    handle(&config, &req, Timestamp::from_unix_millis(1_700_000_000_000).unwrap())
        .response
        .status()
        .as_u16()
}

/// Found by the msgpack_events fuzz target: maps used as map keys, nested, were written as JSON
/// text inside JSON strings, escaped again at every level (output doubling per level: OOM).
/// Keys that aren't scalars are now refused while the body is checked.
#[test]
fn msgpack_nested_map_keys_exponential() {
    let body = include_bytes!("regressions/msgpack-nested-map-keys-exponential.bin");
    assert_eq!(betterstack(body, "application/msgpack"), 406);
    // The same shape built deliberately: 100 levels of {{…}: nil} as the value of a field.
    let mut deep = vec![0x81, 0xa1, b'x'];
    deep.extend(std::iter::repeat_n(0x81, 100));
    deep.push(0x80);
    deep.extend(std::iter::repeat_n(0xc0, 100));
    assert_eq!(betterstack(&deep, "application/msgpack"), 406);
    // Scalar keys are fine: {x: {1: nil, true: nil, nil: 1.5}}
    let scalars = [
        0x81, 0xa1, b'x', 0x83, 0x01, 0xc0, 0xc3, 0xc0, 0xc0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(betterstack(&scalars, "application/msgpack"), 202);
}
