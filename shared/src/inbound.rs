//! Requests that systems we do not own send to us, signed (SPEC §8.3: the
//! online service platform's intake; later the national system's
//! callbacks): HMAC-SM3 with the sender's key over
//! `timestamp + "\n" + nonce + "\n" + body`, hex, in `X-Yaojian-Signature`;
//! the timestamp (Unix seconds, `X-Yaojian-Timestamp`) within 5 minutes of
//! our clock; the nonce (`X-Yaojian-Nonce`, 16–64 characters of
//! `A-Z a-z 0-9 - _`) used once per sender — remembered in Redis for as long
//! as its timestamp could pass. A wrong or stale signature is 401
//! `SIGNATURE_INVALID`; a nonce seen before is 401 `REQUEST_REPLAYED`. The
//! nonce is checked last, so a forged request cannot use up a real one.

use crate::{ApiError, AppState, codes};
use poem::http::HeaderMap;

pub const TIMESTAMP: &str = "X-Yaojian-Timestamp";
pub const NONCE: &str = "X-Yaojian-Nonce";
pub const SIGNATURE: &str = "X-Yaojian-Signature";

/// How far a timestamp may be from our clock, seconds.
pub const WINDOW_SECS: i64 = 300;

/// The signature a sender puts in `X-Yaojian-Signature`.
pub fn sign(key: &[u8], timestamp: &str, nonce: &str, body: &[u8]) -> String {
    crate::crypto::data_centre_signature(key, &format!("{timestamp}\n{nonce}"), body)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn invalid() -> ApiError {
    ApiError::of(codes::SIGNATURE_INVALID)
}

fn nonce_ok(n: &str) -> bool {
    (16..=64).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks everything but the nonce's first use: signature and timestamp.
pub fn check_signature(
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<String, ApiError> {
    let (Some(ts), Some(nonce), Some(sig)) = (
        header(headers, TIMESTAMP),
        header(headers, NONCE),
        header(headers, SIGNATURE),
    ) else {
        return Err(invalid());
    };
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (now - t).abs() <= WINDOW_SECS);
    let signed =
        crate::crypto::verify_data_centre_signature(key, &format!("{ts}\n{nonce}"), body, sig);
    if !fresh || !nonce_ok(nonce) || !signed {
        return Err(invalid());
    }
    Ok(nonce.to_owned())
}

/// Verifies a request from `sender` (its configured name) signed with `key`.
pub async fn verify(
    state: &AppState,
    sender: &str,
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let nonce = check_signature(key, headers, body, chrono::Utc::now().timestamp())?;
    let mut conn = state.cache.conn();
    // Kept for both sides of the window: a timestamp can pass for 2 × 300 s.
    let first: bool = redis::cmd("SET")
        .arg(state.cache.key(format!("nonce:{sender}:{nonce}")))
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(2 * WINDOW_SECS)
        .query_async::<Option<String>>(&mut conn)
        .await
        .map(|r| r.is_some())?;
    if !first {
        return Err(ApiError::of(codes::REQUEST_REPLAYED));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn headers(ts: i64, nonce: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP, HeaderValue::from_str(&ts.to_string()).unwrap());
        h.insert(NONCE, HeaderValue::from_str(nonce).unwrap());
        h.insert(SIGNATURE, HeaderValue::from_str(sig).unwrap());
        h
    }

    const KEY: &[u8] = b"platform-key";
    const NONCE_A: &str = "0f8c2a7e-4b1d-4e2a";

    #[test]
    fn a_signed_fresh_request_passes() {
        let now = 1_800_000_000;
        let sig = sign(KEY, &now.to_string(), NONCE_A, b"{}");
        assert_eq!(
            check_signature(
                KEY,
                &headers(
                    now - 299,
                    NONCE_A,
                    &sign(KEY, &(now - 299).to_string(), NONCE_A, b"{}")
                ),
                b"{}",
                now
            )
            .unwrap(),
            NONCE_A
        );
        assert!(check_signature(KEY, &headers(now, NONCE_A, &sig), b"{}", now).is_ok());
    }

    #[test]
    fn anything_off_is_signature_invalid() {
        let now = 1_800_000_000;
        let ts = now.to_string();
        let sig = sign(KEY, &ts, NONCE_A, b"{}");
        for (h, body, key) in [
            (headers(now, NONCE_A, &sig), &b"{ }"[..], KEY), // another body
            (headers(now, NONCE_A, &sig), &b"{}"[..], &b"another-key"[..]), // another key
            (headers(now, "0f8c2a7e-4b1d-4e2b", &sig), &b"{}"[..], KEY), // another nonce
            (
                headers(
                    now - 301,
                    NONCE_A,
                    &sign(KEY, &(now - 301).to_string(), NONCE_A, b"{}"),
                ),
                &b"{}"[..],
                KEY,
            ), // stale
            (
                headers(now, "short", &sign(KEY, &ts, "short", b"{}")),
                &b"{}"[..],
                KEY,
            ), // nonce too short
            (headers(now, NONCE_A, "zz"), &b"{}"[..], KEY),  // not hex
            (HeaderMap::new(), &b"{}"[..], KEY),             // unsigned
        ] {
            let e = check_signature(key, &h, body, now).unwrap_err();
            assert_eq!(e.code, "SIGNATURE_INVALID");
            assert_eq!(e.status, 401);
        }
    }
}
