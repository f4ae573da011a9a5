//! Requests ("what do you need"): stated by one partner, acknowledged by the other in their own
//! words, resolved or withdrawn by the author; the referee rule holds with 403 and a code.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn a_need_is_stated_heard_and_resolved(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/requests");
    let need = "I need you to tell me when plans change, before they change.";
    let created = expect_json(
        app.post(&base, &ada.access, json!({"text": need})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (created["state"].as_str(), created["text"].as_str()),
        (Some("open"), Some(need))
    );
    let item = format!("{base}/{}", created["id"].as_str().unwrap());

    // Only the partner acknowledges; only the author resolves.
    let own = app
        .post(
            &format!("{item}/acknowledge"),
            &ada.access,
            json!({"reply": "I hear me."}),
        )
        .await;
    expect_problem(own, StatusCode::FORBIDDEN, "not_the_partner").await;
    let early = app
        .post(&format!("{item}/resolve"), &ada.access, json!({}))
        .await;
    expect_problem(early, StatusCode::CONFLICT, "request_not_acknowledged").await;
    let reply = "You want to hear about changes early, so you are not left guessing.";
    let heard = expect_json(
        app.post(
            &format!("{item}/acknowledge"),
            &ben.access,
            json!({"reply": reply}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (heard["state"].as_str(), heard["reply"].as_str()),
        (Some("acknowledged"), Some(reply))
    );
    let again = app
        .post(
            &format!("{item}/acknowledge"),
            &ben.access,
            json!({"reply": reply}),
        )
        .await;
    expect_problem(again, StatusCode::CONFLICT, "request_not_open").await;
    let not_bens = app
        .post(
            &format!("{item}/resolve"),
            &ben.access,
            json!({"felt_heard": true}),
        )
        .await;
    expect_problem(not_bens, StatusCode::FORBIDDEN, "not_the_author").await;
    let resolved = expect_json(
        app.post(
            &format!("{item}/resolve"),
            &ada.access,
            json!({"felt_heard": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (resolved["state"].as_str(), resolved["felt_heard"].as_bool()),
        (Some("resolved"), Some(true))
    );
    let closed = app.withdraw_request(&ada.access, &item).await;
    expect_problem(closed, StatusCode::CONFLICT, "request_closed").await;

    // A second request, withdrawn; the list filters by state.
    let second = expect_json(
        app.post(&base, &ben.access, json!({"text": "Walks after dinner?"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let second_at = format!("{base}/{}", second["id"].as_str().unwrap());
    let withdrawn = expect_json(
        app.withdraw_request(&ben.access, &second_at).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(withdrawn["state"], "withdrawn");
    let all = expect_json(app.get(&base, &ada.access).await, StatusCode::OK).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let only = expect_json(
        app.get(&format!("{base}?state=resolved"), &ben.access)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        only["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>(),
        [created["id"].clone()]
    );
    expect_json(app.get(&item, &ben.access).await, StatusCode::OK).await;

    let kinds: Vec<String> = app
        .events(&ben, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    let request_kinds: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| k.starts_with("request."))
        .collect();
    assert_eq!(
        request_kinds,
        [
            "request.created",
            "request.acknowledged",
            "request.resolved",
            "request.created",
            "request.withdrawn"
        ]
    );
}

async fn requests_refuse_bad_input_and_other_spaces(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let base = format!("/api/v1/spaces/{space}/requests");
    let created = expect_json(
        app.post(
            &base,
            &ada.access,
            json!({"text": "Time alone on Sundays."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut created = created;
    created.as_object_mut().unwrap().remove("hints");
    let item = format!("{base}/{}", created["id"].as_str().unwrap());

    let too_long = app
        .post(&base, &ada.access, json!({"text": "x".repeat(20_001)}))
        .await;
    assert_eq!(
        expect_problem(too_long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "text"
    );
    let missing = app
        .post(&format!("{item}/acknowledge"), &ben.access, json!({}))
        .await;
    assert_eq!(
        expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "reply"
    );
    let wrong_type = app
        .post(
            &format!("{item}/resolve"),
            &ada.access,
            json!({"felt_heard": "yes"}),
        )
        .await;
    expect_problem(
        wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    expect_problem(
        app.get(&format!("{base}?state=forgotten"), &ada.access)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    expect_problem(
        app.get(&format!("{base}/not-an-id"), &ada.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let cleo = app.register("cleo@example.org", "Cleo").await;
    let cleos = app.create_space(&cleo, "Cleo's").await;
    let hers = expect_json(
        app.post(
            &format!("/api/v1/spaces/{cleos}/requests"),
            &cleo.access,
            json!({"text": "Mine."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let through_ours = format!("{base}/{}", hers["id"].as_str().unwrap());
    expect_problem(
        app.get(&through_ours, &ada.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let ack = app
        .post(
            &format!("{through_ours}/acknowledge"),
            &ben.access,
            json!({"reply": "no"}),
        )
        .await;
    expect_problem(ack, StatusCode::NOT_FOUND, "not_found").await;
    expect_problem(
        app.get(&item, &cleo.access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let unchanged: Value = expect_json(app.get(&item, &ada.access).await, StatusCode::OK).await;
    assert_eq!(unchanged, created, "refused requests changed nothing");
}

on_both_databases!(
    a_need_is_stated_heard_and_resolved,
    requests_refuse_bad_input_and_other_spaces
);
