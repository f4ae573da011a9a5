//! Gratitude notes and letters, and a letter that the partner can neither see nor learn of
//! until its `deliver_at` — not in lists, not by id, not in the timeline, not on the socket.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn a_letter_for_later_stays_hidden_until_its_time(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/notes");

    let thanks = expect_json(
        app.post(
            &base,
            &ada.access,
            json!({"kind": "gratitude", "text": "Thank you for listening last night."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(thanks["delivered_at"].is_string());
    let mut bens_socket = app.live(&ben, &space, 3).await;
    let first = bens_socket
        .next_event(std::time::Duration::from_secs(5))
        .await;
    assert_eq!(
        (first["kind"].as_str(), first["payload"]["text"].as_str()),
        (
            Some("note.delivered"),
            Some("Thank you for listening last night.")
        )
    );

    let letter = json!({"kind": "letter", "text": "For our anniversary: what I have learned this year.", "deliver_at": "2026-03-05T08:00:00Z"});
    let letter = expect_json(
        app.post(&base, &ada.access, letter).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(letter["delivered_at"].is_null());
    let letter_path = format!("{base}/{}", letter["id"].as_str().unwrap());

    // Ben: no trace of it anywhere.
    let bens_list = expect_json(app.get(&base, &ben.access).await, StatusCode::OK).await;
    assert_eq!(bens_list["items"].as_array().unwrap().len(), 1);
    expect_problem(
        app.get(&letter_path, &ben.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(
        app.events(&ben, &space)
            .await
            .iter()
            .all(|e| e["kind"] != "note.scheduled")
    );
    bens_socket
        .expect_silence(std::time::Duration::from_millis(300))
        .await;
    let reply = json!({"kind": "letter", "text": "?", "in_reply_to": letter["id"]});
    let problem = expect_problem(
        app.post(&base, &ben.access, reply).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(
        problem["errors"][0]["field"], "in_reply_to",
        "an unseen letter cannot be answered, nor its existence confirmed"
    );
    // Ada sees her own waiting letter.
    expect_json(app.get(&letter_path, &ada.access).await, StatusCode::OK).await;
    assert!(
        app.events(&ada, &space)
            .await
            .iter()
            .any(|e| e["kind"] == "note.scheduled")
    );

    app.advance(Duration::days(2), &mut [&mut ada, &mut ben])
        .await;
    assert_eq!(app.store.deliver_due_notes().unwrap(), 0, "not yet");
    app.advance(Duration::days(1), &mut [&mut ada, &mut ben])
        .await;
    assert_eq!(app.store.deliver_due_notes().unwrap(), 1);
    assert_eq!(app.store.deliver_due_notes().unwrap(), 0, "delivered once");
    let delivered = bens_socket
        .next_event(std::time::Duration::from_secs(5))
        .await;
    assert_eq!(
        (delivered["kind"].as_str(), &delivered["payload"]["note_id"]),
        (Some("note.delivered"), &letter["id"])
    );
    expect_json(app.get(&letter_path, &ben.access).await, StatusCode::OK).await;

    // Now Ben can answer it, with a letter (not a gratitude note).
    let reply = json!({"kind": "letter", "text": "I read it twice.", "in_reply_to": letter["id"]});
    let answered = expect_json(
        app.post(&base, &ben.access, reply).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(answered["in_reply_to"], letter["id"]);
    let wrong = json!({"kind": "gratitude", "text": "Thanks.", "in_reply_to": letter["id"]});
    expect_problem(
        app.post(&base, &ben.access, wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let letters = expect_json(
        app.get(&format!("{base}?kind=letter"), &ada.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(letters["items"].as_array().unwrap().len(), 2);
}

async fn notes_refuse_bad_input(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, _ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/notes");
    let cases = [
        (
            json!({"kind": "letter", "text": "x", "deliver_at": "2026-03-01T00:00:00Z"}),
            "deliver_at",
        ),
        (json!({"kind": "poem", "text": "x"}), "kind"),
        (
            json!({"kind": "letter", "text": "x".repeat(20_001)}),
            "text",
        ),
        (
            json!({"kind": "letter", "text": "x", "deliver_at": "next week"}),
            "deliver_at",
        ),
        (
            json!({"kind": "letter", "text": "x", "in_reply_to": "nope"}),
            "in_reply_to",
        ),
    ];
    for (body, field) in cases {
        let problem = expect_problem(
            app.post(&base, &ada.access, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let listed = expect_json(app.get(&base, &ada.access).await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]), "nothing was created");
}

on_both_databases!(
    a_letter_for_later_stays_hidden_until_its_time,
    notes_refuse_bad_input
);
