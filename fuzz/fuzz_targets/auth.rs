//! Authorization headers and signatures: any bytes, no panic.
#![no_main]
use drain_core::config::{Config, SourceKind};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let config = Config::parse(
        "[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"s\"]\n[[source]]\nname=\"n\"\nkind=\"northflank\"\nauth={basic={username=\"u\",password=\"p\"}}\n[[source]]\nname=\"b\"\nkind=\"northflank\"\nauth={bearer=\"t\"}\n",
        &|_| None,
    )
    .unwrap();
    let (head, body) = data.split_at(data.len() / 2);
    for s in &config.sources {
        match &s.kind {
            SourceKind::Vercel { secrets, .. } => {
                let _ = drain_core::auth::vercel(secrets, Some(head), &[body]);
            }
            SourceKind::Northflank { auth } | SourceKind::Logplex { auth } => {
                let _ = drain_core::auth::http(auth, Some(head));
            }
            SourceKind::BetterStack { .. } => {}
        }
    }
    let _ = drain_core::auth::bearer_token(Some(data));
});
