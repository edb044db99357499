//! Vercel's body signature (HMAC-SHA1) computed by `crypto.subtle`, native code in workerd, for
//! bodies large enough that it beats the wasm one; the core compares the MACs in constant time.

use drain_core::config::Secret;
use worker::js_sys::{self, Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// From this body size `crypto.subtle` is the faster (below it the promises cost more than the
/// native hash saves: `infra/bench/wasm`).
pub const FROM: usize = 64 << 10;

thread_local! {
    /// The imported `CryptoKey` of each secret, by the secret's address in the isolate's config
    /// (parsed once per isolate, never moved), so a key is imported once per isolate.
    static KEYS: std::cell::RefCell<Vec<(usize, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The body's HMAC-SHA1 under each secret, in order; `None` if `crypto.subtle` failed in any
/// way (then the core computes them in wasm).
pub async fn body_macs(secrets: &[Secret], body: &[u8]) -> Option<Vec<[u8; 20]>> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    let method = |name: &str| Reflect::get(&subtle, &name.into()).ok()?.dyn_into::<Function>().ok();
    let (import_key, sign) = (method("importKey")?, method("sign")?);
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"HMAC".into()).ok()?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-1".into()).ok()?;
    let data = Uint8Array::from(body);
    let mut macs = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let at = std::ptr::from_ref(secret) as usize;
        let cached = KEYS.with(|k| k.borrow().iter().find(|(a, _)| *a == at).map(|(_, key)| key.clone()));
        let key = match cached {
            Some(key) => key,
            None => {
                let key_args = Array::of5(
                    &"raw".into(),
                    &Uint8Array::from(secret.expose().as_bytes()),
                    &algorithm,
                    &JsValue::FALSE,
                    &Array::of1(&"sign".into()),
                );
                let key = awaited(import_key.apply(&subtle, &key_args).ok()?).await?;
                KEYS.with(|k| k.borrow_mut().push((at, key.clone())));
                key
            }
        };
        let mac = Uint8Array::new(&awaited(sign.call3(&subtle, &"HMAC".into(), &key, &data).ok()?).await?);
        let mut out = [0u8; 20];
        if mac.length() as usize != out.len() {
            return None;
        }
        mac.copy_to(&mut out);
        macs.push(out);
    }
    Some(macs)
}

async fn awaited(promise: JsValue) -> Option<JsValue> {
    JsFuture::from(promise.dyn_into::<Promise>().ok()?).await.ok()
}
