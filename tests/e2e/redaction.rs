//! Deleting a text one wrote: the content is gone — from the item, the timeline and the live
//! stream — while the fact that something was written remains.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn a_deleted_text_is_gone_and_its_fact_remains(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    let secret = "Something I regret writing.";
    let check_in = expect_json(
        app.post(
            &s("/check-ins"),
            &ben.access,
            json!({"text": secret, "mood": "hurt"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let item = s(&format!("/check-ins/{}", check_in["id"].as_str().unwrap()));
    let mut adas = app.live(&ada, &space, 4).await;

    expect_problem(
        app.redact(&ada.access, &item).await,
        StatusCode::FORBIDDEN,
        "not_the_author",
    )
    .await;
    assert_eq!(
        app.redact(&ben.access, &item).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.redact(&ben.access, &item).await.status(),
        StatusCode::NO_CONTENT,
        "twice is harmless"
    );

    let seen = expect_json(app.get(&item, &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        (
            seen["text"].as_str(),
            &seen["mood"],
            seen["redacted"].as_bool()
        ),
        (Some(""), &json!(null), Some(true))
    );
    let events = app.events(&ada, &space).await;
    assert!(
        !serde_json::to_string(&events).unwrap().contains(secret),
        "gone from the timeline"
    );
    let created = events
        .iter()
        .find(|e| e["kind"] == "check_in.created")
        .unwrap();
    assert_eq!(
        created["payload"],
        json!({"check_in_id": check_in["id"], "redacted": true}),
        "the fact remains"
    );
    let told = adas.next_event(Duration::from_secs(5)).await;
    assert_eq!(
        (told["kind"].as_str(), &told["payload"]["check_in_id"]),
        (Some("check_in.redacted"), &check_in["id"])
    );

    // A held letter deleted before its day: never delivered, and the partner never learns of it.
    let letter = json!({"kind": "letter", "text": "On second thought…", "deliver_at": "2026-03-03T08:00:00Z"});
    let letter = expect_json(
        app.post(&s("/notes"), &ben.access, letter).await,
        StatusCode::CREATED,
    )
    .await;
    let note = s(&format!("/notes/{}", letter["id"].as_str().unwrap()));
    expect_problem(
        app.redact(&ada.access, &note).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        app.redact(&ben.access, &note).await.status(),
        StatusCode::NO_CONTENT
    );
    app.advance(chrono::Duration::days(2), &mut [&mut ada])
        .await;
    assert_eq!(app.store.deliver_due_notes().unwrap(), 0);
    adas.expect_silence(Duration::from_millis(300)).await;
    assert!(
        app.events(&ada, &space)
            .await
            .iter()
            .all(|e| !e["kind"].as_str().unwrap().starts_with("note."))
    );
}

on_both_databases!(a_deleted_text_is_gone_and_its_fact_remains);
