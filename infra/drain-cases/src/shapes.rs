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

/// One JSON event: `message` and `n` more keys named by `name(i)`.
pub fn object_with_keys(n: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
    let mut body = String::from("{\"message\":\"m\"");
    for i in 0..n {
        body.push_str(&format!(",\"{}\":{i}", name(i)));
    }
    body.push('}');
    body.into_bytes()
}
