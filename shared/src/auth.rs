//! Who sent a delivery: Vercel's HMAC-SHA1 signature, Basic, Bearer and Better Stack tokens.
//! Every comparison of a credential runs in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::config::{Algorithm, Encoding, HttpAuth, Secret, Signature};
pub use crate::error::AuthError;

/// Checks `x-vercel-signature` (hex HMAC-SHA1) against every configured secret, over the bytes
/// on the wire and, when the body was gzip, over the decompressed bytes.
pub fn vercel(secrets: &[Secret], signature: Option<&[u8]>, candidates: &[&[u8]]) -> Result<(), AuthError> {
    let signature = signature.ok_or(AuthError::Missing)?;
    let mut expected = [0u8; 20];
    hex::decode_to_slice(signature.trim_ascii(), &mut expected).map_err(|_| AuthError::Mismatch)?;
    let mut ok = false;
    for secret in secrets {
        let mac = Hmac::<Sha1>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
        for body in candidates {
            let mut mac = mac.clone();
            mac.update(body);
            ok |= mac.verify_slice(&expected).is_ok();
        }
    }
    ok.then_some(()).ok_or(AuthError::Mismatch)
}

/// Vercel's signature checked against MACs of the body the handler computed (one per secret),
/// each compared in constant time, all of them compared.
pub fn vercel_macs(macs: &[[u8; 20]], signature: Option<&[u8]>) -> Result<(), AuthError> {
    let signature = signature.ok_or(AuthError::Missing)?;
    let mut expected = [0u8; 20];
    hex::decode_to_slice(signature.trim_ascii(), &mut expected).map_err(|_| AuthError::Mismatch)?;
    let mut ok = false;
    for mac in macs {
        ok |= bool::from(mac.ct_eq(&expected));
    }
    ok.then_some(()).ok_or(AuthError::Mismatch)
}

/// Vercel's signature computed over bytes that arrive in pieces (a gzip body as it inflates),
/// one MAC per secret.
pub struct VercelMacs {
    macs: Vec<Hmac<Sha1>>,
}

impl VercelMacs {
    pub fn new(secrets: &[Secret]) -> Self {
        let macs = secrets
            .iter()
            .map(|s| Hmac::<Sha1>::new_from_slice(s.expose().as_bytes()).expect("HMAC takes any key length"))
            .collect();
        Self { macs }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        for mac in &mut self.macs {
            mac.update(bytes);
        }
    }

    /// Whether `signature` (hex) matches any secret; every secret is checked.
    pub fn verify(self, signature: Option<&[u8]>) -> Result<(), AuthError> {
        let signature = signature.ok_or(AuthError::Missing)?;
        let mut expected = [0u8; 20];
        hex::decode_to_slice(signature.trim_ascii(), &mut expected).map_err(|_| AuthError::Mismatch)?;
        let ok = self
            .macs
            .into_iter()
            .fold(false, |ok, mac| ok | mac.verify_slice(&expected).is_ok());
        ok.then_some(()).ok_or(AuthError::Mismatch)
    }
}

/// Checks a webhook's signature header: the HMAC of the body as sent, under any of the secrets,
/// in the configured algorithm and encoding, after the configured prefix. Every secret is
/// checked, each in constant time.
pub fn signature(sig: &Signature, header: Option<&[u8]>, body: &[u8]) -> Result<(), AuthError> {
    let given = header.map(<[u8]>::trim_ascii).filter(|h| !h.is_empty()).ok_or(AuthError::Missing)?;
    let given = match given.split_at_checked(sig.prefix.len()) {
        Some((p, rest)) if p.eq_ignore_ascii_case(sig.prefix.as_bytes()) => rest,
        _ => return Err(AuthError::Signature),
    };
    let expected = match sig.encoding {
        Encoding::Hex => hex::decode(given).map_err(|_| AuthError::Signature)?,
        Encoding::Base64 => STANDARD.decode(given).map_err(|_| AuthError::Signature)?,
    };
    let mut ok = false;
    for secret in &sig.secrets {
        let key = secret.expose().as_bytes();
        ok |= match sig.algorithm {
            Algorithm::Sha1 => {
                let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(body);
                mac.verify_slice(&expected).is_ok()
            }
            Algorithm::Sha256 => {
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(body);
                mac.verify_slice(&expected).is_ok()
            }
        };
    }
    ok.then_some(()).ok_or(AuthError::Signature)
}

/// Checks an `Authorization` header against a Northflank or Logplex source's auth.
pub fn http(auth: &HttpAuth, authorization: Option<&[u8]>) -> Result<(), AuthError> {
    match auth {
        HttpAuth::None => Ok(()),
        HttpAuth::Basic { username, password } => {
            let header = authorization.ok_or(AuthError::Missing)?;
            let encoded = strip_scheme(header, b"basic").ok_or(AuthError::Missing)?;
            let decoded = STANDARD.decode(encoded.trim_ascii()).map_err(|_| AuthError::Mismatch)?;
            let colon = decoded.iter().position(|&c| c == b':').ok_or(AuthError::Mismatch)?;
            let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
            let user_ok = username.as_ref().is_none_or(|u| ct_eq(u.as_bytes(), user));
            (ct_eq(password.expose().as_bytes(), pass) & user_ok)
                .then_some(())
                .ok_or(AuthError::Mismatch)
        }
        HttpAuth::Bearer(token) => {
            let header = authorization.ok_or(AuthError::Missing)?;
            let given = strip_scheme(header, b"bearer").ok_or(AuthError::Missing)?.trim_ascii();
            // Northflank sends the token base64-encoded; people with curl send it plain.
            let decoded = STANDARD.decode(given).unwrap_or_default();
            let ok = ct_eq(token.expose().as_bytes(), given) | ct_eq(token.expose().as_bytes(), &decoded);
            ok.then_some(()).ok_or(AuthError::Mismatch)
        }
    }
}

/// The token of `Authorization: Bearer <token>`, for Better Stack sources.
pub fn bearer_token(authorization: Option<&[u8]>) -> Result<&[u8], AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let token = strip_scheme(header, b"bearer").ok_or(AuthError::Missing)?.trim_ascii();
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// The token of a Splunk HEC request: `Authorization: Splunk <token>`, `Bearer <token>`, or
/// Basic with the token as the password.
pub fn hec_token(authorization: Option<&[u8]>) -> Result<Vec<u8>, AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let token = if let Some(t) = strip_scheme(header, b"splunk").or_else(|| strip_scheme(header, b"bearer")) {
        t.trim_ascii().to_vec()
    } else if let Some(encoded) = strip_scheme(header, b"basic") {
        let decoded = STANDARD.decode(encoded.trim_ascii()).map_err(|_| AuthError::Mismatch)?;
        let colon = decoded.iter().position(|&c| c == b':').ok_or(AuthError::Mismatch)?;
        decoded[colon + 1..].to_vec()
    } else {
        return Err(AuthError::Missing);
    };
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// Whether `given` is one of `tokens`; every token is compared, whatever matches first.
pub fn token_matches(tokens: &[Secret], given: &[u8]) -> bool {
    tokens
        .iter()
        .fold(false, |found, t| found | ct_eq(t.expose().as_bytes(), given))
}

/// Constant-time equality that doesn't leak the length either: both sides are hashed first.
pub fn ct_eq(expected: &[u8], given: &[u8]) -> bool {
    let a = Sha1::digest(expected);
    let b = Sha1::digest(given);
    a.as_slice().ct_eq(b.as_slice()).into()
}

fn strip_scheme<'h>(header: &'h [u8], scheme: &[u8]) -> Option<&'h [u8]> {
    let header = header.trim_ascii_start();
    let (name, rest) = header.split_at_checked(scheme.len())?;
    (name.eq_ignore_ascii_case(scheme) && rest.first() == Some(&b' ')).then(|| &rest[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        crate::config::Config::parse(
            &format!("[[source]]\nname=\"v\"\nkind=\"vercel\"\nsecrets=[\"{s}\"]\n"),
            &|_| None,
        )
        .map(|c| match &c.sources[0].kind.auth {
            crate::config::Auth::Vercel { secrets, .. } => secrets[0].clone(),
            _ => unreachable!(),
        })
        .unwrap()
    }

    fn sign(key: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn vercel_cases() {
        let secrets = [secret("old"), secret("new")];
        let body: &[u8] = b"[{\"message\":\"x\"}]";
        type Case<'a> = (Option<String>, &'a [&'a [u8]], Result<(), AuthError>);
        let cases: &[Case<'_>] = &[
            (Some(sign("old", body)), &[body], Ok(())),
            (Some(sign("new", body)), &[body], Ok(())),
            (Some(sign("new", body).to_uppercase()), &[body], Ok(())),
            (Some(sign("other", body)), &[body], Err(AuthError::Mismatch)),
            (Some(sign("new", b"other")), &[b"wire", body], Err(AuthError::Mismatch)),
            (Some(sign("new", body)), &[b"wire", body], Ok(())),
            (Some("zz".into()), &[body], Err(AuthError::Mismatch)),
            (Some(String::new()), &[body], Err(AuthError::Mismatch)),
            (None, &[body], Err(AuthError::Missing)),
        ];
        for (sig, bodies, expected) in cases {
            assert_eq!(
                vercel(&secrets, sig.as_deref().map(str::as_bytes), bodies),
                *expected,
                "{sig:?}"
            );
        }
    }

    #[test]
    fn basic_and_bearer_cases() {
        let basic = HttpAuth::Basic {
            username: Some("nf".into()),
            password: secret("pw"),
        };
        let any_user = HttpAuth::Basic {
            username: None,
            password: secret("pw"),
        };
        let bearer = HttpAuth::Bearer(secret("tok"));
        let b64 = |s: &str| STANDARD.encode(s);
        let cases: &[(&HttpAuth, Option<String>, Result<(), AuthError>)] = &[
            (&basic, Some(format!("Basic {}", b64("nf:pw"))), Ok(())),
            (&basic, Some(format!("basic  {}", b64("nf:pw"))), Ok(())),
            (
                &basic,
                Some(format!("Basic {}", b64("xx:pw"))),
                Err(AuthError::Mismatch),
            ),
            (
                &basic,
                Some(format!("Basic {}", b64("nf:nope"))),
                Err(AuthError::Mismatch),
            ),
            (&basic, Some(format!("Basic {}", b64("nfpw"))), Err(AuthError::Mismatch)),
            (&basic, Some("Basic !!!".into()), Err(AuthError::Mismatch)),
            (&basic, Some("Bearer pw".into()), Err(AuthError::Missing)),
            (&basic, None, Err(AuthError::Missing)),
            (&any_user, Some(format!("Basic {}", b64("anyone:pw"))), Ok(())),
            (
                &any_user,
                Some(format!("Basic {}", b64(":pw:with:colons"))),
                Err(AuthError::Mismatch),
            ),
            (&bearer, Some(format!("Bearer {}", b64("tok"))), Ok(())),
            (&bearer, Some("Bearer tok".into()), Ok(())),
            (&bearer, Some("Bearer nope".into()), Err(AuthError::Mismatch)),
            (&bearer, Some("Bearer".into()), Err(AuthError::Missing)),
            (&HttpAuth::None, None, Ok(())),
        ];
        for (auth, header, expected) in cases {
            assert_eq!(
                http(auth, header.as_deref().map(str::as_bytes)),
                *expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn tokens() {
        let tokens = [secret("a"), secret("b")];
        assert!(token_matches(&tokens, b"b"));
        assert!(!token_matches(&tokens, b"c"));
        assert_eq!(bearer_token(Some(b"Bearer  b ")), Ok(&b"b"[..]));
        assert_eq!(bearer_token(Some(b"Bearer ")), Err(AuthError::Missing));
        assert_eq!(bearer_token(Some(b"Token b")), Err(AuthError::Missing));
    }
}
