//! How long a space outlives its partners: the one still in a space the other left may delete
//! it at once; a space both have left is deleted by the scheduler after
//! `retention.closed_space_days`, and not a day before.

use chrono::Duration;
use kept_tests::rows::every_cell;
use kept_tests::{Flavor, Person, TestApp, expect_json, expect_problem, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration as Wait;

/// Two new people sharing a new space.
async fn pair(app: &TestApp, a: &str, b: &str) -> (Person, Person, String) {
    let first = app.register(&format!("{a}@example.org"), a).await;
    let second = app.register(&format!("{b}@example.org"), b).await;
    let space = app.create_space(&first, "Us").await;
    let code = app.invite(&first, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_json(app.accept(&second, &code).await, StatusCode::OK).await;
    (first, second, space)
}

async fn leave(app: &TestApp, person: &Person, space: &str) {
    let response = app
        .leave_space(&person.access, space, json!({"mode": "normal"}))
        .await;
    expect_json(response, StatusCode::OK).await;
}

fn space_exists(app: &TestApp, space: &str) -> bool {
    every_cell(app.db())
        .iter()
        .any(|(table, column, value)| table == "spaces" && column == "id" && value == space)
}

async fn delete_space(app: &TestApp, person: &Person, space: &str) -> reqwest::Response {
    let path = format!("/api/v1/spaces/{space}");
    app.call(Method::DELETE, &path, Some(&person.access), None)
        .await
}

async fn the_last_member_deletes_a_space_at_once(flavor: Flavor) {
    let Some(app) = kept_tests::spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = pair(&app, "ada", "ben").await;
    let path = format!("/api/v1/spaces/{space}/check-ins");
    let check_in = app
        .post(&path, &ben.access, json!({"text": "Still here"}))
        .await;
    expect_json(check_in, StatusCode::CREATED).await;
    let both_in = delete_space(&app, &ben, &space).await;
    expect_problem(both_in, StatusCode::CONFLICT, "not_last_member").await;

    leave(&app, &ada, &space).await;
    let gone = delete_space(&app, &ada, &space).await;
    expect_problem(gone, StatusCode::NOT_FOUND, "not_found").await;
    let stranger = app.register("cleo@example.org", "Cleo").await;
    let stranger = delete_space(&app, &stranger, &space).await;
    expect_problem(stranger, StatusCode::NOT_FOUND, "not_found").await;
    assert!(space_exists(&app, &space), "refusals change nothing");

    assert_eq!(
        delete_space(&app, &ben, &space).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!space_exists(&app, &space));
    let cells = every_cell(app.db());
    assert!(
        !cells.iter().any(|(_, _, v)| v.contains("Still here")),
        "its items went with it"
    );
    let shown = app
        .get(&format!("/api/v1/spaces/{space}"), &ben.access)
        .await;
    expect_problem(shown, StatusCode::NOT_FOUND, "not_found").await;
    let listed = expect_json(app.get("/api/v1/spaces", &ben.access).await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
}

async fn a_space_both_partners_left_is_deleted_after_its_days(flavor: Flavor) {
    let settings = [
        ("KEPT__SCHEDULER__TICK_MILLIS", "40"),
        ("KEPT__RETENTION__CLOSED_SPACE_DAYS", "30"),
    ];
    let Some(app) = kept_tests::spawn_app_with(flavor, &settings).await else {
        return;
    };
    let (ada, mut ben, abandoned) = pair(&app, "ada", "ben").await;
    let (mut cleo, _dan, kept) = pair(&app, "cleo", "dan").await;
    leave(&app, &ada, &abandoned).await;
    // Ben leaves ten days after Ada: the days count from the second to go.
    app.advance(Duration::days(10), &mut [&mut ben, &mut cleo])
        .await;
    leave(&app, &ben, &abandoned).await;
    // Only Cleo left the other space: Dan is still in it, so it stays however long.
    leave(&app, &cleo, &kept).await;

    // 29 days after Ben left (the second to go): kept.
    app.clock.advance(Duration::days(29));
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert!(
        space_exists(&app, &abandoned),
        "deleted before its days were up"
    );
    // 31 days: gone, the other stays.
    app.clock.advance(Duration::days(2));
    for _ in 0..250 {
        if !space_exists(&app, &abandoned) {
            break;
        }
        tokio::time::sleep(Wait::from_millis(20)).await;
    }
    assert!(
        !space_exists(&app, &abandoned),
        "not deleted after its days"
    );
    assert!(space_exists(&app, &kept));
}

on_both_databases!(
    the_last_member_deletes_a_space_at_once,
    a_space_both_partners_left_is_deleted_after_its_days,
);
