//! Web Push subscriptions: the server's public key; a device subscribes with an endpoint that is
//! checked first (https on a public address; a private one only where the operator allows it);
//! its owner lists, renames, narrows and removes it, and nobody else can; one device belongs to
//! one account; signing out everywhere and the safety exit remove every device of the person.

use kept_tests::{
    Flavor, Person, TestApp, expect_json, expect_problem, on_both_databases, spawn_app,
    spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A device's keys as a browser gives them: a 65-byte uncompressed point and 16 bytes.
fn keys() -> Value {
    json!({"p256dh": format!("BA{}", "A".repeat(85)), "auth": "AAAAAAAAAAAAAAAAAAAAAA"})
}

fn device(endpoint: &str, label: &str) -> Value {
    json!({"endpoint": endpoint, "keys": keys(), "label": label})
}

async fn subscribe(app: &TestApp, access: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/me/push-subscriptions", access, body)
        .await
}

async fn devices(app: &TestApp, access: &str) -> Vec<Value> {
    let list = app.get("/api/v1/me/push-subscriptions", access).await;
    let list = expect_json(list, StatusCode::OK).await;
    list["items"].as_array().unwrap().clone()
}

/// Signs `person` in again (after their sessions were ended).
async fn sign_in_again(app: &TestApp, person: &Person) -> Person {
    let answer = expect_json(app.login(&person.email).await, StatusCode::OK).await;
    Person {
        access: answer["access_token"].as_str().unwrap().to_owned(),
        refresh: answer["refresh_token"].as_str().unwrap().to_owned(),
        ..person.clone()
    }
}

async fn devices_are_checked_owned_and_removed_with_the_sessions(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let key = app.call(reqwest::Method::GET, "/api/v1/push/public-key", None, None);
    let key = expect_json(key.await, StatusCode::OK).await;
    let public = key["public_key"].as_str().unwrap();
    assert!(public.len() == 87 && public.starts_with('B'), "{public}");

    let (ada, mut ben, space) = app.paired_space().await;
    // Endpoints the server must not connect to, and malformed input: 422 naming the field,
    // nothing stored.
    for (endpoint, says) in [
        ("http://push.example.net/sub/1", "https"),
        ("https://10.0.0.7/sub/1", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://[::1]/sub/1", "private"),
        ("https://localhost/sub/1", "private"),
        ("push.example.net/sub/1", "URL"),
    ] {
        let refused = subscribe(&app, &ada.access, device(endpoint, "Phone")).await;
        let problem =
            expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert_eq!(problem["errors"][0]["field"], "endpoint", "{endpoint}");
        assert!(problem.to_string().contains(says), "{endpoint}: {problem}");
    }
    let mut bad = device("https://push.example.net/sub/1", " ");
    bad["keys"] = json!({"p256dh": "AAAA", "auth": "not*base64"});
    let refused = subscribe(&app, &ada.access, bad).await;
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["keys.p256dh", "keys.auth", "label"]);
    let mut extra = device("https://push.example.net/sub/1", "Phone");
    extra["colour"] = json!("blue");
    let refused = subscribe(&app, &ada.access, extra).await;
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert!(devices(&app, &ada.access).await.is_empty());

    // A good one; the list shows the service, never the secret endpoint.
    let endpoint = "https://push.example.net/sub/ada-phone";
    let phone = expect_json(
        subscribe(&app, &ada.access, device(endpoint, "Phone")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(phone["service"], "https://push.example.net");
    assert_eq!(
        phone["kinds"],
        json!({"reminders": true, "activity": true, "weekly": true})
    );
    let listed = devices(&app, &ada.access).await;
    assert_eq!(listed.len(), 1);
    assert!(!Value::Array(listed).to_string().contains("ada-phone"));
    let one = format!(
        "/api/v1/me/push-subscriptions/{}",
        phone["id"].as_str().unwrap()
    );
    let change = json!({"label": "My phone", "kinds": {"reminders": true, "activity": false, "weekly": true}});
    let changed = app
        .call(
            reqwest::Method::PATCH,
            &one,
            Some(&ada.access),
            Some(change.clone()),
        )
        .await;
    let changed = expect_json(changed, StatusCode::OK).await;
    assert_eq!(
        (
            changed["label"].clone(),
            changed["kinds"]["activity"].clone()
        ),
        (json!("My phone"), json!(false))
    );
    // Nobody else's to change or remove.
    let theirs = app
        .call(
            reqwest::Method::PATCH,
            &one,
            Some(&ben.access),
            Some(change),
        )
        .await;
    expect_problem(theirs, StatusCode::NOT_FOUND, "not_found").await;
    let theirs = app
        .call(reqwest::Method::DELETE, &one, Some(&ben.access), None)
        .await;
    expect_problem(theirs, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(devices(&app, &ada.access).await.len(), 1);

    // The same device signed in as Ben is Ben's now, and no longer Ada's.
    expect_json(
        subscribe(&app, &ben.access, device(endpoint, "Shared tablet")).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(devices(&app, &ada.access).await.is_empty());
    assert_eq!(devices(&app, &ben.access).await.len(), 1);

    // Signing out everywhere ends every device's notifications.
    let out = app.logout_everywhere(&ben.access).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    ben = sign_in_again(&app, &ben).await;
    assert!(devices(&app, &ben.access).await.is_empty());

    // So does the safety exit.
    expect_json(
        subscribe(
            &app,
            &ada.access,
            device("https://push.example.net/sub/2", "Laptop"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let exit = app
        .post(
            &format!("/api/v1/spaces/{space}/leave"),
            &ada.access,
            json!({"mode": "safety"}),
        )
        .await;
    expect_json(exit, StatusCode::OK).await;
    let ada = sign_in_again(&app, &ada).await;
    assert!(devices(&app, &ada.access).await.is_empty());

    // Removing one's own device.
    let tablet = expect_json(
        subscribe(&app, &ben.access, device(endpoint, "Tablet")).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!(
        "/api/v1/me/push-subscriptions/{}",
        tablet["id"].as_str().unwrap()
    );
    let gone = app
        .call(reqwest::Method::DELETE, &path, Some(&ben.access), None)
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert!(devices(&app, &ben.access).await.is_empty());
}

/// Where the operator allows it (tests, closed networks), a receiver on loopback over plain
/// http is accepted.
async fn private_endpoints_where_the_operator_allows_them(flavor: Flavor) {
    let allow = [("KEPT__PUSH__ALLOW_PRIVATE_ENDPOINTS", "true")];
    let Some(app) = spawn_app_with(flavor, &allow).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let local = device("http://127.0.0.1:9/push/1", "Test receiver");
    let added = subscribe(&app, &ada.access, local).await;
    let added = expect_json(added, StatusCode::CREATED).await;
    assert_eq!(added["service"], "http://127.0.0.1:9");
    let other = subscribe(&app, &ada.access, device("ftp://127.0.0.1/x", "No")).await;
    expect_problem(other, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
}

on_both_databases!(
    devices_are_checked_owned_and_removed_with_the_sessions,
    private_endpoints_where_the_operator_allows_them
);
