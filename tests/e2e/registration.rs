//! The registration policy: open, invite only (the invited partner and the first account of an
//! empty server), closed; and a sign-up that carries an invite joins its space at once.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn sign_up(email: &str, invite_code: Option<&str>) -> Value {
    let mut body = json!({
        "email": email, "password": "correct horse battery", "display_name": "P", "time_zone": "UTC"
    });
    if let Some(code) = invite_code {
        body["invite_code"] = json!(code);
    }
    body
}

async fn invite_only_admits_the_first_account_and_invited_partners(flavor: Flavor) {
    let settings = [("KEPT__AUTH__REGISTRATION", "invite_only")];
    let Some(app) = spawn_app_with(flavor, &settings).await else {
        return;
    };
    let policy = expect_json(app.registration_policy().await, StatusCode::OK).await;
    assert_eq!(policy["policy"], "invite_only");

    // The first account of an empty server needs no invite: someone has to start.
    let ada = app.register("ada@example.org", "Ada").await;
    let stranger = app.register_with(sign_up("eve@example.org", None)).await;
    expect_problem(stranger, StatusCode::FORBIDDEN, "registration_closed").await;
    let unknown = app
        .register_with(sign_up("eve@example.org", Some("not-a-code")))
        .await;
    expect_problem(unknown, StatusCode::NOT_FOUND, "invite_not_found").await;
    // A made-up code says nothing about which addresses have accounts.
    let taken = app
        .register_with(sign_up("ada@example.org", Some("not-a-code")))
        .await;
    expect_problem(taken, StatusCode::NOT_FOUND, "invite_not_found").await;
    let login = app.login("eve@example.org").await;
    expect_problem(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    // The invited partner signs up with the code and is in the space at once.
    let space = app.create_space(&ada, "Us").await;
    let code = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .register_with(sign_up("ben@example.org", Some(&code)))
        .await;
    let registered = expect_json(answer, StatusCode::CREATED).await;
    assert_eq!(registered["space"]["id"], space.as_str());
    assert_eq!(registered["space"]["state"], "paired");
    let members = registered["space"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    let kinds: Vec<Value> = app
        .events(&ada, &space)
        .await
        .iter()
        .map(|event| event["kind"].clone())
        .collect();
    assert_eq!(kinds.last().unwrap(), "member.joined");

    // A spent code admits nobody else, and the refused sign-up leaves no account behind.
    let again = app
        .register_with(sign_up("carl@example.org", Some(&code)))
        .await;
    expect_problem(again, StatusCode::CONFLICT, "invite_used").await;
    let login = app.login("carl@example.org").await;
    expect_problem(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let bad = app
        .register_with(sign_up("dora@example.org", Some("")))
        .await;
    let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem["errors"][0]["field"], "invite_code", "{problem}");
}

async fn a_closed_server_takes_no_sign_ups_at_all(flavor: Flavor) {
    let settings = [("KEPT__AUTH__REGISTRATION", "closed")];
    let Some(app) = spawn_app_with(flavor, &settings).await else {
        return;
    };
    let policy = expect_json(app.registration_policy().await, StatusCode::OK).await;
    assert_eq!(policy["policy"], "closed");
    for code in [None, Some("some-code")] {
        let refused = app.register_with(sign_up("ada@example.org", code)).await;
        let problem = expect_problem(refused, StatusCode::FORBIDDEN, "registration_closed").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("runs it"),
            "{problem}"
        );
    }
    let login = app.login("ada@example.org").await;
    expect_problem(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

async fn an_open_server_takes_anyone_and_an_invite_joins_on_sign_up(flavor: Flavor) {
    let Some(app) = spawn_app_with(flavor, &[]).await else {
        return;
    };
    let policy = expect_json(app.registration_policy().await, StatusCode::OK).await;
    assert_eq!(policy["policy"], "open");
    let ada = app.register("ada@example.org", "Ada").await;
    let plain = expect_json(
        app.register_with(sign_up("eve@example.org", None)).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(plain["space"].is_null());
    let space = app.create_space(&ada, "Us").await;
    let code = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let joined = expect_json(
        app.register_with(sign_up("ben@example.org", Some(&code)))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(joined["space"]["id"], space.as_str());
}

on_both_databases!(
    invite_only_admits_the_first_account_and_invited_partners,
    a_closed_server_takes_no_sign_ups_at_all,
    an_open_server_takes_anyone_and_an_invite_joins_on_sign_up,
);
