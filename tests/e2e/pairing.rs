//! Pairing two partners into one space, the timeline, and leaving — normally or at once.

use chrono::Duration;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

/// A registers, creates a space, invites; B registers, accepts; both see each other and the
/// events; C cannot join; B's token cannot read another space.
async fn two_partners_pair_and_a_third_cannot_join(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let space = app.create_space(&ada, "Ada & Ben").await;
    let invite = app.invite(&ada, &space).await;
    let code = invite["code"].as_str().unwrap();
    assert_eq!(code.len(), 32, "128 bits as hex");
    assert_eq!(invite["url"], format!("http://127.0.0.1:8080/join/{code}"));
    let spare = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let ben = app.register("ben@example.org", "Ben").await;
    let joined = expect_json(app.accept(&ben, code).await, StatusCode::OK).await;
    assert_eq!(joined["state"], "paired");

    for viewer in [&ada, &ben] {
        let seen = expect_json(
            app.get(&format!("/api/v1/spaces/{space}"), &viewer.access)
                .await,
            StatusCode::OK,
        )
        .await;
        let names: Vec<&str> = seen["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["display_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ada", "Ben"]);
        let listed = expect_json(
            app.get("/api/v1/spaces", &viewer.access).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(listed["items"][0]["id"], space.as_str());
        let events = app.events(viewer, &space).await;
        assert_eq!(
            kinds(&events),
            [
                "space.created",
                "invite.created",
                "invite.created",
                "member.joined"
            ]
        );
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
        assert_eq!(
            events[3]["payload"],
            json!({"user_id": ben.id, "display_name": "Ben"})
        );
        assert_eq!(events[3]["actor_id"], ben.id.as_str());
        assert!(
            !events[1]["payload"].to_string().contains(code),
            "the invite code never enters the log"
        );
    }

    let cleo = app.register("cleo@example.org", "Cleo").await;
    expect_problem(
        app.accept(&cleo, code).await,
        StatusCode::CONFLICT,
        "invite_used",
    )
    .await;
    expect_problem(
        app.accept(&cleo, &spare).await,
        StatusCode::CONFLICT,
        "space_full",
    )
    .await;
    expect_problem(
        app.accept(&ben, &spare).await,
        StatusCode::CONFLICT,
        "already_member",
    )
    .await;
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/invites"),
            &ada.access,
            json!({}),
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, "space_full").await;
    expect_problem(
        app.accept(&cleo, "0123456789abcdef0123456789abcdef").await,
        StatusCode::NOT_FOUND,
        "invite_not_found",
    )
    .await;

    // Cleo's own space is invisible to Ben, exactly like one that does not exist.
    let cleos = app.create_space(&cleo, "Cleo's").await;
    expect_json(
        app.get(&format!("/api/v1/spaces/{cleos}"), &cleo.access)
            .await,
        StatusCode::OK,
    )
    .await;
    for (outsider, target) in [(&ben, &cleos), (&cleo, &space)] {
        for path in [
            format!("/api/v1/spaces/{target}"),
            format!("/api/v1/spaces/{target}/events"),
        ] {
            expect_problem(
                app.get(&path, &outsider.access).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
    }
    let someone_elses_invite =
        format!("/api/v1/spaces/{cleos}/invites/0123456789abcdef0123456789abcdef");
    for response in [
        app.invite_with(&ben.access, &cleos, json!({})).await,
        app.leave_space(&ben.access, &cleos, json!({"mode": "normal"}))
            .await,
        app.revoke_invite(&ben.access, &someone_elses_invite).await,
    ] {
        expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(
        app.events(&cleo, &cleos).await.len(),
        1,
        "nothing Ben tried changed Cleo's space"
    );
    let never = uuid::Uuid::now_v7();
    expect_problem(
        app.get(&format!("/api/v1/spaces/{never}"), &ben.access)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn invites_expire_and_can_be_revoked(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let mut ada = app.register("ada@example.org", "Ada").await;
    let mut ben = app.register("ben@example.org", "Ben").await;
    let space = app.create_space(&ada, "Us").await;

    let revoked = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/spaces/{space}/invites/{revoked}");
    assert_eq!(
        app.revoke_invite(&ada.access, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.revoke_invite(&ada.access, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_problem(
        app.accept(&ben, &revoked).await,
        StatusCode::CONFLICT,
        "invite_revoked",
    )
    .await;

    let expiring = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(Duration::days(7), &mut [&mut ada, &mut ben])
        .await;
    expect_problem(
        app.accept(&ben, &expiring).await,
        StatusCode::CONFLICT,
        "invite_expired",
    )
    .await;

    let fresh = app.invite(&ada, &space).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(Duration::days(6), &mut [&mut ada, &mut ben])
        .await;
    expect_json(app.accept(&ben, &fresh).await, StatusCode::OK).await;
    let used = format!("/api/v1/spaces/{space}/invites/{fresh}");
    expect_problem(
        app.revoke_invite(&ada.access, &used).await,
        StatusCode::CONFLICT,
        "invite_used",
    )
    .await;

    let kinds: Vec<String> = app
        .events(&ben, &space)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "space.created",
            "invite.created",
            "invite.revoked",
            "invite.created",
            "invite.created",
            "member.joined"
        ]
    );
}

async fn leaving_closes_the_space_and_the_partner_is_told(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/leave"),
            &ben.access,
            json!({"mode": "normal"}),
        )
        .await;
    let answer = expect_json(response, StatusCode::OK).await;
    assert!(!answer["help_resources"].as_array().unwrap().is_empty());

    let seen = expect_json(
        app.get(&format!("/api/v1/spaces/{space}"), &ada.access)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["state"], "closed");
    assert_eq!(seen["members"].as_array().unwrap().len(), 1);
    let last = app.events(&ada, &space).await.pop().unwrap();
    assert_eq!(
        (last["kind"].as_str(), &last["payload"]),
        (Some("member.left"), &json!({"user_id": ben.id}))
    );

    // The leaver no longer sees the space; the one who stays can read but not change it.
    expect_problem(
        app.get(&format!("/api/v1/spaces/{space}"), &ben.access)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let listed = expect_json(app.get("/api/v1/spaces", &ben.access).await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/invites"),
            &ada.access,
            json!({}),
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, "space_closed").await;
    expect_json(app.get("/api/v1/me", &ben.access).await, StatusCode::OK).await;
}

async fn a_safety_exit_signs_out_everywhere_and_says_only_closed(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    app.advance(
        Duration::hours(13) + Duration::minutes(47),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let bens_phone = expect_json(app.login("ben@example.org").await, StatusCode::OK).await;

    let response = app
        .post(
            &format!("/api/v1/spaces/{space}/leave"),
            &ben.access,
            json!({"mode": "safety"}),
        )
        .await;
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(set_cookie.starts_with("kept_refresh=;"), "{set_cookie}");
    let answer = expect_json(response, StatusCode::OK).await;
    assert!(!answer["help_resources"].as_array().unwrap().is_empty());

    for access in [
        ben.access.as_str(),
        bens_phone["access_token"].as_str().unwrap(),
    ] {
        expect_problem(
            app.get("/api/v1/me", access).await,
            StatusCode::UNAUTHORIZED,
            "session_ended",
        )
        .await;
    }
    let refresh = app.refresh_with(Some(&ben.refresh)).await;
    expect_problem(refresh, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;

    let last = app.events(&ada, &space).await.pop().unwrap();
    assert_eq!(last["kind"], "space.closed");
    assert_eq!(last["payload"], json!({}));
    assert_eq!(last["actor_id"], Value::Null, "no one is named");
    assert_eq!(
        last["created_at"], "2026-03-02T00:00:00Z",
        "only the day, not the time of the exit"
    );
    let seen = expect_json(
        app.get(&format!("/api/v1/spaces/{space}"), &ada.access)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["state"], "closed");
}

async fn the_timeline_pages_by_seq(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;
    let space = app.create_space(&ada, "Us").await;
    for _ in 0..6 {
        app.invite(&ada, &space).await;
    }
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let path = format!("/api/v1/spaces/{space}/events?after={after}&limit=3");
        let page = expect_json(app.get(&path, &ada.access).await, StatusCode::OK).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match page["next"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7]);
}

on_both_databases!(
    two_partners_pair_and_a_third_cannot_join,
    invites_expire_and_can_be_revoked,
    leaving_closes_the_space_and_the_partner_is_told,
    a_safety_exit_signs_out_everywhere_and_says_only_closed,
    the_timeline_pages_by_seq,
);
