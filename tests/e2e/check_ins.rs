//! Check-ins: written by one partner, listed for both, bounded, and never across spaces.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn partners_check_in_and_read_each_others(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let path = format!("/api/v1/spaces/{space}/check-ins");
    let first = expect_json(
        app.post(
            &path,
            &ada.access,
            json!({"text": "  Tired, but hopeful. ", "mood": "hopeful"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (first["text"].as_str(), first["mood"].as_str()),
        (Some("Tired, but hopeful."), Some("hopeful"))
    );
    app.clock.advance(chrono::Duration::minutes(1));
    expect_json(
        app.post(
            &path,
            &ben.access,
            json!({"text": "Thank you for this morning."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(chrono::Duration::minutes(1));
    expect_json(
        app.post(&path, &ada.access, json!({"text": "Back home."}))
            .await,
        StatusCode::CREATED,
    )
    .await;

    let page = expect_json(
        app.get(&format!("{path}?limit=2"), &ben.access).await,
        StatusCode::OK,
    )
    .await;
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["Back home.", "Thank you for this morning."],
        "newest first"
    );
    let next = page["next"].as_str().unwrap();
    let rest = expect_json(
        app.get(&format!("{path}?limit=2&before={next}"), &ben.access)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest["items"][0]["id"], first["id"]);
    assert!(rest["next"].is_null());

    let one = expect_json(
        app.get(
            &format!("{path}/{}", first["id"].as_str().unwrap()),
            &ben.access,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mut first = first;
    first.as_object_mut().unwrap().remove("hints");
    assert_eq!(
        one, first,
        "the created check-in, as read back (without its hints)"
    );
    let kinds: Vec<String> = app
        .events(&ben, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "check_in.created").count(), 3);

    let response = app
        .post(&path, &ada.access, json!({"text": "x", "mood": "ecstatic"}))
        .await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem["errors"][0]["field"], "mood");

    // Another space's check-in is not found through this one, nor by an outsider.
    let cleo = app.register("cleo@example.org", "Cleo").await;
    let cleos = app.create_space(&cleo, "Cleo's").await;
    let hers = expect_json(
        app.post(
            &format!("/api/v1/spaces/{cleos}/check-ins"),
            &cleo.access,
            json!({"text": "Mine."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let through_ours = format!("{path}/{}", hers["id"].as_str().unwrap());
    expect_problem(
        app.get(&through_ours, &ada.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.get(&path, &cleo.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.post(&path, &cleo.access, json!({"text": "Let me in."}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // A closed space is read-only.
    app.post(
        &format!("/api/v1/spaces/{space}/leave"),
        &ben.access,
        json!({"mode": "normal"}),
    )
    .await;
    expect_problem(
        app.post(&path, &ada.access, json!({"text": "Anyone?"}))
            .await,
        StatusCode::CONFLICT,
        "space_closed",
    )
    .await;
    let still = expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await;
    assert_eq!(still["items"].as_array().unwrap().len(), 3);
}

on_both_databases!(partners_check_in_and_read_each_others);
