//! Stats over two weeks of a couple's life, driven through the API on a moving clock and checked
//! against numbers worked out by hand.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn stats_match_a_fortnight_worked_out_by_hand(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");

    // Monday 2 March, 08:00 UTC.
    let request = expect_json(
        app.post(
            &s("/requests"),
            &ben.access,
            json!({"text": "I need to know where we stand on Sundays."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let talk = json!({"title": "Sunday talk", "mode": "in_person", "starts_at": "2026-03-08T18:00:00Z", "duration_minutes": 60, "cadence": "weekly"});
    let talk = expect_json(
        app.post(&s("/talks"), &ada.access, talk).await,
        StatusCode::CREATED,
    )
    .await;
    let talk_path = s(&format!("/talks/{}", talk["id"].as_str().unwrap()));
    expect_json(
        app.accept_talk(&ben.access, &talk_path).await,
        StatusCode::OK,
    )
    .await;
    let commitment = json!({"text": "Phone away at dinner", "schedule": {"kind": "daily", "at": "21:00:00"}, "grace_minutes": 60, "request_id": request["id"]});
    let commitment = expect_json(
        app.post(&s("/commitments"), &ada.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;
    let commitment_path = s(&format!(
        "/commitments/{}",
        commitment["id"].as_str().unwrap()
    ));
    expect_json(
        app.post(
            &s("/trust"),
            &ben.access,
            json!({"score": 6, "shared": true}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let occurrence =
        |seen: &Value, i: usize| seen["occurrences"][i]["id"].as_str().unwrap().to_owned();
    let seen = expect_json(app.get(&commitment_path, &ada.access).await, StatusCode::OK).await;
    let at = |i: usize| format!("{commitment_path}/occurrences/{}", occurrence(&seen, i));
    let verb = |i: usize, verb: &str| format!("{}/{verb}", at(i));

    // Monday evening: kept and confirmed.
    app.advance(
        Duration::hours(12) + Duration::minutes(30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    expect_json(app.mark_kept(&ada.access, &at(0)).await, StatusCode::OK).await;
    expect_json(app.confirm_kept(&ben.access, &at(0)).await, StatusCode::OK).await;
    // Tuesday evening: kept but disputed; the request is acknowledged (36.5 hours after it was made).
    app.advance(Duration::days(1), &mut [&mut ada, &mut ben])
        .await;
    expect_json(app.mark_kept(&ada.access, &at(1)).await, StatusCode::OK).await;
    expect_json(
        app.post(
            &verb(1, "dispute"),
            &ben.access,
            json!({"reason": "Not really."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let ack = s(&format!(
        "/requests/{}/acknowledge",
        request["id"].as_str().unwrap()
    ));
    expect_json(
        app.post(
            &ack,
            &ada.access,
            json!({"reply": "You want Sundays to be certain."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.post(
            &s("/trust"),
            &ben.access,
            json!({"score": 8, "shared": true}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // Wednesday goes by unmarked; Thursday evening: kept.
    app.advance(Duration::days(2), &mut [&mut ada, &mut ben])
        .await;
    app.store.sweep_commitments().unwrap();
    expect_json(app.mark_kept(&ada.access, &at(3)).await, StatusCode::OK).await;
    // Friday to Sunday go by unmarked; on Monday morning the Sunday talk is marked held.
    app.advance(
        Duration::days(3) + Duration::hours(11) + Duration::minutes(30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    app.store.sweep_commitments().unwrap();
    let held = json!({"starts_at": "2026-03-08T18:00:00Z", "outcome": "held"});
    expect_json(
        app.post(&format!("{talk_path}/occurrences"), &ben.access, held)
            .await,
        StatusCode::OK,
    )
    .await;

    let stats = expect_json(
        app.get(&s("/stats?weeks=2"), &ada.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["weeks"], json!(["2026-W10", "2026-W11"]));
    let (adas, bens) = (&stats["partners"][0], &stats["partners"][1]);
    assert_eq!(adas["user_id"], ada.id.as_str());
    // Week 10: Mon confirmed, Tue disputed, Wed missed, Thu kept, Fri–Sun missed.
    assert_eq!(
        adas["weeks"][0]["commitments"],
        json!({"kept": 3, "confirmed": 1, "disputed": 1, "missed": 4, "pending": 0, "on_time_ratio": 3.0 / 7.0})
    );
    assert_eq!(
        adas["weeks"][1]["commitments"],
        json!({"kept": 0, "confirmed": 0, "disputed": 0, "missed": 0, "pending": 0, "on_time_ratio": null})
    );
    assert_eq!(
        (adas["current_run"].as_u64(), adas["longest_run"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        bens["weeks"][0]["requests"],
        json!({"created": 1, "acknowledged": 1, "median_hours_to_acknowledge": 36.5})
    );
    assert_eq!(bens["open_requests"], 1, "acknowledged, not yet resolved");
    assert_eq!(
        bens["weeks"][0]["trust"],
        json!({"shared_ratings": 2, "average": 7.0})
    );
    assert_eq!(
        stats["talks"],
        json!([{"week": "2026-W10", "planned": 1, "held": 1, "skipped": 0}, {"week": "2026-W11", "planned": 0, "held": 0, "skipped": 0}])
    );

    for query in ["weeks=0", "weeks=53", "weeks=two", "months=1"] {
        expect_problem(
            app.get(&s(&format!("/stats?{query}")), &ada.access).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
    }
    let cleo = app.register("cleo@example.org", "Cleo").await;
    expect_problem(
        app.get(&s("/stats"), &cleo.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// Found by an outside test: an occurrence kept and confirmed before its due time was missing
/// from the stats until the due time passed. A decided occurrence counts at once.
async fn an_occurrence_decided_early_counts_at_once(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    // Monday 08:00 UTC; due tonight at 21:00 Berlin.
    let body =
        json!({"text": "Phone away at dinner", "schedule": {"kind": "daily", "at": "21:00"}});
    let commitment = expect_json(
        app.post(&s("/commitments"), &ada.access, body).await,
        StatusCode::CREATED,
    )
    .await;
    let path = s(&format!(
        "/commitments/{}",
        commitment["id"].as_str().unwrap()
    ));
    let detail = expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await;
    let tonight = format!(
        "{path}/occurrences/{}",
        detail["occurrences"][0]["id"].as_str().unwrap()
    );
    expect_json(app.mark_kept(&ada.access, &tonight).await, StatusCode::OK).await;
    expect_json(
        app.confirm_kept(&ben.access, &tonight).await,
        StatusCode::OK,
    )
    .await;

    let stats = expect_json(
        app.get(&s("/stats?weeks=1"), &ben.access).await,
        StatusCode::OK,
    )
    .await;
    let adas = &stats["partners"][0];
    assert_eq!(adas["user_id"], ada.id.as_str());
    assert_eq!(
        adas["weeks"][0]["commitments"],
        json!({"kept": 1, "confirmed": 1, "disputed": 0, "missed": 0, "pending": 0, "on_time_ratio": 1.0})
    );
    assert_eq!(
        (adas["current_run"].as_u64(), adas["longest_run"].as_u64()),
        (Some(1), Some(1))
    );
}

on_both_databases!(
    stats_match_a_fortnight_worked_out_by_hand,
    an_occurrence_decided_early_counts_at_once
);
