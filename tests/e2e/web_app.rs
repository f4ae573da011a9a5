//! The web app as the server hands it out: its page for every path that is not the API or an
//! operator endpoint, hashed assets cached for good and sent precompressed, and the security
//! headers on all of it. (The app's behaviour is tested in a browser: `crates/api/tests/browser.rs`.)

use kept_tests::{Flavor, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;

async fn get(app: &kept_tests::TestApp, path: &str, encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept-encoding", encoding)
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("", |v| v.to_str().unwrap())
}

/// The asset the page loads first, read from the page itself.
fn entry_script(page: &str) -> String {
    let start = page
        .find("/assets/index-")
        .expect("the page loads its script");
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

async fn every_app_path_is_the_page_with_strict_headers(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    for path in [
        "/",
        "/join/abc",
        "/verify-email?token=x",
        "/reset-password?token=x",
        "/spaces/0190f3c0-0000-7000-8000-000000000000/talks/x",
        "/help",
    ] {
        let response = get(&app, path, "gzip, br").await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        let policy = header(&response, "content-security-policy").to_owned();
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "connect-src 'self' ws://127.0.0.1",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        let page = response.text().await.unwrap();
        assert!(page.contains("<div id=\"app\"></div>"), "{path}");
        // The operator's quick-exit address is written into the page.
        assert!(
            page.contains("name=\"kept-quick-exit\" content=\"https://www.bbc.co.uk/weather\""),
            "{path}"
        );
    }
}

async fn hashed_assets_are_immutable_and_precompressed(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let page = get(&app, "/", "identity").await.text().await.unwrap();
    let script = entry_script(&page);

    let plain = get(&app, &script, "identity").await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(
        header(&plain, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&plain, "content-type").starts_with("text/javascript"));
    assert_eq!(header(&plain, "content-encoding"), "");
    let plain_len = plain.bytes().await.unwrap().len();

    for (accepted, expected) in [
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let packed = get(&app, &script, accepted).await;
        assert_eq!(header(&packed, "content-encoding"), expected, "{accepted}");
        assert_eq!(header(&packed, "vary"), "Accept-Encoding");
        let packed_len = packed.bytes().await.unwrap().len();
        assert!(
            packed_len * 2 < plain_len,
            "{accepted}: {packed_len} of {plain_len}"
        );
    }

    // The service worker and the manifest are checked on every visit, so updates arrive.
    let worker = get(&app, "/sw.js", "identity").await;
    assert_eq!(worker.status(), StatusCode::OK);
    assert_eq!(header(&worker, "cache-control"), "no-cache");
    let manifest = get(&app, "/manifest.webmanifest", "identity").await;
    assert_eq!(
        header(&manifest, "content-type"),
        "application/manifest+json"
    );
}

async fn the_api_and_missing_assets_are_never_the_page(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    for path in [
        "/api/v1/nothing-here",
        "/api",
        "/healthz/more",
        "/metrics/more",
        "/assets/index-gone.js",
    ] {
        expect_problem(
            get(&app, path, "identity").await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // A write to an app path is not a page either.
    let response = app.client.post(app.url("/join/abc")).send().await.unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
}

on_both_databases!(
    every_app_path_is_the_page_with_strict_headers,
    hashed_assets_are_immutable_and_precompressed,
    the_api_and_missing_assets_are_never_the_page,
);
