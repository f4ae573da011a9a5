//! `kept-bench scheduler` and `kept-bench outbox`: the two costs of time-driven mail, measured
//! in-process against a real database and a real SMTP server.
//!
//! - scheduler: the cost of one scheduler tick that finds and fires 100 due reminders, with
//!   10⁴ and with 10⁶ reminders scheduled; the ratio shows the tick is O(due), not O(all).
//! - outbox: how fast the worker drains 2,000 queued mails through pooled SMTP connections,
//!   against a new connection per mail (aiosmtpd's discarding sink on loopback).

use chrono::{Duration as Span, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use kept_core::ManualClock;
use kept_notify::{Mailer, MailerOptions, OutboxWorker, WorkerOptions};
use kept_store::db::DatabaseUrl;
use kept_store::outbox::{Mail, To};
use kept_store::{PoolOptions, Store};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fresh database for one measurement: a SQLite file, or a new PostgreSQL database.
pub(crate) struct Scratch {
    url: String,
    admin: Option<String>,
    name: String,
    _dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new(postgres: Option<&str>, label: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("kept_bench_{label}_{}", std::process::id());
        let Some(admin) = postgres else {
            let url = format!("sqlite://{}", dir.path().join("kept.db").display());
            return Scratch {
                url,
                admin: None,
                name,
                _dir: dir,
            };
        };
        let mut conn = PgConnection::establish(admin).unwrap();
        // One statement per call: PostgreSQL runs a multi-statement batch as one transaction,
        // and CREATE DATABASE cannot run in one.
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, query) = admin.split_once('?').map_or((admin, ""), |(b, q)| (b, q));
        let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
        let url = if query.is_empty() {
            format!("{base}/{name}")
        } else {
            format!("{base}/{name}?{query}")
        };
        Scratch {
            url,
            admin: Some(admin.to_owned()),
            name,
            _dir: dir,
        }
    }

    pub(crate) fn store(&self, clock: &ManualClock) -> Store {
        let options = PoolOptions {
            max_size: 4,
            connect_timeout: Duration::from_secs(10),
        };
        Store::open(
            &DatabaseUrl::parse(&self.url).unwrap(),
            &options,
            Arc::new(clock.clone()),
        )
        .unwrap()
    }

    /// Runs SQL statements directly (bulk set-up the API has no call for).
    pub(crate) fn execute(&self, sql: &str) {
        match &self.admin {
            Some(_) => PgConnection::establish(&self.url)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                SqliteConnection::establish(path)
                    .unwrap()
                    .batch_execute(sql)
                    .unwrap()
            }
        }
    }

    /// `n` rows of a number series, in this backend's SQL.
    fn series(&self, n: usize) -> String {
        match self.admin {
            Some(_) => format!("(SELECT i FROM generate_series(1, {n}) AS i) AS n"),
            None => format!(
                "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
                 SELECT i FROM s) AS n"
            ),
        }
    }

    /// A timestamp literal typed for this backend (PostgreSQL will not take text for one).
    pub(crate) fn ts(&self, literal: &str) -> String {
        match self.admin {
            Some(_) => format!("TIMESTAMP '{literal}'"),
            None => format!("'{literal}'"),
        }
    }

    /// A UUID-shaped text id for row `i` of `kind`, in this backend's SQL.
    fn id(&self, kind: char) -> String {
        match self.admin {
            Some(_) => format!("md5('{kind}' || i)::uuid::text"),
            None => format!(
                "printf('%08x-0000-7000-8000-%012x', i, {})",
                u32::from(kind)
            ),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(admin) = &self.admin
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

pub(crate) fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

/// One tick with `due` of `total` reminders due: median over `rounds` of firing them.
fn tick_cost(
    postgres: Option<&str>,
    total: usize,
    due: usize,
    rounds: usize,
) -> (Duration, Duration) {
    let scratch = Scratch::new(postgres, &format!("tick{total}"));
    let clock = ManualClock::new(start_time());
    let store = scratch.store(&clock);
    let (user, space, reminder) = (scratch.id('u'), scratch.id('s'), scratch.id('r'));
    // `due` people in paired spaces whose check-in reminders are due; everyone else's far ahead.
    let people = due.max(2);
    let setup = format!(
        "INSERT INTO users (id, email, password_hash, display_name, time_zone, email_verified_at,
                            created_at, updated_at, check_in_times)
           SELECT {user}, 'p' || i || '@example.org', 'x', 'P', 'Europe/Berlin',
                  '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[\"09:00:00\"]'
           FROM {people_series};
         INSERT INTO spaces (id, name, state, created_by, last_seq, created_at)
           SELECT {space}, 'Us', 'paired', {user}, 0, '2026-01-01 00:00:00' FROM {people_series};
         INSERT INTO memberships (space_id, user_id, joined_at)
           SELECT {space}, {user}, '2026-01-01 00:00:00' FROM {people_series};
         INSERT INTO reminders (id, kind, user_id, space_id, subject_id, lead_minutes, next_fire_at, created_at)
           SELECT {reminder}, 'check_in', CASE WHEN i <= {due} THEN {user} ELSE NULL END, NULL,
                  {reminder}, 0,
                  CASE WHEN i <= {due} THEN {due_at} ELSE {later} END,
                  '2026-01-01 00:00:00'
           FROM {total_series};",
        people_series = scratch.series(people),
        total_series = scratch.series(total),
        due_at = scratch.ts("2026-03-02 07:59:00"),
        later = scratch.ts("2027-03-02 08:00:00"),
    );
    scratch.execute(&setup);
    if postgres.is_some() {
        scratch.execute("ANALYZE");
    }
    let rearm =
        "UPDATE reminders SET next_fire_at = '2026-03-02 07:59:00' WHERE user_id IS NOT NULL";
    let mut busy = Vec::new();
    let mut idle = Vec::new();
    for _ in 0..rounds {
        scratch.execute(rearm);
        let started = Instant::now();
        let report = store.fire_due_reminders(200).unwrap();
        busy.push(started.elapsed());
        assert_eq!(report.due, due, "every due reminder handled");
        let started = Instant::now();
        let report = store.fire_due_reminders(200).unwrap();
        idle.push(started.elapsed());
        assert_eq!(report.due, 0);
        clock.advance(Span::seconds(1));
    }
    busy.sort();
    idle.sort();
    (busy[busy.len() / 2], idle[idle.len() / 2])
}

pub fn scheduler(postgres: Option<&str>) {
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("kept-bench scheduler: {backend}, 100 due reminders, median of 15 ticks");
    let mut results = Vec::new();
    for total in [10_000, 1_000_000] {
        let started = Instant::now();
        let (busy, idle) = tick_cost(postgres, total, 100, 15);
        println!(
            "  {total:>9} scheduled: tick firing 100 = {:.2} ms, empty tick = {:.3} ms (set-up {:.1} s)",
            busy.as_secs_f64() * 1e3,
            idle.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64()
        );
        results.push((busy, idle));
    }
    let ratio = results[1].0.as_secs_f64() / results[0].0.as_secs_f64();
    let idle_ratio = results[1].1.as_secs_f64() / results[0].1.as_secs_f64();
    println!(
        "  ratio 10⁶ / 10⁴: firing {ratio:.2}, empty {idle_ratio:.2} (1.0 = independent of the total)"
    );
}

/// aiosmtpd's discarding sink on a free loopback port.
pub(crate) struct SinkServer {
    pub(crate) port: u16,
    child: Child,
}

impl SinkServer {
    pub(crate) fn start() -> SinkServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = std::env::var("KEPT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Sink"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (python3 -m pip install aiosmtpd)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        SinkServer { port, child }
    }
}

impl Drop for SinkServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Mails per second for draining `count` queued mails with SMTP `pool_size` (0: no pool).
pub(crate) async fn drain_rate(
    postgres: Option<&str>,
    smtp: u16,
    count: usize,
    pool_size: u32,
) -> f64 {
    let scratch = Scratch::new(postgres, &format!("outbox{pool_size}"));
    let clock = ManualClock::new(start_time());
    let store = scratch.store(&clock);
    for i in 0..count {
        let mail = Mail {
            dedupe_key: format!("bench:{i}"),
            template: "invite",
            kind: None,
            about: None,
            data: serde_json::json!({"inviter": "Ada", "link": format!("/join/{i}"), "expires_on": "2026-03-09"}),
        };
        store
            .enqueue_mail(To::Address(format!("p{i}@example.org")), mail)
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let options = MailerOptions {
        smtp_url: format!("smtp://127.0.0.1:{smtp}"),
        outbox_dir: dir.path().to_owned(),
        from: "Kept <kept@example.org>".into(),
        base_url: "https://kept.example".into(),
        pool_size,
        concurrency: 8,
        timeout: Duration::from_secs(30),
    };
    let mailer = Mailer::new(&options, Arc::new(|_, _| Ok(String::new()))).unwrap();
    let worker = OutboxWorker::new(store.clone(), mailer, WorkerOptions::default());
    let started = Instant::now();
    let mut sent = 0;
    while sent < count {
        let report = worker.round().await.unwrap();
        assert_eq!(report.failed + report.retrying, 0, "no send fails");
        sent += report.sent;
    }
    let elapsed = started.elapsed();
    assert_eq!(store.outbox_counts().unwrap().sent, count as i64);
    count as f64 / elapsed.as_secs_f64()
}

pub async fn outbox(postgres: Option<&str>) {
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    const MAILS: usize = 2_000;
    println!(
        "kept-bench outbox: {backend}, {MAILS} queued mails, worker batches of 32, aiosmtpd sink"
    );
    let sink = SinkServer::start();
    let pooled = drain_rate(postgres, sink.port, MAILS, 8).await;
    let single = drain_rate(postgres, sink.port, MAILS, 0).await;
    println!("  pool of 8 connections, 8 in flight:       {pooled:>7.0} mails/s");
    println!("  a new connection per mail, 8 in flight:   {single:>7.0} mails/s");
    println!("  ratio pooled / per-mail: {:.2}", pooled / single);
}
