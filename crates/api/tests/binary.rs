//! The `kept` binary as an operator runs it: a real process on loopback, on both databases.
//! Its JSON log lines carry each request's id, route template, status and duration, and never
//! a path, a token, a password or a partner's words.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed step is the test failing

use kept_store::test_db::{Flavor, TestDb};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const JWT_SECRET: &str = "binary-test-signing-key-0123456789abcdef-0123";

/// `kept serve` on an ephemeral port, its standard error read line by line.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(db: &TestDb, settings: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kept"))
            .arg("serve")
            .env_remove("RUST_LOG")
            .env("KEPT__SERVER__BIND", "127.0.0.1:0")
            .env("KEPT__SERVER__WORKERS", "1")
            .env("KEPT__DATABASE__URL", db.url())
            .env("KEPT__AUTH__JWT_SECRET", JWT_SECRET)
            .env("KEPT__DATA__DIR", data.path())
            .env("KEPT__MAIL__OUTBOX_DIR", data.path().join("outbox"))
            .envs(settings.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start kept");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self {
            child,
            port: 0,
            lines,
            _data: data,
        };
        let started = server
            .next_line_with("kept is serving", Duration::from_secs(60))
            .expect("kept says it is serving");
        let started: Value = serde_json::from_str(&started).unwrap();
        server.port = u16::try_from(started["fields"]["port"].as_u64().unwrap()).unwrap();
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn next_line_with(&self, needle: &str, within: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// Stops the server as its orchestrator would (SIGTERM) and returns what it still wrote.
    fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let stopped = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            self.child.try_wait().ok().flatten().is_some()
        });
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.lines.try_iter().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json_logs_carry_the_request_and_none_of_its_secrets(flavor: Flavor) {
    let Some(db) = TestDb::new(flavor) else {
        return;
    };
    let server = Server::start(&db, &[("KEPT__LOG__FORMAT", "json")]);
    let secrets = [
        "hunter2-correct-horse-battery",
        "ada.private@example.org",
        "the words only my partner may read",
        "not-a-real-invite-code-4242",
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let access = runtime.block_on(async {
        let client = reqwest::Client::new();
        let registered: Value = client
            .post(server.url("/api/v1/auth/register"))
            .json(&json!({"email": secrets[1], "password": secrets[0], "display_name": "Ada", "time_zone": "UTC"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let access = registered["access_token"].as_str().unwrap().to_owned();
        let space: Value = client
            .post(server.url("/api/v1/spaces"))
            .bearer_auth(&access)
            .json(&json!({"name": "Us"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let check_in = format!("/api/v1/spaces/{}/check-ins", space["id"].as_str().unwrap());
        let status = client
            .post(server.url(&check_in))
            .bearer_auth(&access)
            .json(&json!({"text": secrets[2]}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
        let accept = format!("/api/v1/invites/{}/accept", secrets[3]);
        let status = client
            .post(server.url(&accept))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404);
        let page = format!("/join/{}", secrets[3]);
        let status = client.get(server.url(&page)).send().await.unwrap().status();
        assert_eq!(status, 200);
        access
    });
    let lines = server.stop();
    assert!(!lines.is_empty(), "the server logged its requests");
    let mut routes = Vec::new();
    for line in &lines {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        for secret in secrets.iter().chain([&access.as_str()]) {
            assert!(!line.contains(secret), "a secret reached the log: {line}");
        }
        if entry["fields"]["message"] == "handled" {
            let id = entry["span"]["id"].as_str().unwrap();
            assert!(
                id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
            assert!(entry["fields"]["micros"].is_u64(), "{line}");
            routes.push((
                entry["fields"]["method"].as_str().unwrap().to_owned(),
                entry["fields"]["route"].as_str().unwrap().to_owned(),
                entry["fields"]["status"].as_u64().unwrap(),
            ));
        }
    }
    let expected = [
        ("POST", "/api/v1/auth/register", 201),
        ("POST", "/api/v1/spaces", 201),
        ("POST", "/api/v1/spaces/{space_id}/check-ins", 201),
        ("POST", "/api/v1/invites/{code}/accept", 404),
        ("GET", "(web app)", 200),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(m, r, s)| ((*m).to_owned(), (*r).to_owned(), *s))
        .collect();
    assert_eq!(routes, expected);
}

#[test]
fn json_logs_on_sqlite() {
    json_logs_carry_the_request_and_none_of_its_secrets(Flavor::Sqlite);
}

#[test]
fn json_logs_on_postgres() {
    json_logs_carry_the_request_and_none_of_its_secrets(Flavor::Postgres);
}
