//! The export: everything the caller may see of the space, and nothing the partner kept private.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn the_export_holds_what_the_caller_may_see(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    expect_json(
        app.post(
            &s("/requests"),
            &ada.access,
            json!({"text": "Tell me about your day."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        app.post(&s("/check-ins"), &ben.access, json!({"text": "Long day."}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        app.post(
            &s("/trust"),
            &ben.access,
            json!({"score": 3, "note": "private"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let later = json!({"kind": "letter", "text": "Not yet.", "deliver_at": "2026-04-01T08:00:00Z"});
    expect_json(
        app.post(&s("/notes"), &ben.access, later).await,
        StatusCode::CREATED,
    )
    .await;
    let commitment =
        json!({"text": "Ask about her day", "schedule": {"kind": "daily", "at": "19:00:00"}});
    expect_json(
        app.post(&s("/commitments"), &ben.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;

    let response = app.get(&s("/export"), &ada.access).await;
    let disposition = response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains(&format!("kept-{space}.json")),
        "{disposition}"
    );
    let export = expect_json(response, StatusCode::OK).await;
    assert_eq!(export["space"]["id"], space.as_str());
    assert_eq!(export["requests"].as_array().unwrap().len(), 1);
    assert_eq!(export["check_ins"][0]["text"], "Long day.");
    assert_eq!(
        export["commitments"][0]["occurrences"]
            .as_array()
            .unwrap()
            .len(),
        14
    );
    assert_eq!(
        export["trust"],
        json!([]),
        "Ben's private rating is not Ada's to export"
    );
    assert_eq!(export["notes"], json!([]), "nor his letter before its day");
    let text = export.to_string();
    assert!(
        !text.contains("Not yet.") && !text.contains("private"),
        "not in the events either"
    );
    let bens = expect_json(app.get(&s("/export"), &ben.access).await, StatusCode::OK).await;
    assert_eq!(
        (
            bens["trust"].as_array().unwrap().len(),
            bens["notes"].as_array().unwrap().len()
        ),
        (1, 1)
    );

    let cleo = app.register("cleo@example.org", "Cleo").await;
    expect_problem(
        app.get(&s("/export"), &cleo.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

on_both_databases!(the_export_holds_what_the_caller_may_see);
