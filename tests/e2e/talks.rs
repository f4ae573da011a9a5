//! Talks: proposed, moved, accepted by the partner, given agenda items, and held or skipped;
//! upcoming starts shown in each viewer's own time zone.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn a_weekly_talk_is_agreed_held_and_skipped(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let ny = json!({"time_zone": "America/New_York"});
    expect_json(app.patch_me(&ben.access, ny).await, StatusCode::OK).await;
    let base = format!("/api/v1/spaces/{space}/talks");

    let template = expect_json(
        app.get("/api/v1/talks/agenda-template", &ada.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        template["items"],
        json!(["Appreciations", "What went well", "One issue", "Needs"])
    );
    // Sundays at 19:00 in Berlin, from 2026-03-08.
    let proposal = json!({"title": "Our Sunday talk", "mode": "in_person", "starts_at": "2026-03-08T18:00:00Z", "duration_minutes": 60, "cadence": "weekly", "use_template": true, "agenda": ["Money"]});
    let talk = expect_json(
        app.post(&base, &ada.access, proposal).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            talk["state"].as_str(),
            talk["agenda"].as_array().unwrap().len()
        ),
        (Some("proposed"), 5)
    );
    let one = format!("{base}/{}", talk["id"].as_str().unwrap());

    // Ben sees the starts in his own zone: New York switched to EDT that very morning.
    let seen = expect_json(app.get(&one, &ben.access).await, StatusCode::OK).await;
    assert_eq!(
        seen["upcoming"][0]["starts_at_local"],
        "2026-03-08T14:00:00-04:00"
    );
    assert_eq!(
        seen["upcoming"][3]["starts_at"], "2026-03-29T17:00:00Z",
        "Berlin's own switch keeps it at 19:00 there"
    );

    let own = app.accept_talk(&ada.access, &one).await;
    expect_problem(own, StatusCode::FORBIDDEN, "not_the_partner").await;
    let moved = expect_json(
        app.post(
            &format!("{one}/move"),
            &ben.access,
            json!({"starts_at": "2026-03-08T19:00:00Z"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (moved["state"].as_str(), moved["proposer_id"].as_str()),
        (Some("proposed"), Some(ben.id.as_str()))
    );
    expect_problem(
        app.accept_talk(&ben.access, &one).await,
        StatusCode::FORBIDDEN,
        "not_the_partner",
    )
    .await;
    let accepted = expect_json(app.accept_talk(&ada.access, &one).await, StatusCode::OK).await;
    assert_eq!(accepted["state"], "accepted");
    let with_item = expect_json(
        app.post(
            &format!("{one}/agenda"),
            &ben.access,
            json!({"item": "The holidays"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(with_item["agenda"].as_array().unwrap().len(), 6);

    let first = json!({"starts_at": "2026-03-08T19:00:00Z", "outcome": "held", "notes": "Hard, but we stayed."});
    expect_problem(
        app.post(&format!("{one}/occurrences"), &ada.access, first.clone())
            .await,
        StatusCode::CONFLICT,
        "talk_not_started",
    )
    .await;
    app.advance(
        Duration::days(6) + Duration::hours(12),
        &mut [&mut ada, &mut ben],
    )
    .await;
    expect_json(
        app.post(&format!("{one}/occurrences"), &ada.access, first.clone())
            .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.post(&format!("{one}/occurrences"), &ben.access, first)
            .await,
        StatusCode::CONFLICT,
        "talk_already_marked",
    )
    .await;
    let not_a_start = json!({"starts_at": "2026-03-09T19:00:00Z", "outcome": "held"});
    app.advance(Duration::days(7), &mut [&mut ada, &mut ben])
        .await;
    let problem = expect_problem(
        app.post(&format!("{one}/occurrences"), &ada.access, not_a_start)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "starts_at");
    let skipped = json!({"starts_at": "2026-03-15T19:00:00Z", "outcome": "skipped"});
    expect_json(
        app.post(&format!("{one}/occurrences"), &ben.access, skipped)
            .await,
        StatusCode::OK,
    )
    .await;
    let seen = expect_json(app.get(&one, &ada.access).await, StatusCode::OK).await;
    let outcomes: Vec<&str> = seen["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["held", "skipped"]);

    let kinds: Vec<String> = app
        .events(&ada, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("talk."))
        .collect();
    assert_eq!(
        kinds,
        [
            "talk.proposed",
            "talk.moved",
            "talk.accepted",
            "talk.agenda_added",
            "talk.marked",
            "talk.marked"
        ]
    );
}

async fn talks_can_be_declined_and_refuse_bad_input(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/talks");
    let talk = expect_json(app.post(&base, &ada.access, json!({"title": "About the trip", "mode": "letters", "starts_at": "2026-03-04T18:00:00Z", "duration_minutes": 30})).await, StatusCode::CREATED).await;
    let one = format!("{base}/{}", talk["id"].as_str().unwrap());
    let declined = expect_json(app.decline_talk(&ben.access, &one).await, StatusCode::OK).await;
    assert_eq!(declined["state"], "declined");
    let again = app
        .post(
            &format!("{one}/move"),
            &ada.access,
            json!({"starts_at": "2026-03-05T18:00:00Z"}),
        )
        .await;
    expect_problem(again, StatusCode::CONFLICT, "talk_declined").await;

    let cases = [
        (
            json!({"title": "x", "mode": "call", "starts_at": "2026-03-01T18:00:00Z", "duration_minutes": 30}),
            "starts_at",
        ),
        (
            json!({"title": "x", "mode": "call", "starts_at": "2026-03-09T18:00:00Z", "duration_minutes": 5}),
            "duration_minutes",
        ),
        (
            json!({"title": "x", "mode": "smoke signals", "starts_at": "2026-03-09T18:00:00Z", "duration_minutes": 30}),
            "mode",
        ),
        (
            json!({"title": "x", "mode": "call", "starts_at": "2026-03-09T18:00:00Z", "duration_minutes": 30, "cadence": "daily"}),
            "cadence",
        ),
        (
            json!({"title": "x", "mode": "call", "starts_at": "2026-03-09T18:00:00Z", "duration_minutes": 30, "agenda": [""]}),
            "agenda[0]",
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
    assert_eq!(
        expect_json(app.get(&base, &ben.access).await, StatusCode::OK).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

on_both_databases!(
    a_weekly_talk_is_agreed_held_and_skipped,
    talks_can_be_declined_and_refuse_bad_input
);
