//! Accounts and sessions: registering, logging in, rotating refresh tokens, signing out.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn register_login_and_edit_the_profile(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("Ada@Example.ORG", "Ada").await;
    assert_eq!(ada.email, "ada@example.org", "emails are normalised");

    let duplicate = json!({"email": "ADA@example.org", "password": "another password", "display_name": "A", "time_zone": "UTC"});
    let response = app.register_with(duplicate).await;
    expect_problem(response, StatusCode::CONFLICT, "email_taken").await;

    let tokens = expect_json(app.login("ada@EXAMPLE.org").await, StatusCode::OK).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let wrong = json!({"email": "ada@example.org", "password": "wrong password"});
    let response = app.login_with(wrong).await;
    expect_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let unknown = json!({"email": "nobody@example.org", "password": "wrong password"});
    let response = app.login_with(unknown).await;
    expect_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        (me["display_name"].as_str(), me["time_zone"].as_str()),
        (Some("Ada"), Some("Europe/Berlin"))
    );
    assert_eq!(me["email_verified"], false);
    assert!(me.get("password_hash").is_none());

    let patch = json!({"display_name": "Ada L.", "time_zone": "America/New_York"});
    let response = app.patch_me(&ada.access, patch).await;
    let me = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        (me["display_name"].as_str(), me["time_zone"].as_str()),
        (Some("Ada L."), Some("America/New_York"))
    );
    let bad = json!({"time_zone": "Mars/Olympus", "display_name": ""});
    let response = app.patch_me(&ada.access, bad).await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        me["time_zone"], "America/New_York",
        "a refused edit changes nothing"
    );
}

async fn check_in_times_are_part_of_the_profile(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(me["check_in_times"], json!([]));
    let times = json!({"check_in_times": ["20:30:00", "08:00:00", "20:30:00"]});
    let me = expect_json(app.patch_me(&ada.access, times).await, StatusCode::OK).await;
    assert_eq!(
        me["check_in_times"],
        json!(["08:00:00", "20:30:00"]),
        "sorted, without repeats"
    );
    for bad in [
        json!(["25:00:00"]),
        json!([
            "08:00:00", "09:00:00", "10:00:00", "11:00:00", "12:00:00", "13:00:00", "14:00:00"
        ]),
        json!("08:00"),
    ] {
        let response = app
            .patch_me(&ada.access, json!({"check_in_times": bad}))
            .await;
        let problem =
            expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert!(
            problem["errors"][0]["field"]
                .as_str()
                .unwrap()
                .starts_with("check_in_times"),
            "{problem}"
        );
    }
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(
        me["check_in_times"],
        json!(["08:00:00", "20:30:00"]),
        "refused edits changed nothing"
    );
}

async fn refresh_rotates_and_a_reused_token_revokes_its_family(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;

    let first = expect_json(app.refresh_with(Some(&ada.refresh)).await, StatusCode::OK).await;
    let second_token = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_token, ada.refresh);
    let access = first["access_token"].as_str().unwrap().to_owned();
    expect_json(app.get("/api/v1/me", &access).await, StatusCode::OK).await;

    // The old token again: someone holds a copy. The whole family is revoked...
    expect_problem(
        app.refresh_with(Some(&ada.refresh)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    // ...so the newest token and its access token stop working too.
    expect_problem(
        app.refresh_with(Some(&second_token)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    expect_problem(
        app.get("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "session_ended",
    )
    .await;

    // Another device's session is a different family and is untouched.
    let other = expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
    expect_json(
        app.refresh_with(Some(other["refresh_token"].as_str().unwrap()))
            .await,
        StatusCode::OK,
    )
    .await;
}

async fn refresh_works_from_the_cookie_and_expires(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("kept_refresh={}", ada.refresh))
        .send()
        .await
        .unwrap();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let rotated = expect_json(response, StatusCode::OK).await;

    let empty = app.refresh_with(None).await;
    expect_problem(empty, StatusCode::UNAUTHORIZED, "missing_token").await;

    app.clock.advance(Duration::days(31));
    let late = app
        .refresh_with(Some(rotated["refresh_token"].as_str().unwrap()))
        .await;
    expect_problem(late, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
}

async fn access_tokens_expire_after_fifteen_minutes(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    app.clock.advance(Duration::minutes(14));
    expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    app.clock.advance(Duration::minutes(1));
    expect_problem(
        app.get("/api/v1/me", &ada.access).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
    expect_problem(
        app.get("/api/v1/me", "garbage").await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let anonymous = app.me(None).await;
    assert_eq!(
        anonymous
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;
}

async fn logout_ends_one_session_and_logout_all_ends_every_one(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let laptop = app.register("ada@example.org", "Ada").await;
    let phone = expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
    let phone_access = phone["access_token"].as_str().unwrap();
    let tablet = expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
    let tablet_access = tablet["access_token"].as_str().unwrap();

    let response = app.logout(phone_access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/me", phone_access).await,
        StatusCode::UNAUTHORIZED,
        "session_ended",
    )
    .await;
    expect_json(app.get("/api/v1/me", &laptop.access).await, StatusCode::OK).await;

    let response = app.logout_everywhere(tablet_access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.get("/api/v1/me", &laptop.access).await,
        StatusCode::UNAUTHORIZED,
        "session_ended",
    )
    .await;
    let refresh = app.refresh_with(Some(&laptop.refresh)).await;
    expect_problem(refresh, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
}

async fn login_and_register_are_rate_limited(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    app.register("ada@example.org", "Ada").await;
    let wrong = json!({"email": "ada@example.org", "password": "wrong password"});
    for _ in 0..20 {
        let response = app.login_with(wrong.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.login_with(wrong.clone()).await;
    assert!(response.headers().get("retry-after").is_some());
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Even the right password waits: the limit counts attempts, not failures.
    expect_problem(
        app.login("ada@example.org").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    app.clock.advance(Duration::minutes(1));
    expect_json(app.login("ada@example.org").await, StatusCode::OK).await;

    // Ada registered in an earlier minute; this minute's window starts empty.
    for i in 0..10 {
        app.register(&format!("person{i}@example.org"), "P").await;
    }
    let body = json!({"email": "one-more@example.org", "password": "correct horse battery", "display_name": "P", "time_zone": "UTC"});
    let response = app.register_with(body).await;
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

on_both_databases!(
    register_login_and_edit_the_profile,
    check_in_times_are_part_of_the_profile,
    refresh_rotates_and_a_reused_token_revokes_its_family,
    refresh_works_from_the_cookie_and_expires,
    access_tokens_expire_after_fifteen_minutes,
    logout_ends_one_session_and_logout_all_ends_every_one,
    login_and_register_are_rate_limited,
);
