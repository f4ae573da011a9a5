//! The `kept` binary as an operator runs it: a real process on loopback, on both databases.
//! Its JSON log lines carry each request's id, route template, status and duration, and never
//! a path, a token, a password or a partner's words; a backup taken while a partner writes
//! restores every acknowledged event.

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
        Self::start_on(db.url(), settings)
    }

    fn start_on(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kept"))
            .arg("serve")
            .env_remove("RUST_LOG")
            .env("KEPT__SERVER__BIND", "127.0.0.1:0")
            .env("KEPT__SERVER__WORKERS", "1")
            .env("KEPT__DATABASE__URL", database_url)
            .env("KEPT__AUTH__JWT_SECRET", JWT_SECRET)
            .env("KEPT__DATA__DIR", data.path())
            .env("KEPT__MAIL__OUTBOX_DIR", data.path().join("outbox"))
            // JSON, so that the port can be read from the start-up line.
            .env("KEPT__LOG__FORMAT", "json")
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
    let server = Server::start(&db, &[]);
    let secrets = [
        "hunter2-correct-horse-battery",
        "ada.private@example.org",
        "the words only my partner may read",
        "not-a-real-invite-code-4242",
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let access = runtime.block_on(async {
        let client = reqwest::Client::new();
        let (access, space) = sign_up_with_a_space(&client, &server, secrets[1], secrets[0]).await;
        let check_in = format!("/api/v1/spaces/{space}/check-ins");
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

/// Signs Ada up on `server` with `email` and `password` and makes her a space: her access
/// token and the space's id.
async fn sign_up_with_a_space(
    client: &reqwest::Client,
    server: &Server,
    email: &str,
    password: &str,
) -> (String, String) {
    let body =
        json!({"email": email, "password": password, "display_name": "Ada", "time_zone": "UTC"});
    let registered: Value = client
        .post(server.url("/api/v1/auth/register"))
        .json(&body)
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
    (access, space["id"].as_str().unwrap().to_owned())
}

/// The ids of the check-ins in `space`'s timeline on `server`, and whether its seqs run 1..=n.
async fn check_ins_in_timeline(server: &Server, space: &str) -> (Vec<String>, bool) {
    let client = reqwest::Client::new();
    let login = json!({"email": "ada@example.org", "password": "correct horse battery"});
    let tokens: Value = client
        .post(server.url("/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let (mut ids, mut seqs, mut after) = (Vec::new(), Vec::new(), 0);
    for _ in 0..100 {
        let page: Value = client
            .get(server.url(&format!(
                "/api/v1/spaces/{space}/events?after={after}&limit=500"
            )))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for event in page["items"].as_array().unwrap() {
            seqs.push(event["seq"].as_i64().unwrap());
            if event["kind"] == "check_in.created" {
                ids.push(event["payload"]["check_in_id"].as_str().unwrap().to_owned());
            }
        }
        match page["next"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let gapless = seqs.iter().zip(1..).all(|(seq, expected)| *seq == expected);
    (ids, gapless)
}

/// While a partner keeps writing, a backup is taken (`kept backup` on SQLite, the README's
/// `pg_dump` on PostgreSQL) and restored into a fresh database; a server on the restored copy
/// shows every check-in acknowledged before the backup began, in a gapless timeline.
async fn a_backup_under_writes_restores_every_acknowledged_event(flavor: Flavor) {
    let Some(db) = TestDb::new(flavor) else {
        return;
    };
    let server = Server::start(&db, &[]);
    let client = reqwest::Client::new();
    let (access, space) =
        sign_up_with_a_space(&client, &server, "ada@example.org", "correct horse battery").await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let url = server.url(&format!("/api/v1/spaces/{space}/check-ins"));
        tokio::spawn(async move {
            for n in 0..5_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let created: Value = client
                    .post(&url)
                    .bearer_auth(&access)
                    .json(&json!({ "text": format!("check-in {n}") }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = created["id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push(id);
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before_backup = acknowledged.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let restored = match flavor {
        Flavor::Sqlite => {
            let copy = dir.path().join("copy.db");
            let output = Command::new(env!("CARGO_BIN_EXE_kept"))
                .args(["backup", "--json"])
                .arg(&copy)
                .env("KEPT__DATABASE__URL", db.url())
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert!(report["copy"]["events"].as_i64().unwrap() >= 20, "{report}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "the copy is the operator's alone");
            }
            let again = Command::new(env!("CARGO_BIN_EXE_kept"))
                .arg("backup")
                .arg(&copy)
                .env("KEPT__DATABASE__URL", db.url())
                .output()
                .unwrap();
            assert!(!again.status.success(), "a backup never overwrites a file");
            RestoredDb::Sqlite(format!("sqlite://{}", copy.display()))
        }
        Flavor::Postgres => RestoredDb::postgres_from_dump(db.url(), dir.path()),
    };
    let during_backup = acknowledged.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    assert!(
        acknowledged.lock().unwrap().len() > during_backup || during_backup > before_backup.len(),
        "the partner kept writing while the backup ran"
    );
    drop(server);

    let copy = RestoredDb::url(&restored);
    let restored_server = Server::start_on(copy, &[]);
    let (in_copy, gapless) = check_ins_in_timeline(&restored_server, &space).await;
    assert!(gapless, "the copy's timeline has no gap");
    for id in &before_backup {
        assert!(
            in_copy.contains(id),
            "check-in {id} was acknowledged before the backup"
        );
    }
}

/// A database restored from a backup, dropped with the test (PostgreSQL).
enum RestoredDb {
    Sqlite(String),
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl RestoredDb {
    /// The README's procedure: `pg_dump --format=custom`, then `pg_restore` into an empty
    /// database.
    fn postgres_from_dump(source: &str, dir: &std::path::Path) -> Self {
        let dump = dir.join("kept.dump");
        let dumped = Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&dump)
            .arg(source)
            .status()
            .expect("pg_dump is installed");
        assert!(dumped.success());
        let admin = std::env::var("KEPT_TEST_POSTGRES_URL").unwrap();
        let name = format!("kept_restore_{}", std::process::id());
        let created = Command::new("psql")
            .args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
            .status()
            .unwrap();
        assert!(created.success());
        let (base, query) = admin.split_once('?').unwrap_or((admin.as_str(), ""));
        let base = base.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}?{query}");
        let restored = Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname", &url])
            .arg(&dump)
            .status()
            .unwrap();
        assert!(restored.success());
        Self::Postgres { admin, name, url }
    }

    fn url(&self) -> &str {
        match self {
            Self::Sqlite(url) | Self::Postgres { url, .. } => url,
        }
    }
}

impl Drop for RestoredDb {
    fn drop(&mut self) {
        if let Self::Postgres { admin, name, .. } = self {
            let drop_it = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = Command::new("psql")
                .args([admin.as_str(), "-qc", &drop_it])
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_writes_on_sqlite() {
    a_backup_under_writes_restores_every_acknowledged_event(Flavor::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_writes_on_postgres() {
    a_backup_under_writes_restores_every_acknowledged_event(Flavor::Postgres).await;
}
