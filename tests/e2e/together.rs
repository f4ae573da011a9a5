//! Trust ratings (one per local day, private or shared) and activities planned together.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn trust_is_rated_once_a_day_privately_or_shared(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let path = format!("/api/v1/spaces/{space}/trust");

    let private = expect_json(
        app.post(
            &path,
            &ben.access,
            json!({"score": 4, "note": "Still raw."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (private["shared"].as_bool(), private["local_day"].as_str()),
        (Some(false), Some("2026-03-02"))
    );
    let adas_view = expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        adas_view["items"],
        json!([]),
        "a private rating is Ben's alone"
    );
    assert!(
        app.events(&ada, &space)
            .await
            .iter()
            .all(|e| e["kind"] != "trust.rated")
    );

    // Later the same day Ben shares a new rating: it replaces the private one.
    app.advance(Duration::hours(10), &mut [&mut ada, &mut ben])
        .await;
    let shared = expect_json(
        app.post(&path, &ben.access, json!({"score": 6, "shared": true}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let bens_view = expect_json(app.get(&path, &ben.access).await, StatusCode::OK).await;
    assert_eq!(
        bens_view["items"].as_array().unwrap().len(),
        1,
        "one per person per local day"
    );
    let adas_view = expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await;
    assert_eq!(adas_view["items"][0]["score"], 6);
    let logged: Vec<Value> = app
        .events(&ben, &space)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "trust.rated")
        .collect();
    assert_eq!(logged.len(), 2, "both are in the log");
    assert_eq!(logged[1]["payload"]["replaces"], private["id"]);
    assert_eq!(
        shared["local_day"], "2026-03-02",
        "18:00 UTC is still Monday in Berlin"
    );

    // Past midnight in Berlin (23:00 UTC), a new day: a second rating stands beside the first.
    app.advance(Duration::hours(5), &mut [&mut ada, &mut ben])
        .await;
    let next = expect_json(
        app.post(&path, &ben.access, json!({"score": 7, "shared": true}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(next["local_day"], "2026-03-03");
    assert_eq!(
        expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    for (body, field) in [
        (json!({"score": 11}), "score"),
        (json!({"score": 0}), "score"),
        (json!({"score": "high"}), "score"),
        (json!({"score": 5, "note": "x".repeat(2001)}), "note"),
    ] {
        let problem = expect_problem(
            app.post(&path, &ada.access, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
}

async fn activities_are_planned_and_done_once(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/activities");
    let walk = expect_json(
        app.post(
            &base,
            &ada.access,
            json!({"title": "Walk by the river", "starts_at": "2026-03-07T10:00:00Z"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let walk_at = format!("{base}/{}", walk["id"].as_str().unwrap());
    let done = expect_json(
        app.mark_activity_done(&ben.access, &walk_at).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["done_by"], ben.id.as_str());
    expect_problem(
        app.mark_activity_done(&ada.access, &walk_at).await,
        StatusCode::CONFLICT,
        "activity_already_done",
    )
    .await;
    let listed = expect_json(app.get(&base, &ben.access).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["title"], "Walk by the river");
    let problem = expect_problem(
        app.post(&base, &ada.access, json!({"title": "x".repeat(201)}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "title");
    let kinds: Vec<String> = app
        .events(&ada, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.ends_with(&["activity.planned".into(), "activity.done".into()]));
}

on_both_databases!(
    trust_is_rated_once_a_day_privately_or_shared,
    activities_are_planned_and_done_once
);
