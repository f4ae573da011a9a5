//! Deleting an account: the person's words are gone from every table, from the partner's
//! timeline, export and live replay; the partner's own words and the facts of their history
//! stay, attributed to "A former member"; the person can no longer sign in.

use kept_api::operator::UsersCommand;
use kept_tests::rows::every_cell;
use kept_tests::{Flavor, TestApp, expect_json, expect_problem, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as Wait;

const PASSWORD: &str = "correct horse battery";

async fn created(app: &TestApp, access: &str, path: &str, body: Value) -> Value {
    expect_json(app.post(path, access, body).await, StatusCode::CREATED).await
}

async fn ok(app: &TestApp, access: &str, path: &str, body: Value) -> Value {
    expect_json(app.post(path, access, body).await, StatusCode::OK).await
}

async fn a_deleted_account_leaves_no_words_behind(flavor: Flavor) {
    let Some((app, sink)) = kept_tests::spawn_app_with_mail(flavor, &[]).await else {
        return;
    };
    // Ben makes the space and invites Ada by mail: her address is in the invite and its mail.
    let ada = app.register("ada@example.org", "Ada").await;
    let ben = app.register("ben@example.org", "Ben").await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let space = app.create_space(&ben, "Us").await;
    let invite = json!({"email": "ada@example.org"});
    let invite = app.invite_with(&ben.access, &space, invite).await;
    let invite = expect_json(invite, StatusCode::CREATED).await;
    assert_eq!(invite["mailed"], true);
    sink.expect("ada@example.org", "invited").await;
    let code = invite["code"].as_str().unwrap();
    expect_json(app.accept(&ada, code).await, StatusCode::OK).await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");

    // Ada writes in every kind of item; each of her texts holds MARK.
    created(
        &app,
        &ada.access,
        &s("/check-ins"),
        json!({"text": "MARK check-in"}),
    )
    .await;
    let hers = created(
        &app,
        &ada.access,
        &s("/requests"),
        json!({"text": "MARK request"}),
    )
    .await;
    let his = created(
        &app,
        &ben.access,
        &s("/requests"),
        json!({"text": "BEN request"}),
    )
    .await;
    let path = s(&format!(
        "/requests/{}/acknowledge",
        his["id"].as_str().unwrap()
    ));
    ok(&app, &ada.access, &path, json!({"reply": "MARK reply"})).await;
    let path = s(&format!(
        "/requests/{}/acknowledge",
        hers["id"].as_str().unwrap()
    ));
    ok(&app, &ben.access, &path, json!({"reply": "BEN reply"})).await;
    let daily = json!({"kind": "daily", "at": "21:00:00"});
    let commitment = json!({"text": "MARK commitment", "schedule": daily});
    created(&app, &ada.access, &s("/commitments"), commitment).await;
    let note = json!({"kind": "gratitude", "text": "MARK note"});
    created(&app, &ada.access, &s("/notes"), note).await;
    let letter = json!({"kind": "letter", "text": "BEN letter"});
    created(&app, &ben.access, &s("/notes"), letter).await;
    let rating = json!({"score": 6, "note": "MARK rating", "shared": true});
    created(&app, &ada.access, &s("/trust"), rating).await;
    created(
        &app,
        &ada.access,
        &s("/activities"),
        json!({"title": "MARK walk"}),
    )
    .await;
    let talk = json!({"title": "MARK talk", "mode": "in_person", "starts_at": "2026-03-08T17:00:00Z",
        "duration_minutes": 60, "agenda": ["MARK agenda"]});
    let talk = created(&app, &ada.access, &s("/talks"), talk).await;
    let agenda = s(&format!("/talks/{}/agenda", talk["id"].as_str().unwrap()));
    ok(&app, &ben.access, &agenda, json!({"item": "BEN agenda"})).await;
    // A weekly round both answered: her answers are hers, even after the reveal.
    let round = created(&app, &ben.access, &s("/weekly"), json!({})).await;
    let round = s(&format!("/weekly/{}", round["id"].as_str().unwrap()));
    let hers = json!({"answers": [{"prompt": 0, "text": "MARK weekly"}], "rating": 8});
    let his = json!({"answers": [{"prompt": 0, "text": "BEN weekly"}]});
    expect_json(
        app.save_weekly(&ada.access, &round, hers).await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.save_weekly(&ben.access, &round, his).await,
        StatusCode::OK,
    )
    .await;
    expect_json(app.submit_weekly(&ada.access, &round).await, StatusCode::OK).await;
    expect_json(app.submit_weekly(&ben.access, &round).await, StatusCode::OK).await;
    sink.expect("ben@example.org", "asked you for something")
        .await;
    let seqs_before = app.events(&ben, &space).await.len();

    let wrong = app.delete_me(&ada.access, "not my password").await;
    expect_problem(wrong, StatusCode::FORBIDDEN, "wrong_password").await;
    assert!(
        every_cell(app.db())
            .iter()
            .any(|(_, _, v)| v.contains("MARK")),
        "a refused deletion changes nothing"
    );
    let deleted = app.delete_me(&ada.access, PASSWORD).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.headers().contains_key("clear-site-data"));

    // Gone from every table: her words, her address, her name.
    let cells = every_cell(app.db());
    for (table, column, value) in &cells {
        assert!(
            !value.contains("MARK") && !value.contains("ada@example.org") && value != "Ada",
            "{table}.{column} still holds {value:?}"
        );
    }
    // Ben's words stay.
    for his in [
        "BEN request",
        "BEN reply",
        "BEN letter",
        "BEN agenda",
        "BEN weekly",
    ] {
        assert!(
            cells.iter().any(|(_, _, v)| v.contains(his)),
            "{his} was lost"
        );
    }

    // Ben's history still reads: every event is there, plus her leaving, under the same actor.
    let timeline = app.events(&ben, &space).await;
    assert_eq!(timeline.len(), seqs_before + 1);
    assert_eq!(timeline.last().unwrap()["kind"], "member.left");
    let shown = serde_json::to_string(&timeline).unwrap();
    assert!(
        !shown.contains("MARK") && !shown.contains("\"Ada\""),
        "{shown}"
    );
    let joined = timeline
        .iter()
        .find(|e| e["kind"] == "member.joined")
        .unwrap();
    assert_eq!(joined["payload"]["display_name"], "A former member");
    let created = timeline
        .iter()
        .find(|e| e["kind"] == "space.created")
        .unwrap();
    assert_eq!(
        created["actor_id"],
        ben.id.as_str(),
        "his own acts stay his"
    );
    let requests = app.get(&s("/requests"), &ben.access).await;
    let requests = expect_json(requests, StatusCode::OK).await;
    let shown = serde_json::to_string(&requests).unwrap();
    assert!(
        shown.contains("BEN request") && shown.contains("BEN reply"),
        "{shown}"
    );
    assert!(!shown.contains("MARK"), "{shown}");
    let talk = app
        .get(
            &s(&format!("/talks/{}", talk["id"].as_str().unwrap())),
            &ben.access,
        )
        .await;
    let talk = expect_json(talk, StatusCode::OK).await;
    assert_eq!(talk["agenda"], json!(["BEN agenda"]));
    let export = app.get(&s("/export"), &ben.access).await;
    assert_eq!(export.status(), StatusCode::OK);
    let export = export.text().await.unwrap();
    assert!(export.contains("BEN letter") && !export.contains("MARK"));

    // The live stream replays the same scrubbed log.
    let mut live = app.live(&ben, &space, 0).await;
    let replayed = live.events(timeline.len(), Wait::from_secs(10)).await;
    assert!(!serde_json::to_string(&replayed).unwrap().contains("MARK"));
    live.close().await;

    // She is signed out and cannot sign in again; her address is free for a new account.
    expect_problem(
        app.get("/api/v1/me", &ada.access).await,
        StatusCode::UNAUTHORIZED,
        "session_ended",
    )
    .await;
    expect_problem(
        app.login("ada@example.org").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    app.register("ada@example.org", "Ada again").await;
}

async fn the_operator_deletes_an_account_only_when_told_twice(flavor: Flavor) {
    let Some(app) = kept_tests::spawn_app(flavor).await else {
        return;
    };
    let (ada, _ben, space) = app.paired_space().await;
    let delete = |yes| UsersCommand::Delete {
        email: "ben@example.org".to_owned(),
        yes,
    };
    let refused = app.kept_users(delete(false), false).await.unwrap_err();
    assert!(refused.contains("--yes"), "{refused}");
    assert_eq!(
        app.kept_users(delete(true), false).await.unwrap(),
        "ben@example.org: deleted."
    );
    let enable = UsersCommand::Enable {
        email: "ben@example.org".to_owned(),
    };
    let refused = app.kept_users(enable, false).await.unwrap_err();
    assert_eq!(
        refused, "no account has the address ben@example.org",
        "deleted stays deleted"
    );
    let listed = app.kept_users(UsersCommand::List, true).await.unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["accounts"].as_array().unwrap().len(), 1, "{listed}");
    // Ada's history says a former member joined and left.
    let timeline = app.events(&ada, &space).await;
    assert_eq!(timeline.last().unwrap()["kind"], "member.left");
    let joined = timeline
        .iter()
        .find(|e| e["kind"] == "member.joined")
        .unwrap();
    assert_eq!(joined["payload"]["display_name"], "A former member");
}

on_both_databases!(
    a_deleted_account_leaves_no_words_behind,
    the_operator_deletes_an_account_only_when_told_twice,
);
