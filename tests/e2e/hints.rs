//! Hints: suggestions about phrasing, by preview and with what a partner creates. Never a block.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn hints_suggest_and_never_block(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;

    let preview = |body| app.post("/api/v1/hints", &ada.access, body);
    let answer = expect_json(
        preview(json!({"kind": "request", "text": "You never call when you're late."})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer["items"][0]["code"], "blame_phrasing");
    assert_eq!(answer["items"][0]["span"], json!({"start": 0, "end": 9}));
    let gift =
        json!({"kind": "gratitude", "text": "Thank you for Sunday. I got you a present for you."});
    assert_eq!(
        expect_json(preview(gift).await, StatusCode::OK).await["items"][0]["code"],
        "gift_in_gratitude"
    );
    let kind = json!({"kind": "commitment", "text": "Text you by 18:00 on weekdays if I'm late."});
    assert_eq!(
        expect_json(preview(kind).await, StatusCode::OK).await["items"],
        json!([])
    );

    // The same hints come back with what is created, and the item is created all the same.
    let base = format!("/api/v1/spaces/{space}/requests");
    let created = expect_json(
        app.post(
            &base,
            &ada.access,
            json!({"text": "You always pick your phone over me."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "blame_phrasing");
    assert_eq!(created["state"], "open");
    let ack = format!("{base}/{}/acknowledge", created["id"].as_str().unwrap());
    let heard = expect_json(
        app.post(&ack, &ben.access, json!({"reply": "I know how you feel."}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(heard["hints"][0]["code"], "claims_their_feelings");
    let calm = expect_json(
        app.post(
            &format!("/api/v1/spaces/{space}/check-ins"),
            &ben.access,
            json!({"text": "Good day."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(calm["hints"], json!([]));

    let bad_kind = preview(json!({"kind": "poem", "text": "x"})).await;
    assert_eq!(
        expect_problem(bad_kind, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "kind"
    );
    let too_long = preview(json!({"kind": "letter", "text": "x".repeat(20_001)})).await;
    assert_eq!(
        expect_problem(too_long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "text"
    );
    let missing = preview(json!({"kind": "letter"})).await;
    assert_eq!(
        expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "text"
    );
    let anonymous = app
        .hints(None, json!({"kind": "letter", "text": "x"}))
        .await;
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;
}

on_both_databases!(hints_suggest_and_never_block);
