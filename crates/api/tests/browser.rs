//! The web app's stories in a real browser: runs the Playwright suite in `web/` (Debian's
//! Chromium) against this very `kept` binary, so `cargo test --workspace` covers the app too.
//! Without Node, the installed packages or Chromium it says so loudly and passes; under CI
//! (`CI` set) a skip fails instead.

#![allow(clippy::expect_used)] // a test: a failure to start Playwright is the test failing

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

fn chromium() -> PathBuf {
    std::env::var_os("KEPT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("node is not installed".into());
    }
    if !web_dir().join("node_modules/@playwright/test").is_dir() {
        return Some("web/node_modules is missing (run `npm ci` in web/)".into());
    }
    if !chromium().exists() {
        return Some(format!(
            "{} is missing (apt-get install chromium, or set KEPT_CHROMIUM)",
            chromium().display()
        ));
    }
    None
}

#[test]
fn the_web_app_stories_pass_in_chromium() {
    if let Some(reason) = missing() {
        assert!(
            std::env::var_os("CI").is_none(),
            "browser tests cannot be skipped under CI: {reason}"
        );
        // Written past the test harness's capture so that it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** BROWSER TESTS SKIPPED: {reason} ***\n"
        );
        return;
    }
    let status = Command::new(web_dir().join("node_modules/.bin/playwright"))
        .arg("test")
        .current_dir(web_dir())
        .env("KEPT_BIN", env!("CARGO_BIN_EXE_kept"))
        .env("KEPT_CHROMIUM", chromium())
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .expect("start playwright");
    assert!(
        status.success(),
        "the browser stories failed (see the output above)"
    );
}
