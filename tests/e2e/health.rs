//! Operational endpoints and the answers for paths that do not exist.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::{Method, StatusCode};

async fn health_and_readiness_answer(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let health = expect_json(
        app.call(Method::GET, "/healthz", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready = expect_json(
        app.call(Method::GET, "/readyz", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ready["status"], "ready");
    let response = app
        .call(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert!(response.headers().get("x-request-id").is_some());
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let help = expect_json(
        app.call(Method::GET, "/api/v1/help-resources", None, None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        help["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"].is_string())
    );
}

on_both_databases!(health_and_readiness_answer);
