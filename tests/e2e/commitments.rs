//! Commitments: made to the partner, kept occurrence by occurrence, refereed by the partner, and
//! missed by themselves when nobody marks them — on a clock the test moves.

use chrono::Duration;
use kept_tests::{
    Flavor, Person, TestApp, expect_json, expect_problem, on_both_databases, spawn_app,
    spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn occurrence(app: &TestApp, viewer: &Person, commitment: &str, index: usize) -> Value {
    let seen = expect_json(app.get(commitment, &viewer.access).await, StatusCode::OK).await;
    seen["occurrences"][index].clone()
}

fn occurrence_at(commitment: &str, occurrence: &Value) -> String {
    format!(
        "{commitment}/occurrences/{}",
        occurrence["id"].as_str().unwrap()
    )
}

fn path_of(commitment: &str, occurrence: &Value, verb: &str) -> String {
    format!("{}/{verb}", occurrence_at(commitment, occurrence))
}

async fn a_daily_commitment_is_kept_confirmed_disputed_and_missed(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/commitments");
    // Monday 2026-03-02, 08:00 UTC (09:00 in Berlin): "every evening at 21:00 my time".
    let body = json!({"text": "Put my phone away at dinner", "schedule": {"kind": "daily", "at": "21:00:00"}, "grace_minutes": 60});
    let created = expect_json(
        app.post(&base, &ada.access, body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            created["state"].as_str(),
            created["version"].as_i64(),
            created["time_zone"].as_str()
        ),
        (Some("active"), Some(1), Some("Europe/Berlin"))
    );
    assert_eq!(created["partner_id"], ben.id.as_str());
    let commitment = format!("{base}/{}", created["id"].as_str().unwrap());

    let seen = expect_json(app.get(&commitment, &ben.access).await, StatusCode::OK).await;
    let occurrences = seen["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 14, "two weeks written ahead");
    assert_eq!(
        occurrences[0]["due_at"], "2026-03-02T20:00:00Z",
        "21:00 in Berlin (CET)"
    );
    assert_eq!(occurrences[13]["due_at"], "2026-03-15T20:00:00Z");

    // Day 1: kept, then confirmed by the partner (and only by the partner).
    let first = occurrence(&app, &ada, &commitment, 0).await;
    let response = app
        .mark_kept(&ben.access, &occurrence_at(&commitment, &first))
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, "not_the_committer").await;
    let kept = expect_json(
        app.post(
            &path_of(&commitment, &first, "kept"),
            &ada.access,
            json!({"note": "Phone in the drawer."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["state"], "kept");
    let response = app
        .confirm_kept(&ada.access, &occurrence_at(&commitment, &first))
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, "not_the_partner").await;
    let confirmed = expect_json(
        app.confirm_kept(&ben.access, &occurrence_at(&commitment, &first))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(confirmed["state"], "confirmed");

    // Day 2: kept, but the partner disputes it.
    app.advance(
        Duration::days(1) + Duration::hours(12) + Duration::minutes(30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let second = occurrence(&app, &ada, &commitment, 1).await;
    expect_json(
        app.mark_kept(&ada.access, &occurrence_at(&commitment, &second))
            .await,
        StatusCode::OK,
    )
    .await;
    let disputed = app
        .post(
            &path_of(&commitment, &second, "dispute"),
            &ben.access,
            json!({"reason": "It was on the table all evening."}),
        )
        .await;
    let disputed = expect_json(disputed, StatusCode::OK).await;
    assert_eq!(
        (
            disputed["state"].as_str(),
            disputed["dispute_reason"].as_str()
        ),
        (Some("disputed"), Some("It was on the table all evening."))
    );

    // Day 3: nobody marks it. After due + grace it is missed, by the sweep, once.
    app.advance(
        Duration::days(1) + Duration::minutes(31),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let report = app.store.sweep_commitments().unwrap();
    assert_eq!(report.missed, 1);
    assert_eq!(
        app.store.sweep_commitments().unwrap().missed,
        0,
        "idempotent"
    );
    let third = occurrence(&app, &ada, &commitment, 2).await;
    assert_eq!(third["state"], "missed");
    let late = app
        .mark_kept(&ada.access, &occurrence_at(&commitment, &third))
        .await;
    expect_problem(late, StatusCode::CONFLICT, "occurrence_missed").await;

    let events = app.events(&ben, &space).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .filter(|k| k.starts_with("commitment.") || k.starts_with("occurrence."))
        .collect();
    assert_eq!(
        kinds,
        [
            "commitment.created",
            "occurrence.kept",
            "occurrence.confirmed",
            "occurrence.kept",
            "occurrence.disputed",
            "occurrence.missed"
        ]
    );
    let missed = events
        .iter()
        .find(|e| e["kind"] == "occurrence.missed")
        .unwrap();
    assert_eq!(
        (&missed["actor_id"], &missed["payload"]["due_at"]),
        (&Value::Null, &json!("2026-03-04T20:00:00Z")),
        "missed by the clock, not by anyone"
    );
}

async fn commitments_are_renegotiated_and_retired_by_their_committer(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/commitments");
    let body = json!({"text": "Call when I'm late", "schedule": {"kind": "weekly", "days": ["Mon", "Thu"], "at": "18:00:00"}});
    let created = expect_json(
        app.post(&base, &ada.access, body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        created["grace_minutes"], 60,
        "an hour of grace unless asked otherwise"
    );
    let commitment = format!("{base}/{}", created["id"].as_str().unwrap());
    let before = expect_json(app.get(&commitment, &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        before["occurrences"].as_array().unwrap().len(),
        4,
        "two weeks of Mondays and Thursdays"
    );

    let terms = json!({"text": "Text by 17:30 when I'll be late", "schedule": {"kind": "weekdays", "at": "17:30:00"}});
    let response = app
        .post(
            &format!("{commitment}/renegotiate"),
            &ben.access,
            terms.clone(),
        )
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, "not_the_committer").await;
    let renewed = expect_json(
        app.post(&format!("{commitment}/renegotiate"), &ada.access, terms)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (renewed["version"].as_i64(), renewed["text"].as_str()),
        (Some(2), Some("Text by 17:30 when I'll be late"))
    );
    let after = expect_json(app.get(&commitment, &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        after["occurrences"].as_array().unwrap().len(),
        10,
        "the future follows the new terms: ten weekdays"
    );

    let retired = expect_json(
        app.retire_commitment(&ada.access, &commitment).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(retired["state"], "retired");
    let gone = expect_json(app.get(&commitment, &ada.access).await, StatusCode::OK).await;
    assert_eq!(gone["occurrences"], json!([]), "nothing left to keep");
    let again = app.retire_commitment(&ada.access, &commitment).await;
    expect_problem(again, StatusCode::CONFLICT, "commitment_retired").await;
    let kinds: Vec<String> = app
        .events(&ben, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.ends_with(&[
        "commitment.created".into(),
        "commitment.renegotiated".into(),
        "commitment.retired".into()
    ]));
}

/// Found by an outside test: renegotiating after today's occurrence was marked kept (ahead of
/// its due time) wrote that occurrence again and answered 500.
async fn renegotiating_keeps_what_was_already_marked(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/commitments");
    // Monday 08:00 UTC; due tonight at 21:00 Berlin (20:00 UTC), open from now.
    let body =
        json!({"text": "Walk together after dinner", "schedule": {"kind": "daily", "at": "21:00"}});
    let created = expect_json(
        app.post(&base, &ada.access, body).await,
        StatusCode::CREATED,
    )
    .await;
    let commitment = format!("{base}/{}", created["id"].as_str().unwrap());
    let tonight = occurrence(&app, &ada, &commitment, 0).await;
    expect_json(
        app.post(
            &path_of(&commitment, &tonight, "kept"),
            &ada.access,
            json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.confirm_kept(&ben.access, &occurrence_at(&commitment, &tonight))
            .await,
        StatusCode::OK,
    )
    .await;

    for (version, terms) in [
        (
            2,
            json!({"text": "Walk together after dinner, rain or shine"}),
        ),
        (3, json!({"schedule": {"kind": "daily", "at": "22:00"}})),
    ] {
        let renewed = expect_json(
            app.post(&format!("{commitment}/renegotiate"), &ada.access, terms)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(renewed["version"], version);
    }

    let after = expect_json(app.get(&commitment, &ben.access).await, StatusCode::OK).await;
    let occurrences = after["occurrences"].as_array().unwrap();
    assert_eq!(occurrences[0]["id"], tonight["id"], "the decided one stays");
    assert_eq!(occurrences[0]["state"], "confirmed");
    assert_eq!(occurrences[0]["due_at"], "2026-03-02T20:00:00Z");
    // The new terms begin after it: tomorrow at 22:00 Berlin, not a second one tonight.
    assert_eq!(occurrences[1]["due_at"], "2026-03-03T21:00:00Z");
    assert_eq!(occurrences[1]["opens_at"], "2026-03-02T20:00:00Z");
    assert!(
        occurrences[1..].iter().all(|o| o["state"] == "due"),
        "{occurrences:?}"
    );
    let dues: std::collections::BTreeSet<&str> = occurrences
        .iter()
        .map(|o| o["due_at"].as_str().unwrap())
        .collect();
    assert_eq!(dues.len(), occurrences.len(), "no due time twice");
}

async fn commitments_refuse_bad_terms(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let alone = app.create_space(&ada, "Not yet us").await;
    let body = json!({"text": "x", "schedule": {"kind": "daily", "at": "09:00:00"}});
    let response = app
        .post(
            &format!("/api/v1/spaces/{alone}/commitments"),
            &ada.access,
            body,
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, "no_partner").await;

    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, _ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/commitments");
    let field = |problem: Value| problem["errors"][0]["field"].as_str().unwrap().to_owned();
    let cases = [
        (
            json!({"text": "x", "schedule": {"kind": "once", "due": "2026-03-01T00:00:00Z"}}),
            "schedule.due",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "weekly", "days": [], "at": "09:00:00"}}),
            "schedule.days",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "hourly"}}),
            "schedule.kind",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "daily", "at": "25:00:00"}}),
            "schedule",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "daily", "at": "09:00:00"}, "grace_minutes": -5}),
            "grace_minutes",
        ),
        (
            json!({"text": "", "schedule": {"kind": "daily", "at": "09:00:00"}}),
            "text",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "daily", "at": "09:00:00"}, "request_id": "nope"}),
            "request_id",
        ),
        (
            json!({"text": "x", "schedule": {"kind": "daily", "at": "09:00:00"}, "request_id": uuid::Uuid::now_v7().to_string()}),
            "request_id",
        ),
    ];
    for (body, expected) in cases {
        let problem = expect_problem(
            app.post(&base, &ada.access, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
        assert_eq!(field(problem), expected, "{body}");
    }
    let listed = expect_json(app.get(&base, &ada.access).await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]), "nothing was created");
    let once = json!({"text": "Book the counsellor", "schedule": {"kind": "once", "due": "2026-03-06T17:00:00Z"}});
    let created = expect_json(
        app.post(&base, &ada.access, once).await,
        StatusCode::CREATED,
    )
    .await;
    let seen = expect_json(
        app.get(
            &format!("{base}/{}", created["id"].as_str().unwrap()),
            &ada.access,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["occurrences"].as_array().unwrap().len(), 1);
}

async fn the_scheduler_turns_overdue_occurrences_missed_by_itself(flavor: Flavor) {
    let Some(app) = spawn_app_with(flavor, &[("KEPT__SCHEDULER__TICK_MILLIS", "20")]).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let body = json!({"text": "Good-night message", "schedule": {"kind": "once", "due": "2026-03-02T21:00:00Z"}, "grace_minutes": 0});
    let created = expect_json(
        app.post(
            &format!("/api/v1/spaces/{space}/commitments"),
            &ada.access,
            body,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut live = app.live(&ben, &space, 4).await;
    app.clock.advance(Duration::hours(14));
    let missed = live.next_event(std::time::Duration::from_secs(5)).await;
    assert_eq!(missed["kind"], "occurrence.missed");
    assert_eq!(missed["payload"]["commitment_id"], created["id"]);
}

/// After someone leaves, nobody is held to anything in that space: no occurrence turns missed,
/// none is written ahead, no held letter is released — and none of it is picked up again.
async fn a_closed_space_is_left_alone_by_the_scheduler(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, ben, space) = app.paired_space().await;
    let body =
        json!({"text": "Phone away at dinner", "schedule": {"kind": "daily", "at": "21:00:00"}});
    expect_json(
        app.post(
            &format!("/api/v1/spaces/{space}/commitments"),
            &ada.access,
            body,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let letter =
        json!({"kind": "letter", "text": "For later.", "deliver_at": "2026-03-03T08:00:00Z"});
    expect_json(
        app.post(
            &format!("/api/v1/spaces/{space}/notes"),
            &ada.access,
            letter,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.post(
        &format!("/api/v1/spaces/{space}/leave"),
        &ben.access,
        json!({"mode": "safety"}),
    )
    .await;
    let before = app.events(&ada, &space).await.len();

    app.advance(Duration::days(20), &mut [&mut ada]).await;
    for _ in 0..2 {
        assert_eq!(
            app.store.sweep_commitments().unwrap(),
            kept_store::commitments::SweepReport::default()
        );
        assert_eq!(app.store.deliver_due_notes().unwrap(), 0);
    }
    assert_eq!(
        app.events(&ada, &space).await.len(),
        before,
        "nothing happened in the closed space"
    );
}

on_both_databases!(
    renegotiating_keeps_what_was_already_marked,
    a_daily_commitment_is_kept_confirmed_disputed_and_missed,
    commitments_are_renegotiated_and_retired_by_their_committer,
    commitments_refuse_bad_terms,
    the_scheduler_turns_overdue_occurrences_missed_by_itself,
    a_closed_space_is_left_alone_by_the_scheduler,
);
