//! Kept's benchmarks; each prints ratios measured in one run on this machine.
//!
//! `kept-bench scheduler|outbox [--postgres URL]`: see [`mail_bench`].
//!
//! `kept-bench push [--postgres URL]`: Web Push beside mail; see [`push_bench`].
//!
//! `kept-bench hints`: the writing hints on a 2,000-character letter; see [`hints_bench`].
//!
//! `kept-bench live`: starts the release `kept` binary (SQLite, or PostgreSQL with
//! `--postgres URL`), connects N pairs of partners over websockets, and measures
//! - push latency: from sending A's POST to B's socket receiving the event (p50/p99/max),
//!   against the plain POST round trip and a `/healthz` round trip measured in the same run;
//! - memory: the server's resident set before and after the sockets, per 1,000 sockets.
//!
//! With `--instances 2` (PostgreSQL), B's sockets are on a second instance sharing the
//! database, so every push crosses LISTEN/NOTIFY.
//!
//! Build first: `cargo build --release -p kept-api -p kept-bench`; then
//! `target/release/kept-bench live --pairs 1000 [--postgres postgres://postgres@127.0.0.1:5432/postgres [--instances 2]]`.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a benchmark reports on stdout and fails loudly

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

struct Options {
    pairs: usize,
    samples: usize,
    postgres: Option<String>,
    instances: usize,
}

fn parse_args() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: kept-bench live [--pairs N] [--samples N] [--postgres URL [--instances 2]] \
                 | kept-bench scheduler [--postgres URL] | kept-bench outbox [--postgres URL] \
                 | kept-bench push [--postgres URL]";
    assert_eq!(args.first().map(String::as_str), Some("live"), "{usage}");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let options = Options {
        pairs: value("--pairs").map_or(1000, |v| v.parse().expect("--pairs N")),
        samples: value("--samples").map_or(2000, |v| v.parse().expect("--samples N")),
        postgres: value("--postgres"),
        instances: value("--instances").map_or(1, |v| v.parse().expect("--instances 1|2")),
    };
    assert!(
        options.instances == 1 || (options.instances == 2 && options.postgres.is_some()),
        "{usage}"
    );
    options
}

/// The database of the run: a fresh PostgreSQL database (dropped at the end) or a SQLite file.
struct Database {
    url: String,
    admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Database {
    fn create(options: &Options) -> Self {
        Self::new(options.postgres.clone())
    }

    fn new(postgres: Option<String>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let Some(admin) = postgres else {
            let url = format!("sqlite://{}", dir.path().join("kept.db").display());
            return Self {
                url,
                admin: None,
                _dir: dir,
            };
        };
        let name = format!("kept_bench_{}", std::process::id());
        psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let (server, _) = admin.rsplit_once('/').unwrap();
        Self {
            url: format!("{server}/{name}"),
            admin: Some((admin, name)),
            _dir: dir,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.admin {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn psql(admin: &str, sql: &str) {
    let ok = Command::new("psql")
        .arg(admin)
        .arg("-qc")
        .arg(sql)
        .status()
        .expect("psql")
        .success();
    assert!(ok, "psql failed: {sql}");
}

/// One `kept` process, stopped on drop.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(database: &Database) -> Self {
        Self::start_with(&database.url, &[]).await
    }

    /// Starts `kept` on `url` (the database's, or a proxy in front of it) with extra settings;
    /// its log goes nowhere when the settings choose the log filter (a log-cost measurement).
    async fn start_with(url: &str, settings: &[(&str, &str)]) -> Self {
        let quiet = settings.iter().any(|(key, _)| *key == "KEPT__LOG__FILTER");
        let dir = tempfile::tempdir().unwrap();
        let kept = std::env::current_exe().unwrap().with_file_name("kept");
        assert!(
            kept.exists(),
            "build the server first: cargo build --release -p kept-api"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(kept)
            .current_dir(dir.path())
            .env("KEPT__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("KEPT__DATABASE__URL", url)
            .env("KEPT__DATABASE__POOL_SIZE", "16")
            .env(
                "KEPT__AUTH__JWT_SECRET",
                "benchmark-signing-key-shared-by-every-instance",
            )
            .env("KEPT__LIMITS__REGISTER_PER_MINUTE", "1000000")
            .env("KEPT__LIMITS__LOGIN_PER_MINUTE", "1000000")
            .env("KEPT__LIMITS__INVITE_ACCEPT_PER_MINUTE", "1000000")
            .env("KEPT__LOG__FILTER", "error")
            // As in the production image (Dockerfile): argon2's buffers go back to the system.
            .stdout(Stdio::null())
            .stderr(if quiet {
                Stdio::null()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("start kept");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/readyz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("kept did not become ready");
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

struct Pair {
    space: String,
    a_token: String,
    b_token: String,
}

async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

async fn make_pair(client: reqwest::Client, base: String, i: usize) -> Pair {
    let register = |who: &str| json!({"email": format!("{who}{i}@bench.example"), "password": "benchmark password", "display_name": who, "time_zone": "UTC"});
    let a = post(
        &client,
        format!("{base}/api/v1/auth/register"),
        None,
        register("a"),
    )
    .await;
    let b = post(
        &client,
        format!("{base}/api/v1/auth/register"),
        None,
        register("b"),
    )
    .await;
    let token = |v: &Value| v["access_token"].as_str().unwrap().to_owned();
    let (a_token, b_token) = (token(&a), token(&b));
    let space = post(
        &client,
        format!("{base}/api/v1/spaces"),
        Some(&a_token),
        json!({"name": "bench"}),
    )
    .await;
    let space = space["id"].as_str().unwrap().to_owned();
    let invite = post(
        &client,
        format!("{base}/api/v1/spaces/{space}/invites"),
        Some(&a_token),
        json!({}),
    )
    .await;
    let code = invite["code"].as_str().unwrap();
    let accepted = client
        .post(format!("{base}/api/v1/invites/{code}/accept"))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap();
    assert!(accepted.status().is_success());
    Pair {
        space,
        a_token,
        b_token,
    }
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Opens a socket and reads it until the run ends; B's sockets note when each text arrives.
async fn open_socket(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    space: &str,
    arrivals: Option<(Arrivals, mpsc::UnboundedSender<()>)>,
) {
    let ticket = post(
        client,
        format!("{base}/api/v1/spaces/{space}/live-ticket"),
        Some(token),
        json!({}),
    )
    .await;
    let ticket = ticket["ticket"].as_str().unwrap();
    let url = format!(
        "ws://{}/api/v1/spaces/{space}/live?ticket={ticket}&after=3",
        base.trim_start_matches("http://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            if let (Message::Text(text), Some((arrivals, notify))) = (message, &arrivals) {
                let at = Instant::now();
                let event: Value = serde_json::from_str(&text).unwrap();
                if let Some(marker) = event["payload"]["text"].as_str() {
                    arrivals.lock().await.insert(marker.to_owned(), at);
                    let _ = notify.send(());
                }
            }
        }
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

mod hints_bench;
mod mail_bench;
mod memory_bench;
mod post_bench;
mod push_bench;
mod wire_count;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args
        .iter()
        .position(|a| a == "--postgres")
        .and_then(|i| args.get(i + 1))
        .cloned();
    match args.first().map(String::as_str) {
        Some("scheduler") => {
            tokio::task::spawn_blocking(move || mail_bench::scheduler(postgres.as_deref()))
                .await
                .unwrap()
        }
        Some("outbox") => mail_bench::outbox(postgres.as_deref()).await,
        Some("push") => push_bench::run(postgres.as_deref()).await,
        Some("post") => post_bench::run(postgres).await,
        Some("memory") => memory_bench::run().await,
        Some("hints") => hints_bench::run(),
        _ => live().await,
    }
}

async fn live() {
    let options = parse_args();
    let backend = if options.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "kept-bench live: {} pairs ({} sockets), {} samples, {backend}, {} instance(s)",
        options.pairs,
        options.pairs * 2,
        options.samples,
        options.instances
    );
    let database = Database::create(&options);
    let first = Server::start(&database).await;
    let second = if options.instances == 2 {
        Some(Server::start(&database).await)
    } else {
        None
    };
    let partners_server = second.as_ref().unwrap_or(&first);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();

    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(8));
    let setups = (0..options.pairs).map(|i| {
        let (client, base, gate) = (client.clone(), first.base.clone(), Arc::clone(&gate));
        tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            make_pair(client, base, i).await
        })
    });
    let pairs: Vec<Pair> = futures_util::future::join_all(setups)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    println!(
        "set-up: {} pairs registered and paired in {:.1} s",
        pairs.len(),
        started.elapsed().as_secs_f64()
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = partners_server.rss_kib();
    let arrivals: Arrivals = Arc::new(Mutex::new(HashMap::new()));
    let (notify, mut notified) = mpsc::unbounded_channel();
    for pair in &pairs {
        open_socket(
            &client,
            &partners_server.base,
            &pair.a_token,
            &pair.space,
            None,
        )
        .await;
        let reader = Some((Arc::clone(&arrivals), notify.clone()));
        open_socket(
            &client,
            &partners_server.base,
            &pair.b_token,
            &pair.space,
            reader,
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = partners_server.rss_kib();
    let sockets = pairs.len() * 2;
    let per_thousand = rss_after.saturating_sub(rss_before) as f64 * 1000.0 / sockets as f64;

    // Baseline: the cheapest round trip this server answers, in the same run.
    let mut health = Vec::new();
    for _ in 0..options.samples.min(1000) {
        let t0 = Instant::now();
        client
            .get(format!("{}/healthz", first.base))
            .send()
            .await
            .unwrap();
        health.push(t0.elapsed());
    }

    // One event at a time, each to a different pair: the time a partner waits to see it.
    let mut push = Vec::with_capacity(options.samples);
    let mut post_rtt = Vec::with_capacity(options.samples);
    for i in 0..options.samples {
        let pair = &pairs[i % pairs.len()];
        let marker = format!("bench {i}");
        let t0 = Instant::now();
        let url = format!("{}/api/v1/spaces/{}/check-ins", first.base, pair.space);
        post(&client, url, Some(&pair.a_token), json!({"text": marker})).await;
        post_rtt.push(t0.elapsed());
        let arrived = loop {
            if let Some(at) = arrivals.lock().await.get(&marker).copied() {
                break at;
            }
            tokio::time::timeout(Duration::from_secs(10), notified.recv())
                .await
                .expect("the event reaches the partner");
        };
        push.push(arrived.saturating_duration_since(t0));
    }
    for series in [&mut push, &mut post_rtt, &mut health] {
        series.sort();
    }
    let (p50, p99) = (percentile(&push, 0.50), percentile(&push, 0.99));
    let (post50, health50) = (percentile(&post_rtt, 0.50), percentile(&health, 0.50));
    println!(
        "push latency, POST sent -> partner's socket: p50 {}  p99 {}  max {}",
        ms(p50),
        ms(p99),
        ms(*push.last().unwrap())
    );
    println!(
        "POST round trip:                           p50 {}  p99 {}",
        ms(post50),
        ms(percentile(&post_rtt, 0.99))
    );
    println!(
        "GET /healthz round trip (baseline):        p50 {}",
        ms(health50)
    );
    println!(
        "ratio push p50 / POST p50:    {:.2}",
        p50.as_secs_f64() / post50.as_secs_f64()
    );
    println!(
        "ratio push p50 / healthz p50: {:.2}",
        p50.as_secs_f64() / health50.as_secs_f64()
    );
    println!(
        "memory: server RSS {:.1} MiB before sockets, {:.1} MiB with {sockets} idle sockets: {:.0} KiB per 1,000 sockets",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        per_thousand
    );
    drop((second, first));
}
