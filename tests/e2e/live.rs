//! Live push over websockets: what a partner's open app receives, in order, without gaps or
//! duplicates, and what happens to sockets that stop reading, leave, or outlive the server.

use chrono::Duration as ChronoDuration;
use futures_util::StreamExt;
use kept_tests::{
    Flavor, Person, TestApp, expect_json, on_both_databases, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

async fn check_in(app: &TestApp, person: &Person, space: &str, text: &str) -> Value {
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/check-ins"),
            &person.access,
            json!({"text": text}),
        )
        .await;
    expect_json(response, StatusCode::CREATED).await
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

/// Until `condition` holds, polling; fails after five seconds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..250 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

async fn the_partner_receives_at_once_and_resumes_by_seq(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;

    // A fresh stream replays the history first, in order.
    let mut bens_phone = app.live(&ben, &space, 0).await;
    let history = bens_phone.events(3, SOON).await;
    assert_eq!(seqs(&history), [1, 2, 3]);
    let timeline = app.events(&ben, &space).await;
    assert_eq!(
        history, timeline,
        "each frame is the same JSON as an item of GET …/events"
    );
    let mut bens_laptop = app.live(&ben, &space, 3).await;
    let mut adas = app.live(&ada, &space, 3).await;

    let created = check_in(&app, &ada, &space, "Slept badly, but I'm here.").await;
    for socket in [&mut bens_phone, &mut bens_laptop, &mut adas] {
        let event = socket.next_event(SOON).await;
        assert_eq!(
            (event["seq"].as_i64(), event["kind"].as_str()),
            (Some(4), Some("check_in.created"))
        );
        assert_eq!(event["payload"]["check_in_id"], created["id"]);
        assert_eq!(event["actor_id"], ada.id.as_str());
    }

    // The laptop sleeps through two events and resumes where it stopped.
    bens_laptop.close().await;
    check_in(&app, &ada, &space, "Lunch with my sister went well.").await;
    check_in(&app, &ben, &space, "Thinking of you.").await;
    assert_eq!(seqs(&bens_phone.events(2, SOON).await), [5, 6]);
    let mut bens_laptop = app.live(&ben, &space, 4).await;
    assert_eq!(
        seqs(&bens_laptop.events(2, SOON).await),
        [5, 6],
        "exactly the missed events"
    );
    bens_laptop.expect_silence(Duration::from_millis(200)).await;
    check_in(&app, &ada, &space, "Home at six.").await;
    assert_eq!(bens_laptop.next_event(SOON).await["seq"], 7);
}

async fn bad_tickets_and_outsiders_are_refused_before_the_upgrade(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let cleo = app.register("cleo@example.org", "Cleo").await;
    let cleos = app.create_space(&cleo, "Cleo's").await;

    let refused = app
        .live_with_ticket(&space, "no-such-ticket", 0)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_ticket"))
    );
    let url = app.url(&format!("/api/v1/spaces/{space}/live"));
    let response = app
        .client
        .get(url)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let ticket = app.live_ticket(&ada, &space).await;
    app.live_with_ticket(&space, &ticket, 0)
        .await
        .unwrap()
        .close()
        .await;
    let reused = app.live_with_ticket(&space, &ticket, 0).await.unwrap_err();
    assert_eq!(reused.problem["code"], "invalid_ticket", "single use");

    let for_cleos_space = app.live_ticket(&cleo, &cleos).await;
    let elsewhere = app
        .live_with_ticket(&space, &for_cleos_space, 0)
        .await
        .unwrap_err();
    assert_eq!(
        elsewhere.problem["code"], "invalid_ticket",
        "a ticket opens only its own space"
    );

    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/live-ticket"),
            &cleo.access,
            json!({}),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "outsiders get no ticket"
    );

    let mut ada = ada;
    let stale = app.live_ticket(&ada, &space).await;
    app.advance(ChronoDuration::seconds(61), &mut [&mut ada])
        .await;
    let expired = app.live_with_ticket(&space, &stale, 0).await.unwrap_err();
    assert_eq!(
        expired.problem["code"], "invalid_ticket",
        "tickets live one minute"
    );

    let bens = app.live_ticket(&ben, &space).await;
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/leave"),
            &ben.access,
            json!({"mode": "normal"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let left = app.live_with_ticket(&space, &bens, 0).await.unwrap_err();
    assert_eq!(
        (left.status, left.problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

async fn a_slow_consumer_is_cut_off_while_the_partner_keeps_receiving(flavor: Flavor) {
    let Some(app) = spawn_app_with(flavor, &[("KEPT__LIVE__SEND_TIMEOUT_MILLIS", "300")]).await
    else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let stalled = app.live_not_reading(&ada, &space).await;
    let mut reader = app.live(&ben, &space, 3).await;
    eventually("both sessions registered", || app.hub.subscriptions() == 2).await;

    let store = app.store.clone();
    let (author, space_id) = (ada.id.parse().unwrap(), space.parse().unwrap());
    let writer = tokio::task::spawn_blocking(move || {
        let text = "All the things I want you to know today. ".repeat(45);
        // ~6.6 MB: more than loopback's socket buffers (up to 4 MiB each way) can absorb.
        for _ in 0..3000 {
            let check_in = kept_core::check_in::NewCheckIn::parse(&text, None).unwrap();
            store.create_check_in(author, space_id, check_in).unwrap();
        }
    });
    let received = reader.events(3000, SOON).await;
    assert_eq!(
        seqs(&received),
        (4..=3003).collect::<Vec<_>>(),
        "the reading partner got every event, in order"
    );
    writer.await.unwrap();
    eventually("the stalled session is cut off", || {
        app.hub.subscriptions() == 1
    })
    .await;
    drop(stalled);
}

async fn a_silent_peer_is_dropped_and_a_live_one_kept(flavor: Flavor) {
    let settings = [
        ("KEPT__LIVE__PING_INTERVAL_MILLIS", "100"),
        ("KEPT__LIVE__IDLE_TIMEOUT_MILLIS", "400"),
    ];
    let Some(app) = spawn_app_with(flavor, &settings).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let silent = app.live_not_reading(&ada, &space).await;
    let mut alive = app.live(&ben, &space, 3).await;
    alive.expect_silence(Duration::from_millis(800)).await; // reading answers the pings
    eventually("the silent peer is dropped", || {
        app.hub.subscriptions() == 1
    })
    .await;
    check_in(&app, &ada, &space, "Still here.").await;
    assert_eq!(alive.next_event(SOON).await["seq"], 4);
    drop(silent);
}

async fn a_thousand_sessions_leave_nothing_behind(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, _ben, space) = app.paired_space().await;
    // At most 16 openings in flight: all at once, a loaded machine's server could not read
    // every request head within its client timeout (408), which says nothing about sessions.
    let sockets: Vec<_> = futures_util::stream::iter(0..1000)
        .map(|_| app.live(&ada, &space, 4))
        .buffer_unordered(16)
        .collect()
        .await;
    eventually("1,000 sessions registered", || {
        app.hub.subscriptions() == 1000
    })
    .await;
    drop(sockets);
    eventually("every session deregistered", || {
        app.hub.subscriptions() == 0 && app.hub.spaces() == 0
    })
    .await;
}

async fn leaving_closes_the_leavers_streams_and_tells_the_partner_only_what_it_may(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let mut adas = app.live(&ada, &space, 3).await;
    let mut bens = app.live(&ben, &space, 3).await;
    app.post(
        &format!("/api/v1/spaces/{space}/leave"),
        &ben.access,
        json!({"mode": "normal"}),
    )
    .await;
    let told = adas.next_event(SOON).await;
    assert_eq!(
        (told["kind"].as_str(), &told["payload"]),
        (Some("member.left"), &json!({"user_id": ben.id}))
    );
    assert_eq!(bens.expect_close(SOON).await.0, 4403);

    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let mut adas = app.live(&ada, &space, 3).await;
    let mut bens = app.live(&ben, &space, 3).await;
    app.post(
        &format!("/api/v1/spaces/{space}/leave"),
        &ben.access,
        json!({"mode": "safety"}),
    )
    .await;
    let told = adas.next_event(SOON).await;
    assert_eq!(
        (told["kind"].as_str(), &told["payload"], &told["actor_id"]),
        (Some("space.closed"), &json!({}), &Value::Null)
    );
    assert_eq!(
        bens.expect_close(SOON).await.0,
        4401,
        "signed out everywhere, the stream too"
    );
    adas.expect_silence(Duration::from_millis(200)).await;
}

/// Found by an outside test: signing out everywhere left the caller's open streams open until
/// their next heartbeat (15 s). They close at once, with 4401, on every instance; the
/// partner's stream stays open and hears nothing.
async fn signing_out_everywhere_closes_the_callers_streams_at_once(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    // SQLite serves one instance; on PostgreSQL the second device is on another instance.
    let other = (flavor == Flavor::Postgres).then(|| app.another_instance());
    let (ada, ben, space) = app.paired_space().await;
    let mut phone = app.live(&ada, &space, 3).await;
    let mut laptop = other.as_ref().unwrap_or(&app).live(&ada, &space, 3).await;
    let mut bens = app.live(&ben, &space, 3).await;

    let response = app.logout_everywhere(&ada.access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // Well inside the 15 s heartbeat: the logout itself closed them.
    assert_eq!(phone.expect_close(SOON).await.0, 4401);
    assert_eq!(laptop.expect_close(SOON).await.0, 4401);
    bens.expect_silence(Duration::from_millis(300)).await;
    check_in(&app, &ben, &space, "still here").await;
    assert_eq!(bens.next_event(SOON).await["kind"], "check_in.created");
}

async fn shutdown_closes_streams_with_going_away(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, _ben, space) = app.paired_space().await;
    let mut socket = app.live(&ada, &space, 3).await;
    let shutdown = app.shutdown.clone();
    let stopping = tokio::spawn(async move { shutdown.stop().await });
    assert_eq!(socket.expect_close(SOON).await.0, 1001);
    stopping.await.unwrap();
    let after = app.client.get(app.url("/healthz")).send().await;
    assert!(after.is_err(), "the server stopped");
}

on_both_databases!(
    the_partner_receives_at_once_and_resumes_by_seq,
    bad_tickets_and_outsiders_are_refused_before_the_upgrade,
    a_slow_consumer_is_cut_off_while_the_partner_keeps_receiving,
    a_silent_peer_is_dropped_and_a_live_one_kept,
    a_thousand_sessions_leave_nothing_behind,
    leaving_closes_the_leavers_streams_and_tells_the_partner_only_what_it_may,
    shutdown_closes_streams_with_going_away,
    signing_out_everywhere_closes_the_callers_streams_at_once,
);

/// Several instances share one PostgreSQL; LISTEN/NOTIFY carries the doorbell between them.
/// (SQLite serves a single instance by design, so this one runs on PostgreSQL only.)
mod postgres_instances {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_partner_on_another_instance_receives_every_event_in_order_across_a_listener_loss() {
        let Some(first) = spawn_app(Flavor::Postgres).await else {
            return;
        };
        let second = first.another_instance();
        let (ada, ben, space) = first.paired_space().await;
        let mut bens = second.live(&ben, &space, 3).await;

        let mut admin = PgConnection::establish(first.db().url()).unwrap();
        for i in 0..500 {
            if i == 200 {
                // Cut every listener's connection mid-stream; they reconnect and re-read the log.
                admin
                    .batch_execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = 'kept-listener' AND datname = current_database()",
                    )
                    .unwrap();
            }
            check_in(&first, &ada, &space, &format!("event {i}")).await;
        }
        let received = bens.events(500, SOON).await;
        assert_eq!(seqs(&received), (4..=503).collect::<Vec<_>>());
        let texts: Vec<String> = received
            .iter()
            .map(|e| e["payload"]["text"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            texts,
            (0..500).map(|i| format!("event {i}")).collect::<Vec<_>>()
        );
        bens.expect_silence(Duration::from_millis(300)).await;
        drop(second);
    }
}
