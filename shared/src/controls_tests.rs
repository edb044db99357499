//! The controls: the built-in detectors against examples that must and must not match, drop
//! paths, the minimum level, and the line kept whole otherwise.

use super::*;

fn controls(redact: &str, drop: &[&str], min_level: Option<&str>) -> Controls {
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("r = {redact}")).unwrap()["r"].clone();
    Controls::parse(
        Some(&value),
        Some(drop.iter().map(|d| d.to_string()).collect()),
        min_level.map(String::from),
    )
    .unwrap()
}

fn apply(c: &Controls, line: &str) -> (String, Applied) {
    let mut out = Vec::new();
    let applied = c.apply(line.as_bytes(), &mut out, usize::MAX);
    (String::from_utf8(out).unwrap(), applied)
}

#[test]
fn built_in_detectors_find_what_they_name_and_nothing_else() {
    // (detector, text, redacted text)
    let table: &[(&str, &str, &str)] = &[
        ("email", "mail ann.lee+x@example.co.uk now", "mail [REDACTED:email] now"),
        (
            "email",
            "https://x.io/login?u=bob@corp.example.com&next=/",
            "https://x.io/login?u=[REDACTED:email]&next=/",
        ),
        ("email", "not@an-address", "not@an-address"),
        (
            "bearer",
            "Authorization: Bearer abc.DEF-123_~+/==",
            "Authorization: [REDACTED:bearer]",
        ),
        ("bearer", "the bearer of news", "the bearer of news"),
        (
            "card",
            "paid with 4111 1111 1111 1111 ok",
            "paid with [REDACTED:card] ok",
        ),
        ("card", "card 5500-0000-0000-0004", "card [REDACTED:card]"),
        (
            "card",
            "order 4111111111111112 (fails Luhn)",
            "order 4111111111111112 (fails Luhn)",
        ),
        ("card", "id 123456789012", "id 123456789012"),
        ("ipv4", "from 120.75.16.101:443", "from [REDACTED:ipv4]:443"),
        ("ipv4", "version 999.1.2.3", "version 999.1.2.3"),
        (
            "ipv6",
            "client 2001:db8::ff00:42:8329 said",
            "client [REDACTED:ipv6] said",
        ),
        ("ipv6", "at 10:00:00 sharp", "at 10:00:00 sharp"),
        ("ipv6", "loopback ::1", "loopback [REDACTED:ipv6]"),
        ("ipv6", "link fe80::1%eth0 up", "link [REDACTED:ipv6] up"),
        (
            "ipv6",
            "full 2001:0db8:0000:0000:0000:ff00:0042:8329.",
            "full [REDACTED:ipv6].",
        ),
        (
            "ipv6",
            "use std::io::Read; fn f() -> Vec::<u8>",
            "use std::io::Read; fn f() -> Vec::<u8>",
        ),
        (
            "jwt",
            "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_1",
            "t=[REDACTED:jwt]",
        ),
        ("jwt", "eyJ alone", "eyJ alone"),
        (
            "aws_key",
            "key AKIAIOSFODNN7EXAMPLE here",
            "key [REDACTED:aws_key] here",
        ),
        ("aws_key", "AKIA-short", "AKIA-short"),
    ];
    for (name, text, want) in table {
        let c = controls(&format!("[\"{name}\"]"), &[], None);
        let line = serde_json::json!({ "dt": "2026-11-22T10:00:00Z", "message": text }).to_string();
        let (out, applied) = apply(&c, &line);
        let got: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(got["message"], *want, "{name} on {text:?}");
        assert_eq!(applied.redacted > 0, text != want, "{name} on {text:?}: count");
    }
}

#[test]
fn nested_strings_redacted_keys_and_own_fields_kept_order_kept() {
    let c = controls(
        r#"["email", { pattern = "sk_live_[0-9a-zA-Z]+", name = "stripe" }]"#,
        &[],
        None,
    );
    let line = r#"{"dt":"2026-11-22T10:00:00Z","message":"to a@b.io","drain":"a@b.io","a@b.io":{"k":["x sk_live_abc123", 7, null, {"m":"c@d.io"}]},"n":1.5e3}"#;
    let (out, applied) = apply(&c, line);
    assert_eq!(
        out,
        r#"{"dt":"2026-11-22T10:00:00Z","message":"to [REDACTED:email]","drain":"a@b.io","a@b.io":{"k":["x [REDACTED:stripe]",7,null,{"m":"[REDACTED:email]"}]},"n":1.5e3}"#
    );
    assert_eq!(
        applied,
        Applied {
            keep: true,
            redacted: 3,
            too_large: false
        }
    );
}

#[test]
fn drop_paths_and_min_level() {
    let c = controls("[]", &["proxy.clientIp", "headers.cookie", "secret"], Some("info"));
    let line = r#"{"dt":"x","level":"debug","secret":{"a":1},"proxy":{"clientIp":"1.2.3.4","path":"/"},"headers":[{"cookie":"c","ua":"u"}]}"#;
    let (out, applied) = apply(&c, line);
    assert_eq!(
        out,
        r#"{"dt":"x","level":"debug","proxy":{"path":"/"},"headers":[{"ua":"u"}]}"#
    );
    assert!(!applied.keep, "debug is below info");
    let (_, applied) = apply(&c, r#"{"dt":"x","level":"WARNING"}"#);
    assert!(applied.keep);
    let (_, applied) = apply(&c, r#"{"dt":"x","level":"verbose-ish"}"#);
    assert!(applied.keep, "a level drain can't rank is kept");
    let (_, applied) = apply(&c, r#"{"dt":"x","message":"no level"}"#);
    assert!(applied.keep);
    let (out, _) = apply(&c, r#"{"dt":"x","proxy":{"clientIp":"1"}}"#);
    assert_eq!(out, r#"{"dt":"x","proxy":{}}"#);
}

#[test]
fn unusable_controls_are_refused_naming_why() {
    let err = |redact: &str, drop: &[&str], level: Option<&str>| {
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("r = {redact}")).unwrap()["r"].clone();
        Controls::parse(
            Some(&value),
            Some(drop.iter().map(|d| d.to_string()).collect()),
            level.map(String::from),
        )
        .unwrap_err()
    };
    assert!(err(r#"["phone"]"#, &[], None).contains("no detector `phone`"));
    assert!(err(r#"[{ pattern = "(" }]"#, &[], None).contains("can't be used"));
    assert!(err(r#"[{ pattern = "\\w{1000}{1000}" }]"#, &[], None).contains("can't be used"));
    assert!(err("[]", &["a..b"], None).contains("dotted path"));
    assert!(err("[]", &[], Some("loud")).contains("min_level"));
}

/// Strings built from parts that detectors find and parts they don't.
fn part() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        "[a-z]{1,8}",
        " ",
        Just("ann@example.com".to_string()),
        Just("4111 1111 1111 1111".to_string()),
        Just("4111111111111112".to_string()),
        Just("10.0.0.1".to_string()),
        Just("Bearer abcdefgh12345".to_string()),
        Just("sk_live_ABC123".to_string()),
        Just("\"q\\u00e9\n".to_string()),
        "[0-9]{1,4}",
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// For any event and any subset of the detectors and a pattern: no string value of the kept
    /// line holds a match that a detector would replace, keys are kept, and a value without one
    /// is unchanged.
    #[test]
    fn no_match_survives_and_nothing_else_changes(
        values in proptest::collection::vec(proptest::collection::vec(part(), 0..6), 1..6),
        pick in proptest::collection::vec(proptest::bool::ANY, 6),
    ) {
        let names = ["email", "card", "ipv4", "bearer", "jwt", "aws_key"];
        let mut redact: Vec<String> = names.iter().zip(&pick).filter(|(_, p)| **p).map(|(n, _)| format!("\"{n}\"")).collect();
        redact.push("{ pattern = \"sk_live_[0-9a-zA-Z]+\" }".into());
        let c = controls(&format!("[{}]", redact.join(", ")), &[], None);
        let mut event = serde_json::Map::new();
        event.insert("dt".into(), "2026-11-22T10:00:00Z".into());
        for (i, parts) in values.iter().enumerate() {
            let text = parts.concat();
            event.insert(format!("k{i}"), if i % 2 == 0 { text.into() } else { serde_json::json!({ "nested": [text] }) });
        }
        let line = serde_json::Value::Object(event.clone()).to_string();
        let (out, applied) = apply(&c, &line);
        let stored: serde_json::Value = serde_json::from_str(&out).expect("the kept line is JSON");
        proptest::prop_assert!(applied.keep);
        for (i, parts) in values.iter().enumerate() {
            let key = format!("k{i}");
            let got = if i % 2 == 0 { &stored[&key] } else { &stored[&key]["nested"][0] };
            let got = got.as_str().expect("a string stays a string");
            let (again, n) = c.redact(got, usize::MAX);
            proptest::prop_assert_eq!(n, 0, "a match survived in {:?}", got);
            proptest::prop_assert_eq!(again.as_ref(), got);
            let sent = parts.concat();
            if c.redact(&sent, usize::MAX).1 == 0 {
                proptest::prop_assert_eq!(got, sent.as_str());
            }
        }
        proptest::prop_assert_eq!(stored.as_object().unwrap().len(), event.len());
    }
}

#[test]
fn a_line_that_replacements_grow_past_the_bound_is_stopped_there() {
    let c = controls(r#"[{ pattern = "x" }]"#, &[], None);
    let line = format!(
        r#"{{"dt":"y","message":"{}","more":"{}"}}"#,
        "x".repeat(10_000),
        "x".repeat(10_000)
    );
    let mut out = Vec::new();
    let applied = c.apply(line.as_bytes(), &mut out, 20_000);
    assert!(applied.too_large);
    // Stopped at the first replacement past the bound, not after writing every one.
    assert!(out.len() < 20_000 + 100, "{} bytes written", out.len());
    let applied = c.apply(line.as_bytes(), &mut out, usize::MAX);
    assert!(!applied.too_large);
    assert_eq!(applied.redacted, 20_000);
}
