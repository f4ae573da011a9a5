//! `kept-bench memory`: the server's resident set (SQLite, no allocator variable set) idle,
//! after 100 sign-ups, with 1,000 idle live sockets, and after they close; and the sign-up p50.

use crate::{Database, Server, make_pair, ms, percentile};
use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};

const SIGN_UPS: usize = 100;
const SOCKETS: usize = 1000;

pub async fn run() {
    println!("kept-bench memory: SQLite, {SIGN_UPS} sign-ups, {SOCKETS} idle sockets");
    let database = Database::new(None);
    let server = Server::start(&database).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.rss_kib();

    let client = reqwest::Client::new();
    let mut took = Vec::new();
    for i in 0..SIGN_UPS {
        let started = Instant::now();
        let response = client
            .post(format!("{}/api/v1/auth/register", server.base))
            .json(&json!({"email": format!("person{i}@bench.example"), "password": "benchmark password", "display_name": "P", "time_zone": "UTC"}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        took.push(started.elapsed());
    }
    took.sort();
    let just_after = server.rss_kib();
    // Hashing threads give their working memory back after a second without work.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_sign_ups = server.rss_kib();

    let pair = make_pair(client.clone(), server.base.clone(), 0).await;
    let mut sockets = Vec::new();
    for _ in 0..SOCKETS {
        let ticket: serde_json::Value = client
            .post(format!(
                "{}/api/v1/spaces/{}/live-ticket",
                server.base, pair.space
            ))
            .bearer_auth(&pair.b_token)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = format!(
            "ws://{}/api/v1/spaces/{}/live?ticket={}",
            server.base.trim_start_matches("http://"),
            pair.space,
            ticket["ticket"].as_str().unwrap()
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        // Read the replayed history so that the socket is idle, as one on a phone would be.
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_millis(20), socket.next()).await
        {}
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_sockets = server.rss_kib();
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_close = server.rss_kib();

    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    println!(
        "sign-up p50 {} p99 {}",
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99))
    );
    println!("RSS idle                        {}", mib(idle));
    println!(
        "RSS right after {SIGN_UPS} sign-ups     {}",
        mib(just_after)
    );
    println!(
        "RSS 2 s after {SIGN_UPS} sign-ups       {} (goal ≤ 40 MiB)",
        mib(after_sign_ups)
    );
    let before_sockets = after_sign_ups;
    println!(
        "RSS with {SOCKETS} idle sockets       {} ({:.1} KiB per socket; goal ≤ 8)",
        mib(with_sockets),
        (with_sockets.saturating_sub(before_sockets)) as f64 / SOCKETS as f64
    );
    println!(
        "RSS after they close           {} ({:+.1} % against before the sockets; goal within 10 %)",
        mib(after_close),
        (after_close as f64 / before_sockets as f64 - 1.0) * 100.0
    );
}
