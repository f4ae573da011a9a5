//! `kept-bench push`: what Web Push costs beside mail, measured in one run.
//!
//! - The work per push done in-process: encrypting a payload to a device (RFC 8291) and signing
//!   the VAPID token (RFC 8292), p50 over 2,000.
//! - How fast the outbox worker drains 2,000 queued pushes to a push service on loopback (a
//!   minimal HTTP/1.1 server that answers 201, so the sender's side is what is measured),
//!   against 2,000 mails drained into aiosmtpd through a pool of 8 connections.

use crate::mail_bench::{Scratch, SinkServer, drain_rate, start_time};
use kept_core::ManualClock;
use kept_core::mail::MailKind;
use kept_core::push::base64url;
use kept_notify::web_push::{encrypt, random_key, vapid_authorization};
use kept_notify::{Mailer, MailerOptions, OutboxWorker, PushOptions, Pusher, WorkerOptions};
use kept_store::outbox::{Mail, To};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PUSHES: usize = 2_000;

/// A push service that reads each request whole and answers 201, on keep-alive connections.
async fn push_service() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: headers to the blank line, then Content-Length bytes.
                    let head_end = loop {
                        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|line| line.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < head_end + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buffer.drain(..head_end + length);
                    let answer = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A device key pair's public half and an auth secret, as a browser would give them.
fn device() -> (Vec<u8>, Vec<u8>) {
    let key = random_key().unwrap();
    let public = key.public_key().to_encoded_point(false).as_bytes().to_vec();
    (public, vec![7u8; 16])
}

/// p50 of encrypting one payload, and of signing one VAPID token, in microseconds.
fn crypto_cost() -> (f64, f64) {
    let (public, auth) = device();
    let server = random_key().unwrap();
    let der = server.to_pkcs8_der().unwrap();
    let server_public = base64url(server.public_key().to_encoded_point(false).as_bytes());
    let payload = br#"{"kind":"activity","link":"/spaces/019c0000-0000-7000-8000-000000000000/talks/019c0000-0000-7000-8000-000000000001"}"#;
    let p50 = |work: &dyn Fn()| {
        let mut samples: Vec<f64> = (0..PUSHES)
            .map(|_| {
                let started = Instant::now();
                work();
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    let encrypting = p50(&|| {
        encrypt(payload, &public, &auth).unwrap();
    });
    let signing = p50(&|| {
        vapid_authorization(
            der.as_bytes(),
            &server_public,
            "https://push.example",
            "mailto:kept@example.org",
            chrono::Utc::now(),
        )
        .unwrap();
    });
    (encrypting, signing)
}

/// Pushes per second for draining `PUSHES` queued pushes to the service on `port`.
async fn push_drain_rate(postgres: Option<&str>, port: u16) -> f64 {
    let scratch = Scratch::new(postgres, "push");
    let clock = ManualClock::new(start_time());
    let store = scratch.store(&clock);
    // One person (unverified, so only pushes are written) with one device.
    let (public, auth) = device();
    let user = "019c0000-0000-7000-8000-0000000000aa";
    scratch.execute(&format!(
        "INSERT INTO users (id, email, password_hash, display_name, time_zone, created_at, updated_at, check_in_times)
           VALUES ('{user}', 'p@example.org', 'x', 'P', 'Europe/Berlin', {now}, {now}, '[]');
         INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, label, kinds, created_at)
           VALUES ('019c0000-0000-7000-8000-0000000000bb', '{user}', 'http://127.0.0.1:{port}/push/1',
                   '{p256dh}', '{auth}', 'Phone', '{{\"reminders\":true,\"activity\":true,\"weekly\":true}}', {now});",
        now = scratch.ts("2026-01-01 00:00:00"),
        p256dh = base64url(&public),
        auth = base64url(&auth),
    ));
    for i in 0..PUSHES {
        let mail = Mail {
            dedupe_key: format!("bench:{i}"),
            template: "activity",
            kind: Some(MailKind::Activity),
            about: None,
            data: serde_json::json!({"link": format!("/spaces/s/talks/{i}")}),
        };
        store
            .enqueue_mail(To::User(user.parse().unwrap()), mail)
            .unwrap();
    }
    assert_eq!(store.outbox_counts().unwrap().pending, PUSHES as i64);
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::new(
        &MailerOptions {
            smtp_url: String::new(),
            outbox_dir: dir.path().to_owned(),
            from: "Kept <kept@example.org>".into(),
            base_url: "https://kept.example".into(),
            pool_size: 0,
            concurrency: 8,
            timeout: Duration::from_secs(30),
        },
        Arc::new(|_, _| Ok(String::new())),
    )
    .unwrap();
    let server = random_key().unwrap();
    let pusher = Pusher::new(PushOptions {
        vapid_der: server.to_pkcs8_der().unwrap().as_bytes().to_vec(),
        vapid_public: base64url(server.public_key().to_encoded_point(false).as_bytes()),
        subject: "mailto:kept@example.org".into(),
        allow_private: true,
        timeout: Duration::from_secs(30),
    })
    .unwrap();
    let worker =
        OutboxWorker::new(store.clone(), mailer, WorkerOptions::default()).with_pusher(pusher);
    let started = Instant::now();
    let mut sent = 0;
    while sent < PUSHES {
        let report = worker.round().await.unwrap();
        assert_eq!(
            report.failed + report.retrying + report.gone,
            0,
            "no push fails"
        );
        sent += report.sent;
    }
    let elapsed = started.elapsed();
    assert_eq!(store.outbox_counts().unwrap().sent, PUSHES as i64);
    PUSHES as f64 / elapsed.as_secs_f64()
}

pub async fn run(postgres: Option<&str>) {
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("kept-bench push: {backend}, {PUSHES} queued pushes and as many mails, batches of 32");
    let (encrypting, signing) = crypto_cost();
    println!("  encrypting one push (p50):                  {encrypting:>7.1} µs");
    println!("  signing one VAPID token (p50):              {signing:>7.1} µs");
    let port = push_service().await;
    let pushes = push_drain_rate(postgres, port).await;
    let sink = SinkServer::start();
    let mails = drain_rate(postgres, sink.port, PUSHES, 8).await;
    println!("  pushes drained to a loopback push service:  {pushes:>7.0} pushes/s");
    println!("  mails drained into aiosmtpd, pool of 8:     {mails:>7.0} mails/s");
    println!("  ratio pushes / mails: {:.2}", pushes / mails);
}
