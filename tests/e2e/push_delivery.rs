//! Web Push delivery, end to end: notices go through the outbox to a real receiver on loopback
//! (Python's `http_ece` and `py-vapid`, see `push_receiver.rs`) that checks each push's VAPID
//! signature against the server's public key and decrypts it with the device's private key.
//! A device gets only the kinds it chose, and only the kind and a link, never words; a device
//! the push service says is gone is removed; a receiver that is down gets every push once when
//! it is back, and later when it asks for it; quiet hours hold a push; a device narrowed to
//! fewer kinds, or signing out everywhere, drops what was still waiting. Reminders come the
//! same way, with high urgency.

use chrono::Duration;
use kept_tests::push_receiver::PushReceiver;
use kept_tests::{Person, TestApp, expect_json, on_both_databases, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as Wait;

async fn app_and_receiver(flavor: kept_tests::Flavor) -> Option<(TestApp, PushReceiver)> {
    let settings = [
        ("KEPT__PUSH__ALLOW_PRIVATE_ENDPOINTS", "true"),
        ("KEPT__MAIL__POLL_MILLIS", "25"),
        ("KEPT__SCHEDULER__TICK_MILLIS", "40"),
    ];
    let app = spawn_app_with(flavor, &settings).await?;
    let key = app.call(reqwest::Method::GET, "/api/v1/push/public-key", None, None);
    let key = expect_json(key.await, StatusCode::OK).await;
    let receiver = PushReceiver::start(key["public_key"].as_str().unwrap());
    Some((app, receiver))
}

/// Subscribes `person`'s device `name` with `kinds` (all when `None`); returns its id.
async fn subscribe(
    app: &TestApp,
    receiver: &PushReceiver,
    person: &Person,
    name: &str,
    kinds: Option<Value>,
) -> String {
    let mut device = receiver.subscription(name).await;
    device["label"] = json!(name);
    if let Some(kinds) = kinds {
        device["kinds"] = kinds;
    }
    let added = app
        .post("/api/v1/me/push-subscriptions", &person.access, device)
        .await;
    let added = expect_json(added, StatusCode::CREATED).await;
    added["id"].as_str().unwrap().to_owned()
}

async fn devices(app: &TestApp, person: &Person) -> Vec<Value> {
    let list = app
        .get("/api/v1/me/push-subscriptions", &person.access)
        .await;
    let list = expect_json(list, StatusCode::OK).await;
    list["items"].as_array().unwrap().clone()
}

/// `proposer` proposes a talk titled `title`; returns its id. The partner is told of it.
async fn propose_talk(app: &TestApp, proposer: &Person, space: &str, title: &str) -> String {
    let talk = json!({"title": title, "mode": "in_person", "starts_at": "2026-03-08T18:00:00Z", "duration_minutes": 60});
    let path = format!("/api/v1/spaces/{space}/talks");
    let created = expect_json(
        app.post(&path, &proposer.access, talk).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

/// Waits (up to 10 s) until every delivery that is due has been claimed (its attempt may still
/// be under way).
async fn outbox_settled(app: &TestApp) {
    for _ in 0..400 {
        if app.store.outbox_backlog().unwrap().due == 0 {
            return;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    panic!("the outbox did not settle");
}

/// Waits (up to 10 s) until `count` deliveries are pending, neither sent nor given up on.
async fn pending_becomes(app: &TestApp, count: i64) {
    let mut pending = -1;
    for _ in 0..400 {
        pending = app.store.outbox_counts().unwrap().pending;
        if pending == count {
            return;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    panic!("{pending} deliveries pending, not {count}");
}

async fn a_device_gets_its_kinds_verified_encrypted_and_without_words(flavor: kept_tests::Flavor) {
    let Some((app, receiver)) = app_and_receiver(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    // Ben's phone takes everything; his laptop only reminders.
    subscribe(&app, &receiver, &ben, "phone", None).await;
    let only_reminders = json!({"reminders": true, "activity": false, "weekly": false});
    subscribe(&app, &receiver, &ben, "laptop", Some(only_reminders)).await;

    let talk = propose_talk(&app, &ada, &space, "About the move to Leeds").await;
    let pushes = receiver.delivered_to("phone", 1).await;
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    let push = &pushes[0];
    assert_eq!(
        push.payload,
        Some(json!({"kind": "activity", "link": format!("/spaces/{space}/talks/{talk}")})),
        "the kind and the link, nothing the partner wrote"
    );
    assert_eq!(push.ttl.as_deref(), Some("86400"));
    assert_eq!(push.urgency.as_deref(), Some("normal"));
    outbox_settled(&app).await;
    let laptop: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|p| p.device == "laptop")
        .collect();
    assert!(
        laptop.is_empty(),
        "the laptop takes no activity: {laptop:?}"
    );
    // The device list shows when each was last reached.
    let listed = devices(&app, &ben).await;
    let used = |label: &str| {
        listed
            .iter()
            .find(|d| d["label"] == label)
            .map(|d| !d["last_used_at"].is_null())
    };
    assert_eq!(
        (used("phone"), used("laptop")),
        (Some(true), Some(false)),
        "{listed:?}"
    );

    // The push service says the phone is gone: it is removed at once, the laptop stays.
    receiver.answer_with("phone", "410").await;
    propose_talk(&app, &ada, &space, "Weekend plans").await;
    let mut left = Vec::new();
    for _ in 0..400 {
        left = devices(&app, &ben).await;
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["label"], "laptop");
    let gone: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|p| p.answered == Some(410))
        .collect();
    assert_eq!(gone.len(), 1, "tried once, then forgotten: {gone:?}");
    // The laptop takes reminders: Ben's check-in time comes (09:30 in Berlin, his zone), and
    // it is told at once, with high urgency, for an hour at most.
    let times = json!({"check_in_times": ["09:30:00"]});
    expect_json(app.patch_me(&ben.access, times).await, StatusCode::OK).await;
    app.advance(Duration::minutes(31), &mut [&mut ada, &mut ben])
        .await;
    let reminded = receiver.delivered_to("laptop", 1).await;
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(
        reminded[0].payload,
        Some(json!({"kind": "check_in_reminder", "link": format!("/spaces/{space}")}))
    );
    assert_eq!(
        (reminded[0].urgency.as_deref(), reminded[0].ttl.as_deref()),
        (Some("high"), Some("3600"))
    );
    // Operators see pushes apart from mail (counted once each outcome is known).
    let wanted = [
        "kept_outbox_deliveries_total{channel=\"push\",status=\"sent\"} 2",
        "kept_outbox_deliveries_total{channel=\"push\",status=\"gone\"} 1",
    ];
    let mut metrics = String::new();
    for _ in 0..400 {
        let answer = app.send(app.client.get(app.url("/metrics"))).await;
        metrics = answer.text().await.unwrap();
        if wanted
            .iter()
            .all(|series| metrics.lines().any(|line| line == *series))
        {
            break;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    for series in wanted {
        assert!(
            metrics.lines().any(|line| line == series),
            "{series} in {metrics}"
        );
    }
}

async fn a_receiver_that_was_down_gets_every_push_once(flavor: kept_tests::Flavor) {
    let Some((app, mut receiver)) = app_and_receiver(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    subscribe(&app, &receiver, &ben, "phone", None).await;
    receiver.stop();
    let first = propose_talk(&app, &ada, &space, "First").await;
    let second = propose_talk(&app, &ada, &space, "Second").await;
    // Both are tried and wait for their retry (30 s, give or take half).
    outbox_settled(&app).await;
    pending_becomes(&app, 2).await;
    // Why they wait is kept, without the device's secret address.
    let mut errors = Vec::new();
    for _ in 0..400 {
        errors = kept_tests::rows::every_cell(app.db())
            .into_iter()
            .filter(|(table, column, _)| table == "deliveries" && column == "last_error")
            .map(|(_, _, error)| error)
            .collect();
        if errors.len() == 2 {
            break;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    assert_eq!(errors.len(), 2, "{errors:?}");
    for error in &errors {
        assert!(
            error.contains("not reached") && !error.contains("/push/phone"),
            "{error}"
        );
    }

    receiver.resume();
    app.advance(Duration::minutes(2), &mut [&mut ada, &mut ben])
        .await;
    let pushes = receiver.delivered_to("phone", 2).await;
    outbox_settled(&app).await;
    let links: Vec<_> = pushes
        .iter()
        .map(|p| p.payload.as_ref().unwrap()["link"].clone())
        .collect();
    assert_eq!(links.len(), 2, "{pushes:?}");
    for talk in [&first, &second] {
        let link = json!(format!("/spaces/{space}/talks/{talk}"));
        assert_eq!(links.iter().filter(|l| **l == link).count(), 1, "{links:?}");
    }

    // Overloaded, the push service asks for ten minutes: it gets them, whatever our backoff.
    receiver.answer_with("phone", "503 600").await;
    propose_talk(&app, &ada, &space, "Third").await;
    let busy = || {
        receiver
            .received()
            .into_iter()
            .filter(|p| p.answered == Some(503))
            .count()
    };
    for _ in 0..400 {
        if busy() == 1 {
            break;
        }
        tokio::time::sleep(Wait::from_millis(25)).await;
    }
    receiver.answer_with("phone", "201").await;
    app.advance(Duration::minutes(2), &mut [&mut ada, &mut ben])
        .await;
    outbox_settled(&app).await;
    tokio::time::sleep(Wait::from_millis(200)).await;
    assert_eq!(busy(), 1, "not tried again before its Retry-After");
    assert_eq!(receiver.delivered_to("phone", 2).await.len(), 2);
    app.advance(Duration::minutes(9), &mut [&mut ada, &mut ben])
        .await;
    assert_eq!(receiver.delivered_to("phone", 3).await.len(), 3);
}

async fn quiet_hours_hold_a_push_and_signing_out_everywhere_drops_it(flavor: kept_tests::Flavor) {
    let Some((app, receiver)) = app_and_receiver(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let phone = subscribe(&app, &receiver, &ben, "phone", None).await;
    // 08:00 UTC is 09:00 in Berlin, Ben's zone; his quiet hours hold 08:30–10:00 local.
    let quiet = json!({"mail": {"quiet_hours": {"start": "08:30:00", "end": "10:00:00"}}});
    expect_json(app.patch_me(&ben.access, quiet).await, StatusCode::OK).await;
    propose_talk(&app, &ada, &space, "Held").await;
    outbox_settled(&app).await;
    tokio::time::sleep(Wait::from_millis(200)).await;
    assert!(receiver.received().is_empty(), "held by quiet hours");
    app.advance(Duration::minutes(61), &mut [&mut ada, &mut ben])
        .await;
    assert_eq!(receiver.delivered_to("phone", 1).await.len(), 1);

    // Held again (10:01–12:00). Ben's phone stops taking news from Ada meanwhile: what waits
    // of that kind is not sent.
    let quiet = json!({"mail": {"quiet_hours": {"start": "10:00:00", "end": "12:00:00"}}});
    expect_json(app.patch_me(&ben.access, quiet).await, StatusCode::OK).await;
    propose_talk(&app, &ada, &space, "Narrowed").await;
    outbox_settled(&app).await;
    // The first push's outcome may still be being written; then only the held one waits.
    pending_becomes(&app, 1).await;
    let path = format!("/api/v1/me/push-subscriptions/{phone}");
    for activity in [false, true] {
        let kinds = json!({"kinds": {"reminders": true, "activity": activity, "weekly": true}});
        let changed = app.call(
            reqwest::Method::PATCH,
            &path,
            Some(&ben.access),
            Some(kinds),
        );
        expect_json(changed.await, StatusCode::OK).await;
    }
    assert_eq!(app.store.outbox_counts().unwrap().pending, 0);

    // Held again, then Ben signs out everywhere: the waiting push goes with his devices and
    // nothing reaches the phone any more.
    propose_talk(&app, &ada, &space, "Dropped").await;
    pending_becomes(&app, 1).await;
    let out = app.logout_everywhere(&ben.access).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.store.outbox_counts().unwrap().pending, 0);
    app.advance(Duration::hours(3), &mut [&mut ada]).await;
    outbox_settled(&app).await;
    tokio::time::sleep(Wait::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 1, "nothing after signing out");
}

on_both_databases!(
    a_device_gets_its_kinds_verified_encrypted_and_without_words,
    a_receiver_that_was_down_gets_every_push_once,
    quiet_hours_hold_a_push_and_signing_out_everywhere_drops_it,
);
