//! The partners' web app, built into `web/dist` and embedded in the binary, so a release build
//! serves it with no Node installed. Every path that is not the API or an operator endpoint
//! falls back to the app's `index.html`, which routes on the client.

use crate::config::Config;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;
use std::borrow::Cow;
use std::sync::Arc;

#[derive(RustEmbed)]
#[folder = "../../web/dist/"]
struct Bundle;

/// Paths that never fall back to the app, with everything under them: an unknown one is the
/// API's JSON 404.
const NOT_THE_APP: [&str; 4] = ["/api", "/healthz", "/readyz", "/metrics"];

/// Where the page's placeholder for the quick-exit address sits in the built `index.html`.
const QUICK_EXIT_PLACEHOLDER: &str = "content=\"__KEPT_QUICK_EXIT__\"";

/// Whether `path` belongs to the app rather than to the API or the operator.
pub fn is_app_path(path: &str) -> bool {
    !NOT_THE_APP.iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The default service: the app for its own paths (GET and HEAD), the problem 404 otherwise.
pub async fn serve(req: HttpRequest, app: web::Data<WebApp>) -> HttpResponse {
    let path = req.path();
    let readable = req.method() == actix_web::http::Method::GET
        || req.method() == actix_web::http::Method::HEAD;
    if !readable || !is_app_path(path) {
        return crate::handler::not_found().await;
    }
    let name = path.trim_start_matches('/');
    let mut response = match asset(name) {
        Some(file) => file_response(&req, name, file),
        // A missing hashed asset is a real 404, not the page: a stale page asking for a script
        // that no longer exists must not get HTML back.
        None if name.starts_with("assets/") => return crate::handler::not_found().await,
        None => index_response(&app),
    };
    security_headers(response.headers_mut(), &app.policy);
    response
}

/// What every response of the app needs that depends only on the configuration, prepared once
/// at start-up rather than per request.
#[derive(Debug)]
pub struct WebApp {
    /// The app's page with the operator's quick-exit address written in; `None` when the
    /// binary was built without the app.
    page: Option<Arc<str>>,
    /// The content security policy, whose live-socket origin comes from `server.public_url`.
    policy: HeaderValue,
}

impl WebApp {
    pub fn new(config: &Config) -> Self {
        let page = Bundle::get("index.html").map(|page| {
            let quick_exit = attribute_escape(&config.web.quick_exit_url);
            Arc::from(
                String::from_utf8_lossy(&page.data)
                    .replace(QUICK_EXIT_PLACEHOLDER, &format!("content=\"{quick_exit}\"")),
            )
        });
        Self {
            page,
            policy: content_security_policy(&config.server.public_url),
        }
    }
}

/// An embedded file by its path in `dist`; `index.html` is never served raw (see
/// [`index_response`]), and the precompressed copies only through content negotiation.
fn asset(name: &str) -> Option<rust_embed::EmbeddedFile> {
    if name.is_empty() || name == "index.html" || name.ends_with(".gz") || name.ends_with(".br") {
        return None;
    }
    Bundle::get(name)
}

fn file_response(req: &HttpRequest, name: &str, file: rust_embed::EmbeddedFile) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type(mime_of(name));
    // Vite names every asset after its content: a changed file is a new name, so the old one
    // may be kept for ever. Everything else (the service worker, the manifest, icons) is
    // checked each time so an update reaches people.
    response.insert_header((
        header::CACHE_CONTROL,
        if name.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        },
    ));
    response.insert_header((header::VARY, "Accept-Encoding"));
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
        if accepts(accepted, encoding)
            && let Some(packed) = Bundle::get(&format!("{name}{suffix}"))
        {
            response.insert_header((header::CONTENT_ENCODING, encoding));
            return response.body(bytes_of(packed));
        }
    }
    response.body(bytes_of(file))
}

/// An embedded file's bytes; a release build embeds them, so they are handed out uncopied.
fn bytes_of(file: rust_embed::EmbeddedFile) -> Bytes {
    match file.data {
        Cow::Borrowed(data) => Bytes::from_static(data),
        Cow::Owned(data) => Bytes::from(data),
    }
}

/// The app's page, with the operator's quick-exit address written in. Never cached, so a new
/// release and a changed address reach people at once.
fn index_response(web: &WebApp) -> HttpResponse {
    let Some(page) = &web.page else {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("The web app was not built into this binary (web/dist is empty).");
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page.to_string())
}

/// The content policy: nothing leaves the origin; the live socket is the only other scheme.
fn content_security_policy(public_url: &str) -> HeaderValue {
    let socket_origin = public_url
        .trim_end_matches('/')
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {socket_origin}; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    // The configuration check admits only plain http(s) addresses; should one still not make a
    // header value, the policy without the socket origin is stricter, never looser.
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
    })
}

/// The headers every response of the app carries: the content policy, no referrer, no
/// sniffing, no framing.
fn security_headers(headers: &mut header::HeaderMap, policy: &HeaderValue) {
    let fixed = [
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
    for (name, value) in fixed {
        headers.insert(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// Whether an `Accept-Encoding` value allows `encoding` (absent, or with a non-zero weight).
fn accepts(header_value: &str, encoding: &str) -> bool {
    header_value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let name_matches = pieces
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case(encoding));
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        name_matches && !refused
    })
}

fn mime_of(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn attribute_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_and_the_operator_endpoints_are_not_the_app() {
        for path in [
            "/api/v1/me",
            "/api/",
            "/api",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(!is_app_path(path), "{path}");
        }
        for path in [
            "/",
            "/join/abc",
            "/spaces/x/stats",
            "/help",
            "/apiary",
            "/healthzz",
        ] {
            assert!(is_app_path(path), "{path}");
        }
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("br;q=0.5", "br"));
        assert!(!accepts("br;q=0", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(accepts("GZIP", "gzip"));
    }

    #[test]
    fn the_quick_exit_address_cannot_break_out_of_its_attribute() {
        assert_eq!(
            attribute_escape("https://x.org/?a=1&b=\"><script>"),
            "https://x.org/?a=1&amp;b=&quot;&gt;&lt;script&gt;"
        );
    }
}
