//! Sending one Web Push (RFC 8030): the payload encrypted to the device, the VAPID
//! `Authorization`, `TTL` and `Urgency` headers, one POST to the endpoint, and what the push
//! service's answer means for the outbox: sent, try again (5xx, 429, no connection; with its
//! `Retry-After`), the device gone (404, 410), or a failure that trying again cannot mend.
//!
//! The endpoint is an address a client chose, so the connection is guarded as well as the
//! stored URL: the endpoint is checked again before each push, names are resolved by a resolver
//! that drops internal addresses (a name that later resolves to loopback is not followed),
//! redirects are not followed, proxies from the environment are not used.

use crate::send_error::SendError;
use crate::web_push::{VAPID_VALIDITY, encrypt, vapid_authorization};
use chrono::{DateTime, Utc};
use kept_core::push::{DeviceKeys, PushNotice, is_internal, parse_endpoint};
use kept_store::outbox::PushTarget;
use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a push needs from the server: its VAPID key and who runs it.
#[derive(Clone)]
pub struct PushOptions {
    /// The VAPID private key, PKCS#8 DER.
    pub vapid_der: Vec<u8>,
    /// Its public point, base64url (the `k=` of the header).
    pub vapid_public: String,
    /// How the push service's operator can reach ours: `mailto:` or an `https:` URL.
    pub subject: String,
    /// Endpoints on loopback and private networks are pushed to (tests, closed networks).
    pub allow_private: bool,
    /// The whole request, connection included (the mail's `timeout_secs`: one setting for how
    /// long the outbox waits on the other side).
    pub timeout: Duration,
}

impl std::fmt::Debug for PushOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushOptions")
            .field("subject", &self.subject)
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// Sends pushes; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct Pusher {
    client: reqwest::Client,
    options: Arc<PushOptions>,
    tokens: Arc<Mutex<HashMap<String, SignedToken>>>,
}

/// A VAPID `Authorization` for one push service, and when it was signed. RFC 8292 lets one
/// token serve many requests; signing is the larger part of a push's own cost (see
/// `kept-bench push`), so a token is reused until it has less than [`REUSE_MARGIN`] to run.
#[derive(Clone)]
struct SignedToken {
    header: String,
    signed_at: DateTime<Utc>,
}

impl std::fmt::Debug for SignedToken {
    // The token stands for this server at its push service until it expires: not for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedToken")
            .field("signed_at", &self.signed_at)
            .finish_non_exhaustive()
    }
}

/// How long before its expiry a token is signed anew (a push service's clock may run ahead).
const REUSE_MARGIN: chrono::Duration = chrono::Duration::hours(1);
/// Push services remembered at most; beyond, the cache starts over (a client picks the service,
/// so their number is not ours to bound otherwise).
const MAX_SERVICES: usize = 64;

impl Pusher {
    pub fn new(options: PushOptions) -> Result<Pusher, String> {
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: options.allow_private,
            }))
            .build()
            .map_err(|e| format!("push client: {e}"))?;
        Ok(Pusher {
            client,
            options: Arc::new(options),
            tokens: Arc::default(),
        })
    }

    /// The `Authorization` header for the push service at `origin`: a token signed earlier and
    /// still good for a while, or a new one. Its expiry is read by the push service's clock, so
    /// it is the real time, not the outbox's.
    fn authorization(&self, origin: &str) -> Result<String, SendError> {
        let now = Utc::now();
        let fresh = |token: &SignedToken| now < token.signed_at + VAPID_VALIDITY - REUSE_MARGIN;
        if let Ok(tokens) = self.tokens.lock()
            && let Some(token) = tokens.get(origin).filter(|t| fresh(t))
        {
            return Ok(token.header.clone());
        }
        let header = vapid_authorization(
            &self.options.vapid_der,
            &self.options.vapid_public,
            origin,
            &self.options.subject,
            now,
        )
        .map_err(|e| SendError::Permanent(format!("VAPID token: {e}")))?;
        if let Ok(mut tokens) = self.tokens.lock() {
            if tokens.len() >= MAX_SERVICES {
                tokens.clear();
            }
            let token = SignedToken {
                header: header.clone(),
                signed_at: now,
            };
            tokens.insert(origin.to_owned(), token);
        }
        Ok(header)
    }

    /// Sends `payload` as a notice of the kind `notice` to the device `target`.
    pub async fn send(
        &self,
        target: &PushTarget,
        payload: &[u8],
        notice: PushNotice,
    ) -> Result<(), SendError> {
        let endpoint = parse_endpoint(&target.endpoint, self.options.allow_private)
            .map_err(|e| SendError::Permanent(format!("the endpoint {e}")))?;
        let keys = DeviceKeys::parse(&target.p256dh, &target.auth)
            .map_err(|_| SendError::Permanent("the device's keys are malformed".into()))?;
        let body = encrypt(payload, &keys.p256dh, &keys.auth)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let authorization = self.authorization(&endpoint.origin())?;
        let answer = self
            .client
            .post(endpoint.as_str())
            .header("TTL", notice.ttl_secs.to_string())
            .header("Urgency", notice.urgency.as_str())
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Retry {
                // Without the URL: the endpoint is the device's secret, kept out of logs.
                error: format!(
                    "push service not reached: {}",
                    error_chain(&e.without_url())
                ),
                after: None,
            })?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let said = format!("push service answered {status}");
        let busy = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT
        ) || status.is_server_error();
        Err(match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => SendError::Gone(said),
            // An HTTP date in Retry-After is the push service's wall clock, so the wait is
            // measured from ours (the outbox adds it to its own clock).
            _ if busy => SendError::Retry {
                after: retry_after(answer.headers(), Utc::now()),
                error: said,
            },
            _ => SendError::Permanent(said),
        })
    }
}

/// The error and its causes in one line ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        line.push_str(": ");
        line.push_str(&inner.to_string());
        cause = inner.source();
    }
    line
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Resolves a push service's name, keeping only the addresses a push may go to.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|address| allow_private || !is_internal(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn wait_for(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        let now = DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        retry_after(&headers, now)
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        assert_eq!(wait_for("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            wait_for("Mon, 02 Mar 2026 08:05:00 GMT"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            wait_for("Mon, 02 Mar 2026 07:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(wait_for("soon"), None);
    }

    #[test]
    fn a_signed_token_serves_its_push_service_until_near_its_expiry() {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let key = crate::web_push::random_key().unwrap();
        let pusher = Pusher::new(PushOptions {
            vapid_der: key.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            vapid_public: kept_core::push::base64url(
                key.public_key().to_encoded_point(false).as_bytes(),
            ),
            subject: "mailto:kept@example.org".into(),
            allow_private: false,
            timeout: Duration::from_secs(5),
        })
        .unwrap();
        let first = pusher.authorization("https://push.example").unwrap();
        assert_eq!(pusher.authorization("https://push.example").unwrap(), first);
        let other = pusher.authorization("https://other.example").unwrap();
        assert_ne!(other, first, "a token names its push service");
        // Signed long enough ago, it is signed anew (within one second the bytes are the same:
        // ES256 here is deterministic, so the time it was signed tells).
        let signed_at =
            |pusher: &Pusher| pusher.tokens.lock().unwrap()["https://push.example"].signed_at;
        let old = signed_at(&pusher) - (VAPID_VALIDITY - REUSE_MARGIN);
        if let Some(token) = pusher
            .tokens
            .lock()
            .unwrap()
            .get_mut("https://push.example")
        {
            token.signed_at = old;
        }
        pusher.authorization("https://push.example").unwrap();
        assert!(signed_at(&pusher) > old);
    }

    #[tokio::test]
    async fn a_name_on_the_servers_own_network_is_not_followed() {
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(guarded.resolve(name).await.is_err());
        let allowed = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(allowed.resolve(name).await.unwrap().next().is_some());
    }
}
