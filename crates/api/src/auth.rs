//! Credentials: argon2id password hashes, short-lived JWT access tokens, signed unsubscribe
//! tokens and random bearer secrets (refresh tokens, invite codes). The extractor that checks
//! them on a request is [`crate::caller::Caller`].
//!
//! Expiry is checked against Kept's [`Clock`], not by jsonwebtoken's own reading of the system
//! clock, so that tests can move time. Each access token names its session, and the session is
//! checked on every request: signing out everywhere takes effect at once.

use crate::error::ApiError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kept_core::account::Password;
use kept_core::mail::MailKind;
use kept_core::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex, PoisonError};

const ISSUER: &str = "kept";
const ACCESS_AUDIENCE: &str = "kept-access";
const UNSUBSCRIBE_AUDIENCE: &str = "kept-unsubscribe";

/// Hashes a new password with argon2id and a fresh random salt. Slow by design: call it off the
/// async threads.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(&e))
}

/// Whether `password` matches `stored`. When the account does not exist, verify against a fixed
/// hash anyway so the answer takes as long as for a real account (no account enumeration).
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY
        .get_or_init(|| hash_password("decoy password for unknown accounts").unwrap_or_default());
    let verified = Argon2::default()
        .verify_password(password.as_bytes(), stored.unwrap_or(decoy))
        .is_ok();
    verified && stored.is_some()
}

/// Argon2 is expensive on purpose (19 MiB and tens of milliseconds per hash), so it runs on a
/// few dedicated threads, one per core, fed from a queue. More at once would not finish sooner;
/// and on the general blocking pool every thread that ever hashed keeps its 19 MiB in its own
/// allocator arena (measured: hundreds of MiB after a burst of sign-ups).
#[derive(Debug)]
pub struct PasswordWork {
    jobs: std::sync::mpsc::Sender<PasswordJob>,
}

type PasswordJob = Box<dyn FnOnce() + Send>;

impl PasswordWork {
    pub fn start() -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
        let queue = Arc::new(Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        for n in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("kept-passwords-{n}"))
                .spawn(move || {
                    // Ends when the sender (the application) is dropped.
                    while let Ok(job) = queue.lock().unwrap_or_else(PoisonError::into_inner).recv()
                    {
                        job();
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: PasswordJob = Box::new(move || {
            let _ = done.send(work());
        });
        self.jobs.send(job).map_err(|e| ApiError::internal(&e))?;
        result.await.map_err(|e| ApiError::internal(&e))
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        self.run(move || hash_password(password.expose())).await?
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        self.run(move || verify_password(&password, stored.as_deref()))
            .await
    }
}

/// `bytes` random bytes as URL-safe text (hex), from the operating system's generator.
pub fn random_secret(bytes: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(&e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    sub: UserId,
    sid: SessionId,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// What a one-click unsubscribe link carries: who, and which kind of mail. It has no expiry (a
/// mail read months later must still be able to stop the next one) and does nothing but that.
#[derive(Debug, Serialize, Deserialize)]
struct UnsubscribeClaims {
    sub: UserId,
    kind: MailKind,
    iss: String,
    aud: String,
}

/// Signs and checks access tokens and unsubscribe links.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

/// Why an access token was refused; each is a distinct, documented 401 code.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRefused {
    Invalid,
    Expired,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn issue_access(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = AccessClaims {
            sub: user,
            sid: session,
            iss: ISSUER.into(),
            aud: ACCESS_AUDIENCE.into(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(&e))
    }

    pub fn verify_access(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(UserId, SessionId), TokenRefused> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ACCESS_AUDIENCE]);
        validation.validate_exp = false; // checked below against Kept's clock
        validation.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|_| TokenRefused::Invalid)?
            .claims;
        if now.timestamp() >= claims.exp {
            return Err(TokenRefused::Expired);
        }
        Ok((claims.sub, claims.sid))
    }
}

impl TokenKeys {
    /// The token of a one-click unsubscribe link for `user` and `kind`.
    pub fn issue_unsubscribe(
        &self,
        user: UserId,
        kind: MailKind,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = UnsubscribeClaims {
            sub: user,
            kind,
            iss: ISSUER.into(),
            aud: UNSUBSCRIBE_AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify_unsubscribe(&self, token: &str) -> Option<(UserId, MailKind)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[UNSUBSCRIBE_AUDIENCE]);
        validation.validate_exp = false;
        validation.required_spec_claims = ["iss", "aud", "sub"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        jsonwebtoken::decode::<UnsubscribeClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| (data.claims.sub, data.claims.kind))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn access_tokens_expire_by_the_given_clock_and_resist_tampering() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::minutes(15));
        let now = Utc::now();
        let (user, session) = (UserId::new_at(now), SessionId::new_at(now));
        let token = keys.issue_access(user, session, now).unwrap();
        assert_eq!(
            keys.verify_access(&token, now + Duration::minutes(14)),
            Ok((user, session))
        );
        assert_eq!(
            keys.verify_access(&token, now + Duration::minutes(15)),
            Err(TokenRefused::Expired)
        );
        let other = TokenKeys::new(b"another-key-another-key-another!", Duration::minutes(15));
        assert_eq!(other.verify_access(&token, now), Err(TokenRefused::Invalid));
        assert_eq!(
            keys.verify_access("not.a.jwt", now),
            Err(TokenRefused::Invalid)
        );
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("wrong horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }
}
