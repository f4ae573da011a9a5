//! The secret calendar feed: valid iCalendar with upcoming talks and one's own commitments;
//! the token is the key, and it can be replaced or revoked.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn a_secret_feed_lists_talks_and_own_commitments(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    let talk = json!({"title": "Sunday talk", "mode": "call", "starts_at": "2026-03-08T18:00:00Z", "duration_minutes": 45, "cadence": "weekly"});
    let talk = expect_json(
        app.post(&s("/talks"), &ada.access, talk).await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        app.accept_talk(
            &ben.access,
            &s(&format!("/talks/{}", talk["id"].as_str().unwrap())),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mine = json!({"text": "Walk, not scroll", "schedule": {"kind": "once", "due": "2026-03-04T19:00:00Z"}});
    expect_json(
        app.post(&s("/commitments"), &ada.access, mine).await,
        StatusCode::CREATED,
    )
    .await;
    let his = json!({"text": "His own promise", "schedule": {"kind": "once", "due": "2026-03-05T19:00:00Z"}});
    expect_json(
        app.post(&s("/commitments"), &ben.access, his).await,
        StatusCode::CREATED,
    )
    .await;

    let issued = expect_json(
        app.issue_calendar_token(&ada.access).await,
        StatusCode::CREATED,
    )
    .await;
    let url = issued["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:8080/api/v1/calendar/") && url.ends_with(".ics"));
    let path = url.trim_start_matches("http://127.0.0.1:8080");
    let response = app.send(app.client.get(app.url(path))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = response.text().await.unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && ics.ends_with("END:VCALENDAR\r\n")
    );
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        8 + 1,
        "eight Sundays (8 March to 26 April) in the 60 days, and Ada's own commitment"
    );
    assert!(ics.contains(
        "DTSTART:20260308T180000Z\r\nDTEND:20260308T184500Z\r\nSUMMARY:Talk: Sunday talk"
    ));
    assert!(
        ics.contains("DTSTART:20260329T170000Z"),
        "19:00 in Berlin after the clocks change"
    );
    assert!(ics.contains("SUMMARY:Commitment: Walk\\, not scroll"));
    assert!(
        !ics.contains("His own promise"),
        "a feed reminds; it does not watch the partner"
    );

    // A new token replaces the old one; revoking ends the feed.
    let renewed = expect_json(
        app.issue_calendar_token(&ada.access).await,
        StatusCode::CREATED,
    )
    .await;
    let old = app.send(app.client.get(app.url(path))).await;
    expect_problem(old, StatusCode::NOT_FOUND, "not_found").await;
    let new_path = renewed["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    assert_eq!(
        app.send(app.client.get(app.url(&new_path))).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.revoke_calendar_token(&ada.access).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_problem(
        app.send(app.client.get(app.url(&new_path))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.send(app.client.get(app.url("/api/v1/calendar/not-a-token")))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

on_both_databases!(a_secret_feed_lists_talks_and_own_commitments);
