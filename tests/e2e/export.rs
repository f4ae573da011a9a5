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

/// `GET /me/export`: the caller's profile and, in each space, what they wrote, private ratings
/// included; none of the partner's own items.
async fn the_personal_export_holds_what_the_caller_wrote(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    let post = |access: &str, path: &str, body: serde_json::Value| {
        let (access, path) = (access.to_owned(), s(path));
        let app = &app;
        async move { expect_json(app.post(&path, &access, body).await, StatusCode::CREATED).await }
    };
    post(&ada.access, "/check-ins", json!({"text": "ADA check-in"})).await;
    post(&ben.access, "/check-ins", json!({"text": "BEN check-in"})).await;
    post(&ada.access, "/requests", json!({"text": "ADA request"})).await;
    let his = post(&ben.access, "/requests", json!({"text": "BEN request"})).await;
    let acknowledge = s(&format!(
        "/requests/{}/acknowledge",
        his["id"].as_str().unwrap()
    ));
    let reply = app
        .post(&acknowledge, &ada.access, json!({"reply": "ADA reply"}))
        .await;
    expect_json(reply, StatusCode::OK).await;
    let daily = json!({"kind": "daily", "at": "21:00:00"});
    post(
        &ada.access,
        "/commitments",
        json!({"text": "ADA commitment", "schedule": daily}),
    )
    .await;
    post(
        &ben.access,
        "/notes",
        json!({"kind": "letter", "text": "BEN letter"}),
    )
    .await;
    post(
        &ada.access,
        "/trust",
        json!({"score": 4, "note": "ADA private", "shared": false}),
    )
    .await;

    let round = post(&ben.access, "/weekly", json!({})).await;
    let round = s(&format!("/weekly/{}", round["id"].as_str().unwrap()));
    let hers = json!({"answers": [{"prompt": 3, "text": "ADA weekly", "private": true}]});
    expect_json(
        app.save_weekly(&ada.access, &round, hers).await,
        StatusCode::OK,
    )
    .await;
    let his = json!({"answers": [{"prompt": 0, "text": "BEN weekly"}]});
    expect_json(
        app.save_weekly(&ben.access, &round, his).await,
        StatusCode::OK,
    )
    .await;

    let response = app.get("/api/v1/me/export", &ada.access).await;
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"kept-me-"),
        "{disposition}"
    );
    let export = expect_json(response, StatusCode::OK).await;
    assert_eq!(export["profile"]["email"], "ada@example.org");
    assert!(
        export["profile"]["mail"].is_object(),
        "preferences are in it"
    );
    let mine = &export["spaces"][0];
    assert_eq!(mine["space"]["id"], space.as_str());
    assert_eq!(mine["check_ins"][0]["text"], "ADA check-in");
    assert_eq!(mine["check_ins"].as_array().unwrap().len(), 1);
    assert_eq!(mine["requests"][0]["text"], "ADA request");
    assert_eq!(mine["replies"][0]["reply"], "ADA reply");
    assert_eq!(
        mine["commitments"][0]["commitment"]["text"],
        "ADA commitment"
    );
    assert!(mine["commitments"][0]["occurrences"].is_array());
    assert_eq!(mine["trust"][0]["note"], "ADA private");
    assert_eq!(
        mine["weekly"][0]["answers"]["answers"][0]["text"],
        "ADA weekly"
    );
    assert_eq!(mine["weekly"][0]["prompts"].as_array().unwrap().len(), 4);
    let text = export.to_string();
    assert!(
        !text.contains("BEN check-in")
            && !text.contains("BEN letter")
            && !text.contains("BEN weekly"),
        "{text}"
    );

    expect_problem(
        app.call(reqwest::Method::GET, "/api/v1/me/export", None, None)
            .await,
        StatusCode::UNAUTHORIZED,
        "missing_token",
    )
    .await;
}

on_both_databases!(
    the_export_holds_what_the_caller_may_see,
    the_personal_export_holds_what_the_caller_wrote,
);
