//! Bad input for every endpoint: malformed JSON, wrong content type, wrong types, missing,
//! unknown and oversized fields, bodies over the limit, malformed ids, bad query parameters and
//! expired tokens. Each gets its documented problem, never a 500, and changes nothing.

use chrono::Duration;
use kept_tests::{Flavor, TestApp, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An endpoint that takes a JSON body, with a body it would accept and its required fields.
struct BodyEndpoint {
    method: Method,
    path: String,
    valid: Value,
    required: &'static [&'static str],
    /// A text field and how many characters are too many for it.
    bounded: Option<(&'static str, usize)>,
}

fn body_endpoints(space: &str) -> Vec<BodyEndpoint> {
    vec![
        BodyEndpoint {
            method: Method::POST,
            path: "/api/v1/auth/register".into(),
            valid: json!({"email": "new@example.org", "password": "long enough pw", "display_name": "N", "time_zone": "UTC"}),
            required: &["email", "password", "display_name", "time_zone"],
            bounded: Some(("display_name", 81)),
        },
        BodyEndpoint {
            method: Method::POST,
            path: "/api/v1/auth/login".into(),
            valid: json!({"email": "ada@example.org", "password": "correct horse battery"}),
            required: &["email", "password"],
            bounded: Some(("password", 1025)),
        },
        BodyEndpoint {
            method: Method::PATCH,
            path: "/api/v1/me".into(),
            valid: json!({"display_name": "Ada"}),
            required: &[],
            bounded: Some(("display_name", 81)),
        },
        BodyEndpoint {
            method: Method::POST,
            path: "/api/v1/spaces".into(),
            valid: json!({"name": "Another"}),
            required: &["name"],
            bounded: Some(("name", 201)),
        },
        BodyEndpoint {
            method: Method::POST,
            path: format!("/api/v1/spaces/{space}/invites"),
            valid: json!({"email": "ben@example.org"}),
            required: &[],
            bounded: Some(("email", 255)),
        },
        BodyEndpoint {
            method: Method::POST,
            path: format!("/api/v1/spaces/{space}/leave"),
            valid: json!({"mode": "normal"}),
            required: &["mode"],
            bounded: None,
        },
        BodyEndpoint {
            method: Method::POST,
            path: format!("/api/v1/spaces/{space}/check-ins"),
            valid: json!({"text": "Doing better today.", "mood": "calm"}),
            required: &["text"],
            bounded: Some(("text", 2001)),
        },
        BodyEndpoint {
            method: Method::POST,
            path: "/api/v1/auth/refresh".into(),
            valid: json!({"refresh_token": "x"}),
            required: &["refresh_token"],
            bounded: None,
        },
    ]
}

/// What a refused request must leave untouched.
async fn snapshot(app: &TestApp, token: &str, space: &str) -> (Value, Value, usize) {
    let me = expect_json(app.get("/api/v1/me", token).await, StatusCode::OK).await;
    let spaces = expect_json(app.get("/api/v1/spaces", token).await, StatusCode::OK).await;
    let events = expect_json(
        app.get(&format!("/api/v1/spaces/{space}/events"), token)
            .await,
        StatusCode::OK,
    )
    .await;
    (me, spaces, events["items"].as_array().unwrap().len())
}

async fn every_body_endpoint_refuses_bad_json_clearly(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let space = app.create_space(&ada, "Us").await;
    let before = snapshot(&app, &ada.access, &space).await;
    let token = Some(ada.access.as_str());

    for endpoint in body_endpoints(&space) {
        let what = format!("{} {}", endpoint.method, endpoint.path);
        let send = |content_type: &'static str, body: Vec<u8>| {
            app.call_raw(
                endpoint.method.clone(),
                &endpoint.path,
                token,
                content_type,
                body,
            )
        };

        for malformed in [
            "{",
            "{\"a\":}",
            "[1,2",
            "nul",
            "{\"email\": \"x\"} trailing",
        ] {
            let response = send("application/json", malformed.into()).await;
            expect_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
        }
        let response = send("text/plain", endpoint.valid.to_string().into_bytes()).await;
        expect_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;

        let response = send("application/json", vec![b' '; 70_000]).await;
        expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

        let response = send("application/json", b"[]".to_vec()).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;

        let mut unknown = endpoint.valid.clone();
        unknown["surprise"] = json!(true);
        let problem = expect_problem(
            send("application/json", unknown.to_string().into_bytes()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        )
        .await;
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("surprise"),
            "{what}: {problem}"
        );

        for field in endpoint.valid.as_object().unwrap().keys() {
            let mut wrong_type = endpoint.valid.clone();
            wrong_type[field] = json!({"nested": [1]});
            let response = send("application/json", wrong_type.to_string().into_bytes()).await;
            let problem =
                expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
            assert_eq!(
                problem["errors"][0]["field"],
                field.as_str(),
                "{what}: {problem}"
            );
        }
        for field in endpoint.required {
            let mut missing = endpoint.valid.clone();
            missing.as_object_mut().unwrap().remove(*field);
            let response = send("application/json", missing.to_string().into_bytes()).await;
            let problem =
                expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
            assert_eq!(problem["errors"][0]["field"], *field, "{what}: {problem}");
        }
        if let Some((field, too_many)) = endpoint.bounded {
            let mut oversized = endpoint.valid.clone();
            oversized[field] = json!("x".repeat(too_many));
            let response = send("application/json", oversized.to_string().into_bytes()).await;
            let problem =
                expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
            assert_eq!(problem["errors"][0]["field"], field, "{what}: {problem}");
        }
    }
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/leave"),
            &ada.access,
            json!({"mode": "dramatic"}),
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let register = json!({"email": "not-an-email", "password": "short", "display_name": " ", "time_zone": "Nowhere/Land"});
    let response = app
        .call(Method::POST, "/api/v1/auth/register", None, Some(register))
        .await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["email", "password", "display_name", "time_zone"],
        "every field at once"
    );

    assert_eq!(
        snapshot(&app, &ada.access, &space).await,
        before,
        "refused requests changed nothing"
    );
}

async fn ids_and_query_parameters_are_checked(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let space = app.create_space(&ada, "Us").await;
    for path in [
        "/api/v1/spaces/not-a-uuid",
        "/api/v1/spaces/not-a-uuid/events",
        "/api/v1/spaces/%00",
    ] {
        expect_problem(
            app.get(path, &ada.access).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    for query in [
        "after=-1",
        "limit=0",
        "limit=501",
        "after=abc",
        "limit=1.5",
        "bogus=1",
    ] {
        let response = app
            .get(
                &format!("/api/v1/spaces/{space}/events?{query}"),
                &ada.access,
            )
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    for query in ["before=nope", "limit=0", "limit=201"] {
        let response = app
            .get(
                &format!("/api/v1/spaces/{space}/check-ins?{query}"),
                &ada.access,
            )
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    for query in ["after=-1", "after=x", "ticket=a&surprise=1"] {
        let response = app
            .get(&format!("/api/v1/spaces/{space}/live?{query}"), &ada.access)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    let response = app
        .get(
            &format!("/api/v1/spaces/{space}/check-ins/not-a-uuid"),
            &ada.access,
        )
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/invites/%20/accept",
            Some(&ada.access),
            None,
        )
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, "invite_not_found").await;
}

async fn every_authenticated_endpoint_refuses_an_expired_token(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let space = app.create_space(&ada, "Us").await;
    let code = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(Duration::minutes(16));
    let calls = [
        (Method::GET, "/api/v1/me".to_owned(), None),
        (
            Method::PATCH,
            "/api/v1/me".to_owned(),
            Some(json!({"display_name": "X"})),
        ),
        (Method::POST, "/api/v1/auth/logout".to_owned(), None),
        (Method::POST, "/api/v1/auth/logout-all".to_owned(), None),
        (
            Method::POST,
            "/api/v1/spaces".to_owned(),
            Some(json!({"name": "X"})),
        ),
        (Method::GET, "/api/v1/spaces".to_owned(), None),
        (Method::GET, format!("/api/v1/spaces/{space}"), None),
        (
            Method::POST,
            format!("/api/v1/spaces/{space}/invites"),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/spaces/{space}/invites/{code}"),
            None,
        ),
        (Method::POST, format!("/api/v1/invites/{code}/accept"), None),
        (
            Method::POST,
            format!("/api/v1/spaces/{space}/leave"),
            Some(json!({"mode": "normal"})),
        ),
        (Method::GET, format!("/api/v1/spaces/{space}/events"), None),
        (
            Method::POST,
            format!("/api/v1/spaces/{space}/check-ins"),
            Some(json!({"text": "x"})),
        ),
        (
            Method::GET,
            format!("/api/v1/spaces/{space}/check-ins"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/spaces/{space}/check-ins/{}", uuid::Uuid::now_v7()),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/spaces/{space}/live-ticket"),
            None,
        ),
    ];
    for (method, path, body) in calls {
        let response = app.call(method, &path, Some(&ada.access), body).await;
        expect_problem(response, StatusCode::UNAUTHORIZED, "token_expired").await;
    }
    let fresh = expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
    let seen = expect_json(
        app.get(
            &format!("/api/v1/spaces/{space}"),
            fresh["access_token"].as_str().unwrap(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (seen["state"].as_str(), seen["last_seq"].as_i64()),
        (Some("open"), Some(2)),
        "nothing changed"
    );
}

on_both_databases!(
    every_body_endpoint_refuses_bad_json_clearly,
    ids_and_query_parameters_are_checked,
    every_authenticated_endpoint_refuses_an_expired_token,
);
