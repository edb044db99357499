//! MACs of a Vercel body computed by the handler (the Worker's `crypto.subtle`) and handed in:
//! the same answers and objects as when the core computes them, and no way around the signature.

use drain_core::{admit, handle, Admission, Body, Config, Plan, Request, Timestamp};
use hmac::{Hmac, Mac};

const CONFIG: &str = r#"
[[source]]
name = "vercel"
kind = "vercel"
secrets = ["old-secret", "new-secret"]
[[source]]
name = "app"
kind = "betterstack"
tokens = ["t"]
"#;

fn mac(secret: &str, body: &[u8]) -> [u8; 20] {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    m.finalize().into_bytes().into()
}

fn deliver(config: &Config, body: &[u8], signature: &str, macs: Option<&[[u8; 20]]>) -> Plan {
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/x-ndjson".parse().unwrap());
    headers.insert("x-vercel-signature", signature.parse().unwrap());
    let req = Request {
        method: "POST",
        path: "/vercel",
        headers: &headers,
        body: Body::Complete(body),
        request_id: "macs",
        body_macs: macs,
    };
    handle(config, &req, Timestamp::from_unix_millis(1_795_348_800_000).unwrap())
}

#[test]
fn handed_in_macs_give_the_plan_the_core_would_make() {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    let secrets_of = |path| match admit(&config, "POST", path, &headers) {
        Admission::Read(a) => Some(
            a.signature_secrets(&config)
                .map(|s| s.iter().map(|s| s.expose()).collect::<Vec<_>>()),
        ),
        Admission::Answer(_) => None,
    };
    let secrets = secrets_of("/vercel?x=1")
        .flatten()
        .expect("a vercel source checks a body signature");
    assert_eq!(secrets, ["old-secret", "new-secret"]);
    assert_eq!(secrets_of("/app"), Some(None), "admitted, and signed by no secret");
    assert_eq!(secrets_of("/nowhere"), None, "answered from the head");

    let body = b"{\"id\":\"1\",\"timestamp\":1795348800000,\"message\":\"hi\"}\n";
    let signed_new = hex::encode(mac("new-secret", body));
    let macs = [mac("old-secret", body), mac("new-secret", body)];
    let handed = deliver(&config, body, &signed_new, Some(&macs));
    let computed = deliver(&config, body, &signed_new, None);
    assert_eq!(handed.response.status(), 200);
    assert_eq!(handed.objects.len(), 1);
    assert_eq!(handed.objects, computed.objects);
}

#[test]
fn handed_in_macs_never_pass_a_bad_signature() {
    let config = Config::parse(CONFIG, &|_| None).unwrap();
    let body = b"{\"id\":\"1\",\"timestamp\":1795348800000,\"message\":\"hi\"}\n";
    let macs = [mac("old-secret", body), mac("new-secret", body)];
    let forged = hex::encode(mac("attacker", body));
    let refused = deliver(&config, body, &forged, Some(&macs));
    assert_eq!(refused.response.status(), 403);
    assert!(refused.objects.is_empty());
    // MACs of another body (a handler bug) don't make the real signature pass.
    let other = [mac("old-secret", b"x"), mac("new-secret", b"x")];
    let signed = hex::encode(mac("new-secret", body));
    let refused = deliver(&config, body, &signed, Some(&other));
    assert_eq!(refused.response.status(), 403);
    assert!(refused.objects.is_empty());
    // A list of the wrong length is not used: the core computes the MACs itself.
    let one = [mac("attacker", body)];
    assert_eq!(deliver(&config, body, &forged, Some(&one)).response.status(), 403);
    assert_eq!(deliver(&config, body, &signed, Some(&one)).response.status(), 200);
}
