//! The one log line per request (id, method, route, status, duration) and the `X-Request-Id`
//! header, made cheap: the id is a counter from a random start (no random-number syscall and no
//! string per request), and the line is one event whose fields are formatted only if `info` is
//! enabled. The route is the template (`/api/v1/invites/{code}/accept`), never the path: paths
//! can carry secrets (an invite code, a calendar feed's token, the web app's `/join/…` link).

use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, StatusCode};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A request's id: unique within the process, and across instances by its random start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(u64);

static START: LazyLock<u64> = LazyLock::new(|| {
    let mut bytes = [0u8; 8];
    // Without the system's generator, the clock still keeps instances apart.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return nanos as u64;
    }
    u64::from_le_bytes(bytes)
});
static COUNTER: AtomicU64 = AtomicU64::new(0);

impl RequestId {
    pub fn next() -> Self {
        Self(START.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed)))
    }

    fn hex(self) -> [u8; 16] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let nibble = (self.0 >> (60 - 4 * i)) & 0xf;
            *byte = DIGITS[nibble as usize];
        }
        out
    }

    pub fn header(self) -> HeaderValue {
        let hex = self.hex();
        HeaderValue::from_bytes(&hex).unwrap_or_else(|_| HeaderValue::from_static("-"))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a request matched when no API route did: the web app's pages and files.
pub const WEB_APP_ROUTE: &str = "(web app)";

/// Logs the request's line (inside the request's span, which carries the id).
pub fn handled(method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
    tracing::info!(
        %method,
        route,
        status = status.as_u16(),
        micros = elapsed.as_micros() as u64,
        "handled"
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_differ_and_read_as_sixteen_hex_digits() {
        let (a, b) = (RequestId::next(), RequestId::next());
        assert_ne!(a, b);
        let shown = a.to_string();
        assert_eq!(shown.len(), 16);
        assert_eq!(a.header().to_str().unwrap(), shown);
    }
}
