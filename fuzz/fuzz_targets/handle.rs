//! The core's whole entry point: the first byte picks the route and headers, the rest is the body.
#![no_main]
use drain_core::{handle, Body, Config, Request, Timestamp};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let config = Config::parse(
        "[limits]\nmax_body=65536\nmax_decompressed=262144\n[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"s\"]\n[[source]]\nname=\"app\"\nkind=\"betterstack\"\ntokens=[\"t\"]\n[[source]]\nname=\"nf\"\nkind=\"northflank\"\nauth=\"none\"\n[[source]]\nname=\"lp\"\nkind=\"logplex\"\nauth=\"none\"\n",
        &|_| None,
    )
    .unwrap();
    let path = ["/v", "/app", "/nf", "/lp", "/"][usize::from(pick & 7) % 5];
    let ctype = ["application/json", "application/x-ndjson", "application/msgpack", "text/plain"][usize::from(pick >> 3 & 3)];
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    headers.insert("content-type", ctype.parse().unwrap());
    if pick & 0x20 != 0 {
        headers.insert("content-encoding", "gzip".parse().unwrap());
    }
    let req = Request { method: "POST", path, headers: &headers, body: Body::Complete(body) };
    let plan = handle(&config, &req, Timestamp::from_unix_millis(1_700_000_000_000).unwrap());
    assert!(plan.response.status < 500);
});
