//! `kept-bench post [--postgres URL]`: check-in POSTs from 50 pairs under concurrency.
//!
//! - SQLite: throughput, p50 and p99 at c = 1, 4 and 16 (writers take turns inside Kept);
//!   and the per-request log line's cost: throughput at c = 16 with `log.filter = "info"`
//!   against `"warn"`, servers interleaved.
//! - PostgreSQL: POST/s at c = 16 against `pgbench` running a one-INSERT script into an
//!   event-shaped table of the same database with the same concurrency (rounds interleaved),
//!   p50/p99 of both; and the SQL round trips per POST, counted by a proxy in front of the
//!   server (`wire_count`).

use crate::wire_count::WireCount;
use crate::{Database, Pair, Server, make_pair, ms, percentile};
use serde_json::json;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PAIRS: usize = 50;
const ROUND: Duration = Duration::from_secs(5);

pub async fn run(postgres: Option<String>) {
    match postgres {
        Some(admin) => on_postgres(admin).await,
        None => on_sqlite().await,
    }
}

/// What one round of POSTs did.
struct Round {
    posts: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Round {
    fn per_second(&self) -> f64 {
        self.posts as f64 / self.elapsed.as_secs_f64()
    }
}

async fn make_pairs(base: &str) -> Arc<Vec<Pair>> {
    let client = reqwest::Client::new();
    let mut made = Vec::new();
    for i in 0..PAIRS {
        made.push(make_pair(client.clone(), base.to_owned(), i).await);
    }
    Arc::new(made)
}

/// `concurrency` clients post check-ins for `length`, each to the next pair in turn.
async fn round(base: &str, pairs: &Arc<Vec<Pair>>, concurrency: usize, length: Duration) -> Round {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + length;
    let mut clients = Vec::new();
    for _ in 0..concurrency {
        let (client, base, pairs, next) = (
            client.clone(),
            base.to_owned(),
            Arc::clone(pairs),
            Arc::clone(&next),
        );
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let pair = &pairs[next.fetch_add(1, Ordering::Relaxed) % pairs.len()];
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/spaces/{}/check-ins", pair.space))
                    .bearer_auth(&pair.a_token)
                    .json(&json!({"text": "benchmark check-in", "mood": "calm"}))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for each in clients {
        latencies.extend(each.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Round {
        posts: latencies.len(),
        latencies,
        elapsed,
    }
}

fn describe(round: &Round) -> String {
    format!(
        "{:>7.0} POST/s  p50 {}  p99 {}",
        round.per_second(),
        ms(percentile(&round.latencies, 0.5)),
        ms(percentile(&round.latencies, 0.99))
    )
}

async fn on_sqlite() {
    println!("kept-bench post: SQLite, {PAIRS} pairs, rounds of {ROUND:?}");
    let database = Database::new(None);
    let server = Server::start(&database).await;
    let pairs = make_pairs(&server.base).await;
    round(&server.base, &pairs, 4, Duration::from_secs(1)).await; // warm-up
    let mut p99 = Vec::new();
    for concurrency in [1, 4, 16] {
        let measured = round(&server.base, &pairs, concurrency, ROUND).await;
        println!("c={concurrency:<2} {}", describe(&measured));
        p99.push(percentile(&measured.latencies, 0.99));
    }
    println!(
        "p99 at c=16 / p99 at c=1: {:.2} (goal ≤ 3)",
        p99[2].as_secs_f64() / p99[0].as_secs_f64()
    );
    drop(server);

    println!("the per-request log line: c=16, servers with log.filter info and warn, interleaved");
    let (mut info, mut warn) = (0.0, 0.0);
    for _ in 0..2 {
        for (filter, total) in [("info", &mut info), ("warn", &mut warn)] {
            let database = Database::new(None);
            let server = Server::start_with(&database.url, &[("KEPT__LOG__FILTER", filter)]).await;
            let pairs = make_pairs(&server.base).await;
            round(&server.base, &pairs, 16, Duration::from_secs(1)).await;
            let measured = round(&server.base, &pairs, 16, ROUND).await;
            println!("  {filter:<4} {}", describe(&measured));
            *total += measured.per_second();
        }
    }
    println!("throughput info / warn: {:.2} (goal ≥ 0.95)", info / warn);
}

async fn on_postgres(admin: String) {
    println!(
        "kept-bench post: PostgreSQL, {PAIRS} pairs, c=16, rounds of {ROUND:?} interleaved with pgbench"
    );
    let database = Database::new(Some(admin));
    let server = Server::start(&database).await;
    let pairs = make_pairs(&server.base).await;
    round(&server.base, &pairs, 16, Duration::from_secs(1)).await;
    let pgbench = Pgbench::prepare(&database.url);
    let (mut kept_rates, mut pg_rates) = (Vec::new(), Vec::new());
    let (mut kept_latencies, mut pg_latencies) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let measured = round(&server.base, &pairs, 16, ROUND).await;
        println!("  kept    {}", describe(&measured));
        kept_rates.push(measured.per_second());
        kept_latencies.extend(measured.latencies);
        let (tps, latencies) = pgbench.run(16, ROUND);
        println!(
            "  pgbench {tps:>7.0} TPS     p50 {}  p99 {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99))
        );
        pg_rates.push(tps);
        pg_latencies.extend(latencies);
    }
    kept_latencies.sort();
    pg_latencies.sort();
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (kept, pg) = (median(&mut kept_rates), median(&mut pg_rates));
    println!(
        "POST/s ÷ pgbench TPS (medians): {kept:.0} / {pg:.0} = {:.2} (goal ≥ 0.35)",
        kept / pg
    );
    println!(
        "p50/p99 over all rounds: kept {} / {}, pgbench {} / {}",
        ms(percentile(&kept_latencies, 0.5)),
        ms(percentile(&kept_latencies, 0.99)),
        ms(percentile(&pg_latencies, 0.5)),
        ms(percentile(&pg_latencies, 0.99))
    );
    drop(server);

    // Round trips: a server whose every connection passes the counting proxy.
    let upstream = database.url.split('@').nth(1).unwrap();
    let upstream = upstream.split('/').next().unwrap().to_owned();
    let proxy = WireCount::start(upstream.clone()).await;
    let proxied = database
        .url
        .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
    let proxied = if proxied.contains('?') {
        format!("{proxied}&sslmode=disable")
    } else {
        format!("{proxied}?sslmode=disable")
    };
    let server = Server::start_with(&proxied, &[]).await;
    let client = reqwest::Client::new();
    let token = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": "a0@bench.example", "password": "benchmark password"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let pair = Pair {
        space: pairs[0].space.clone(),
        a_token: token,
        b_token: String::new(),
    };
    let one = Arc::new(vec![pair]);
    round(&server.base, &one, 1, Duration::from_millis(500)).await;
    let before = proxy.round_trips();
    let measured = round(&server.base, &one, 1, Duration::from_secs(2)).await;
    let trips = proxy.round_trips() - before;
    println!(
        "SQL round trips per check-in POST: {:.2} ({trips} over {} POSTs; goal ≤ 6)",
        trips as f64 / measured.posts as f64,
        measured.posts
    );
}

/// `pgbench` with one INSERT into a table shaped like `events`, in the benchmark's database.
struct Pgbench {
    url: String,
    dir: tempfile::TempDir,
}

impl Pgbench {
    fn prepare(url: &str) -> Self {
        let url = url.split('?').next().unwrap().to_owned();
        let setup = "CREATE TABLE bench_events (space_id TEXT NOT NULL, seq BIGINT NOT NULL, \
             id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, actor_id TEXT, audience TEXT, \
             payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (space_id, seq)); \
             CREATE SEQUENCE bench_seq;";
        crate::psql(&url, setup);
        let dir = tempfile::tempdir().unwrap();
        let script = "\\set space random(1, 50)\n\
             INSERT INTO bench_events VALUES ('space' || :space, nextval('bench_seq'), \
             'event' || currval('bench_seq'), 'check_in.created', 'actor', NULL, \
             '{\"text\": \"benchmark check-in\", \"mood\": \"calm\"}', now());\n";
        std::fs::write(dir.path().join("insert.sql"), script).unwrap();
        Self { url, dir }
    }

    /// TPS (excluding connection set-up) and every transaction's latency.
    fn run(&self, clients: usize, length: Duration) -> (f64, Vec<Duration>) {
        let logs = self.dir.path().join("log");
        let _ = std::fs::remove_dir_all(&logs);
        std::fs::create_dir_all(&logs).unwrap();
        let output = Command::new("pgbench")
            .args(["-n", "-c", &clients.to_string(), "-j", "2"])
            .args(["-T", &length.as_secs().to_string()])
            .arg("-f")
            .arg(self.dir.path().join("insert.sql"))
            .arg("-l")
            .arg(format!("--log-prefix={}", logs.join("tx").display()))
            .arg(&self.url)
            .output()
            .expect("pgbench");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "pgbench failed: {report}");
        let tps = report
            .lines()
            .find(|line| line.starts_with("tps = "))
            .and_then(|line| line.split_whitespace().nth(2))
            .and_then(|value| value.parse().ok())
            .expect("a tps line");
        let mut latencies = Vec::new();
        for file in std::fs::read_dir(&logs).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some(micros) = line.split_whitespace().nth(2) {
                    latencies.push(Duration::from_micros(micros.parse().unwrap()));
                }
            }
        }
        latencies.sort();
        (tps, latencies)
    }
}
