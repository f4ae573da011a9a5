//! The weekly check-in: each partner answers on their own; nothing either wrote is readable by
//! the other, on any read path, until both have submitted; the second submission reveals once,
//! even when both submit at the same moment on two instances; a round that runs out of time, or
//! that a partner leaves, closes unrevealed and stays private.

use kept_tests::{
    Flavor, Person, TestApp, expect_json, expect_problem, on_both_databases, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every read path of the space a partner has, as one text: the round (current and by id), the
/// timeline, the export and the stats.
async fn everything_seen_by(app: &TestApp, reader: &Person, space: &str, round: &str) -> String {
    let mut seen = Vec::new();
    seen.push(
        expect_json(
            app.current_weekly(&reader.access, space).await,
            StatusCode::OK,
        )
        .await,
    );
    seen.push(
        expect_json(
            app.weekly_round(&reader.access, round).await,
            StatusCode::OK,
        )
        .await,
    );
    seen.push(Value::Array(app.events(reader, space).await));
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    seen.push(expect_json(app.get(&s("/export"), &reader.access).await, StatusCode::OK).await);
    seen.push(
        expect_json(
            app.get(&s("/stats?weeks=2"), &reader.access).await,
            StatusCode::OK,
        )
        .await,
    );
    Value::Array(seen).to_string()
}

fn round_path(space: &str, round: &Value) -> String {
    format!(
        "/api/v1/spaces/{space}/weekly/{}",
        round["id"].as_str().unwrap()
    )
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("weekly."))
        .collect()
}

async fn answers_stay_private_until_both_submit(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let opened = expect_json(
        app.open_weekly(&ada.access, &space, None).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["state"], "open");
    assert_eq!(opened["prompts"].as_array().unwrap().len(), 4);
    let round = round_path(&space, &opened);
    let again = app.open_weekly(&ben.access, &space, None).await;
    expect_problem(again, StatusCode::CONFLICT, "round_open").await;

    let adas = json!({"answers": [
        {"prompt": 0, "text": "ADA-SHARED thanks for Sunday"},
        {"prompt": 2, "text": "ADA-PRIVATE the hard part", "private": true}
    ], "rating": 7});
    let saved = expect_json(
        app.save_weekly(&ada.access, &round, adas).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved["mine"]["answers"].as_array().unwrap().len(), 2);
    assert_eq!(saved["submitted"], false);
    let before = everything_seen_by(&app, &ben, &space, &round).await;
    assert!(!before.contains("ADA-"), "a draft is the author's alone");
    let bens_view = expect_json(
        app.current_weekly(&ben.access, &space).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            bens_view["partner_ready"].clone(),
            bens_view["partner"].clone()
        ),
        (json!(false), Value::Null)
    );

    let submitted = expect_json(app.submit_weekly(&ada.access, &round).await, StatusCode::OK).await;
    assert_eq!(
        (submitted["state"].clone(), submitted["submitted"].clone()),
        (json!("open"), json!(true))
    );
    let waiting = everything_seen_by(&app, &ben, &space, &round).await;
    assert!(!waiting.contains("ADA-"), "ready is all the partner learns");
    let bens_view = expect_json(
        app.current_weekly(&ben.access, &space).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bens_view["partner_ready"], true);
    assert_eq!(bens_view["partner"], Value::Null);
    let late = app
        .save_weekly(&ada.access, &round, json!({"answers": []}))
        .await;
    expect_problem(late, StatusCode::CONFLICT, "already_submitted").await;

    let bens = json!({"answers": [{"prompt": 1, "text": "BEN-SHARED the walk"}]});
    expect_json(
        app.save_weekly(&ben.access, &round, bens).await,
        StatusCode::OK,
    )
    .await;
    let revealed = expect_json(app.submit_weekly(&ben.access, &round).await, StatusCode::OK).await;
    assert_eq!(revealed["state"], "revealed");
    assert_eq!(revealed["partner"]["rating"], 7);
    let partner = revealed["partner"].to_string();
    assert!(partner.contains("ADA-SHARED") && !partner.contains("ADA-PRIVATE"));
    let after = everything_seen_by(&app, &ben, &space, &round).await;
    assert!(
        !after.contains("ADA-PRIVATE"),
        "a private answer is never shown"
    );
    // The space's export keeps the revealed round as Ben may see it.
    let export = app
        .get(&format!("/api/v1/spaces/{space}/export"), &ben.access)
        .await;
    let exported = expect_json(export, StatusCode::OK).await["weekly"].to_string();
    assert!(exported.contains("ADA-SHARED") && !exported.contains("ADA-PRIVATE"));
    let adas_view = expect_json(app.weekly_round(&ada.access, &round).await, StatusCode::OK).await;
    assert!(
        adas_view["mine"].to_string().contains("ADA-PRIVATE"),
        "its author keeps it"
    );
    assert!(adas_view["partner"].to_string().contains("BEN-SHARED"));
    assert_eq!(
        kinds(&app.events(&ada, &space).await),
        ["weekly.opened", "weekly.ready", "weekly.revealed"],
        "the second submission is the reveal, one event"
    );
    let over = app.submit_weekly(&ben.access, &round).await;
    expect_problem(over, StatusCode::CONFLICT, "round_closed").await;
}

async fn bad_answers_change_nothing(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let prompts = json!(["One good thing", "one GOOD thing"]);
    let twice = app.open_weekly(&ada.access, &space, Some(prompts)).await;
    let problem = expect_problem(twice, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem["errors"][0]["field"], "prompts[1]");
    let none = app.open_weekly(&ada.access, &space, Some(json!([]))).await;
    expect_problem(none, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let ours = json!(["One good thing", "One worry"]);
    let opened = expect_json(
        app.open_weekly(&ada.access, &space, Some(ours)).await,
        StatusCode::CREATED,
    )
    .await;
    let round = round_path(&space, &opened);

    let nothing = app.submit_weekly(&ada.access, &round).await;
    expect_problem(nothing, StatusCode::CONFLICT, "nothing_to_submit").await;
    let bad = json!({"answers": [
        {"prompt": 2, "text": "no such prompt"},
        {"prompt": 0, "text": " "},
        {"prompt": 1, "text": "x".repeat(5_001)}
    ], "rating": 11});
    let problem = expect_problem(
        app.save_weekly(&ada.access, &round, bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "answers[0].prompt",
            "answers[1].text",
            "answers[2].text",
            "rating"
        ]
    );
    let wrong_type = app
        .save_weekly(&ada.access, &round, json!({"answers": "all good"}))
        .await;
    expect_problem(
        wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    let mine = expect_json(app.weekly_round(&ada.access, &round).await, StatusCode::OK).await;
    assert_eq!(mine["mine"]["answers"], json!([]), "nothing was saved");

    // Another space's round, a made-up id and an outsider are all not found.
    let cleo = app.register("cleo@example.org", "Cleo").await;
    let other_space = app.create_space(&cleo, "Theirs").await;
    let elsewhere = round.replace(&space, &other_space);
    let outsider = app.weekly_round(&cleo.access, &elsewhere).await;
    expect_problem(outsider, StatusCode::NOT_FOUND, "not_found").await;
    let made_up = format!("/api/v1/spaces/{space}/weekly/0190d8a4-0000-7000-8000-000000000000");
    expect_problem(
        app.weekly_round(&ben.access, &made_up).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let foreign = app
        .save_weekly(&cleo.access, &round, json!({"answers": []}))
        .await;
    expect_problem(foreign, StatusCode::NOT_FOUND, "not_found").await;
    let none_yet = app.current_weekly(&cleo.access, &other_space).await;
    expect_problem(none_yet, StatusCode::NOT_FOUND, "not_found").await;
}

async fn a_round_that_runs_out_or_is_left_stays_private(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    let opened = expect_json(
        app.open_weekly(&ada.access, &space, None).await,
        StatusCode::CREATED,
    )
    .await;
    let round = round_path(&space, &opened);
    let adas = json!({"answers": [{"prompt": 0, "text": "ADA-ALONE"}]});
    expect_json(
        app.save_weekly(&ada.access, &round, adas).await,
        StatusCode::OK,
    )
    .await;
    expect_json(app.submit_weekly(&ada.access, &round).await, StatusCode::OK).await;

    app.advance(chrono::Duration::days(3), &mut [&mut ada, &mut ben])
        .await;
    let late = app
        .save_weekly(&ben.access, &round, json!({"answers": []}))
        .await;
    expect_problem(late, StatusCode::CONFLICT, "round_closed").await;
    assert_eq!(app.store.close_due_weekly_rounds().unwrap(), 1);
    assert_eq!(
        app.store.close_due_weekly_rounds().unwrap(),
        0,
        "idempotent"
    );
    let bens_view = expect_json(app.weekly_round(&ben.access, &round).await, StatusCode::OK).await;
    assert_eq!(bens_view["state"], "closed");
    assert!(
        !everything_seen_by(&app, &ben, &space, &round)
            .await
            .contains("ADA-")
    );
    let not_his = app.share_weekly(&ben.access, &round).await;
    expect_problem(not_his, StatusCode::CONFLICT, "nothing_to_share").await;

    // Its author may share it anyway, once.
    let shared = expect_json(app.share_weekly(&ada.access, &round).await, StatusCode::OK).await;
    assert_eq!(shared["shared"], true);
    let bens_view = expect_json(app.weekly_round(&ben.access, &round).await, StatusCode::OK).await;
    assert!(bens_view["partner"].to_string().contains("ADA-ALONE"));
    expect_problem(
        app.share_weekly(&ada.access, &round).await,
        StatusCode::CONFLICT,
        "already_shared",
    )
    .await;
    assert_eq!(
        kinds(&app.events(&ben, &space).await),
        [
            "weekly.opened",
            "weekly.ready",
            "weekly.closed",
            "weekly.shared"
        ]
    );

    // A new round, then Ben leaves: it closes unrevealed, and Ada's answers stay hers.
    let second = expect_json(
        app.open_weekly(&ben.access, &space, None).await,
        StatusCode::CREATED,
    )
    .await;
    let second = round_path(&space, &second);
    let adas = json!({"answers": [{"prompt": 1, "text": "ADA-SECOND"}]});
    expect_json(
        app.save_weekly(&ada.access, &second, adas).await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.submit_weekly(&ada.access, &second).await,
        StatusCode::OK,
    )
    .await;
    // Its time runs out; opening the next one closes it first, without waiting for the scheduler.
    app.advance(chrono::Duration::days(3), &mut [&mut ada, &mut ben])
        .await;
    let third = expect_json(
        app.open_weekly(&ben.access, &space, None).await,
        StatusCode::CREATED,
    )
    .await;
    let third = round_path(&space, &third);
    let adas_view = expect_json(app.weekly_round(&ada.access, &second).await, StatusCode::OK).await;
    assert_eq!(
        (adas_view["state"].clone(), adas_view["partner"].clone()),
        (json!("closed"), Value::Null)
    );

    // Ben leaves by the safety exit: the open round closes, and says only the day it ended.
    let left = app
        .leave_space(&ben.access, &space, json!({"mode": "safety"}))
        .await;
    assert_eq!(left.status(), StatusCode::OK);
    let adas_view = expect_json(app.weekly_round(&ada.access, &third).await, StatusCode::OK).await;
    assert_eq!(adas_view["state"], "closed");
    assert_eq!(adas_view["partner"], Value::Null);
    let ended = adas_view["ended_at"].as_str().unwrap();
    assert!(ended.ends_with("T00:00:00Z"), "{ended}");
    assert_eq!(
        kinds(&app.events(&ada, &space).await)[4..],
        [
            "weekly.opened",
            "weekly.ready",
            "weekly.closed",
            "weekly.opened"
        ]
    );
}

/// Two submissions at the same moment reveal once, also when they reach two instances.
async fn simultaneous_submissions_reveal_once(flavor: Flavor) {
    let Some(first) = spawn_app(flavor).await else {
        return;
    };
    let second = if flavor == Flavor::Postgres {
        Some(first.another_instance())
    } else {
        None
    };
    let (ada, ben, space) = first.paired_space().await;
    let bens_app = second.as_ref().unwrap_or(&first);
    for attempt in 0..5 {
        let opened = expect_json(
            first.open_weekly(&ada.access, &space, None).await,
            StatusCode::CREATED,
        )
        .await;
        let round = round_path(&space, &opened);
        let answer =
            |who: &str| json!({"answers": [{"prompt": 0, "text": format!("{who} {attempt}")}]});
        expect_json(
            first.save_weekly(&ada.access, &round, answer("ada")).await,
            StatusCode::OK,
        )
        .await;
        expect_json(
            bens_app
                .save_weekly(&ben.access, &round, answer("ben"))
                .await,
            StatusCode::OK,
        )
        .await;
        let (a, b) = tokio::join!(
            first.submit_weekly(&ada.access, &round),
            bens_app.submit_weekly(&ben.access, &round)
        );
        assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
        let view = expect_json(
            first.weekly_round(&ada.access, &round).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(view["state"], "revealed");
    }
    let events = first.events(&ada, &space).await;
    let reveals = kinds(&events)
        .iter()
        .filter(|k| *k == "weekly.revealed")
        .count();
    assert_eq!(reveals, 5, "one reveal per round");
}

on_both_databases!(
    answers_stay_private_until_both_submit,
    bad_answers_change_nothing,
    a_round_that_runs_out_or_is_left_stays_private,
    simultaneous_submissions_reveal_once
);
