//! Credentials: argon2id password hashes, short-lived JWT access tokens, signed unsubscribe
//! tokens and random bearer secrets (refresh tokens, invite codes). The extractor that checks
//! them on a request is [`crate::caller::Caller`].
//!
//! Expiry is checked against Kept's [`Clock`], not by jsonwebtoken's own reading of the system
//! clock, so that tests can move time. Each access token names its session, and the session is
//! checked on every request: signing out everywhere takes effect at once.

use crate::error::ApiError;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Argon2, Params};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kept_core::account::Password;
use kept_core::mail::MailKind;
use kept_core::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::OnceLock;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

const ISSUER: &str = "kept";
const ACCESS_AUDIENCE: &str = "kept-access";
const UNSUBSCRIBE_AUDIENCE: &str = "kept-unsubscribe";

/// Argon2's working memory (19 MiB with the default parameters), kept by one hashing thread
/// between hashes instead of allocated afresh for each.
///
/// The buffer's capacity is above glibc's largest dynamic mmap threshold (32 MiB), so it is
/// always a mapping of its own that goes back to the system when it is dropped; only the part
/// a hash uses is ever touched. (A 19 MiB buffer allocated and freed per hash would move glibc's
/// threshold above it, and every later one would stay in the heap: hundreds of MiB after a burst
/// of sign-ups.)
#[derive(Default)]
pub struct Scratch {
    blocks: Vec<argon2::Block>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scratch({} blocks)", self.blocks.len())
    }
}

/// 32 MiB and one block: past `DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit glibc.
const SCRATCH_CAPACITY: usize = (32 << 20) / argon2::Block::SIZE + 1;

impl Scratch {
    fn blocks(&mut self, count: usize) -> &mut [argon2::Block] {
        if self.blocks.len() < count {
            self.blocks = Vec::with_capacity(SCRATCH_CAPACITY.max(count));
            self.blocks.resize(count, argon2::Block::default());
        }
        &mut self.blocks[..count]
    }
}

/// Hashes a new password with argon2id and a fresh random salt. Slow by design: call it off the
/// async threads.
pub fn hash_password(password: &str, scratch: &mut Scratch) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(&e))?;
    let argon2 = Argon2::default();
    let params = argon2.params().clone();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            scratch.blocks(params.block_count()),
        )
        .map_err(|e| ApiError::internal(&e))?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: ParamsString::try_from(&params).map_err(|e| ApiError::internal(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| ApiError::internal(&e))?),
        hash: Some(Output::new(&out).map_err(|e| ApiError::internal(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches `stored`. When the account does not exist, verify against a fixed
/// hash anyway so the answer takes as long as for a real account (no account enumeration).
pub fn verify_password(password: &str, stored: Option<&str>, scratch: &mut Scratch) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| {
        hash_password(
            "decoy password for unknown accounts",
            &mut Scratch::default(),
        )
        .unwrap_or_default()
    });
    let verified = matches(password, stored.unwrap_or(decoy), scratch).unwrap_or(false);
    verified && stored.is_some()
}

/// Recomputes `stored`'s hash of `password` with its own algorithm, version and parameters, and
/// compares in constant time (`Output`'s equality).
fn matches(password: &str, stored: &str, scratch: &mut Scratch) -> Option<bool> {
    let parsed = PasswordHash::new(stored).ok()?;
    let params = Params::try_from(&parsed).ok()?;
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm.as_str()).ok()?;
    let version = match parsed.version {
        Some(number) => argon2::Version::try_from(number).ok()?,
        None => argon2::Version::default(),
    };
    let (salt, expected) = (parsed.salt?, parsed.hash?);
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            scratch.blocks(params.block_count()),
        )
        .ok()?;
    Some(Output::new(&out).ok()? == expected)
}

/// Argon2 is expensive on purpose (19 MiB and tens of milliseconds per hash), so it runs on a
/// few dedicated threads, one per core, fed from a queue. More at once would not finish sooner.
/// Each thread keeps its [`Scratch`] while work keeps coming and gives it back to the system
/// after [`SCRATCH_KEPT_IDLE`] without any.
#[derive(Debug)]
pub struct PasswordWork {
    queue: Arc<JobQueue>,
}

type PasswordJob = Box<dyn FnOnce(&mut Scratch) + Send>;

/// How long a hashing thread keeps its working memory without work.
const SCRATCH_KEPT_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Jobs waiting for a hashing thread. A condition variable rather than a shared channel
/// receiver: every idle thread waits on it at once, so each one's idle timer runs.
#[derive(Default)]
struct JobQueue {
    jobs: Mutex<JobState>,
    ready: Condvar,
}

#[derive(Default)]
struct JobState {
    waiting: VecDeque<PasswordJob>,
    closed: bool,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobQueue")
    }
}

impl PasswordWork {
    pub fn start() -> std::io::Result<Self> {
        let queue = Arc::new(JobQueue::default());
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        for n in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("kept-passwords-{n}"))
                .spawn(move || serve_password_jobs(&queue))?;
        }
        Ok(Self { queue })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: PasswordJob = Box::new(move |scratch| {
            let _ = done.send(work(scratch));
        });
        self.queue
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .push_back(job);
        self.queue.ready.notify_one();
        result.await.map_err(|e| ApiError::internal(&e))
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        self.run(move |scratch| hash_password(password.expose(), scratch))
            .await?
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        self.run(move |scratch| verify_password(&password, stored.as_deref(), scratch))
            .await
    }
}

impl Drop for PasswordWork {
    fn drop(&mut self) {
        self.queue
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.queue.ready.notify_all();
    }
}

/// One hashing thread: runs jobs until the application is gone, and lets go of its working
/// memory after [`SCRATCH_KEPT_IDLE`] without any.
fn serve_password_jobs(queue: &JobQueue) {
    let mut scratch = Scratch::default();
    loop {
        let job = {
            let mut state = queue.jobs.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(job) = state.waiting.pop_front() {
                    break Some(job);
                }
                if state.closed {
                    return;
                }
                let (next, waited) = queue
                    .ready
                    .wait_timeout(state, SCRATCH_KEPT_IDLE)
                    .unwrap_or_else(PoisonError::into_inner);
                state = next;
                if waited.timed_out() && state.waiting.is_empty() {
                    break None;
                }
            }
        };
        match job {
            Some(job) => job(&mut scratch),
            None => scratch = Scratch::default(),
        }
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
        let scratch = &mut Scratch::default();
        let hash = hash_password("correct horse battery", scratch).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(
            "correct horse battery",
            Some(&hash),
            scratch
        ));
        assert!(!verify_password(
            "wrong horse battery",
            Some(&hash),
            scratch
        ));
        assert!(!verify_password("correct horse battery", None, scratch));
        // Hashes made by the library's own hasher (every stored hash so far) still verify.
        use argon2::password_hash::PasswordHasher;
        let earlier = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(verify_password(
            "correct horse battery",
            Some(&earlier),
            scratch
        ));
        assert!(!verify_password(
            "wrong horse battery",
            Some(&earlier),
            scratch
        ));
        assert!(!verify_password("x", Some("not a hash"), scratch));
    }
}
