//! The operator's command line beside the running server: `kept users list`, `add` (with a
//! one-time set-password link), `disable` and `enable`.

use kept_api::operator::UsersCommand;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn the_operator_adds_lists_disables_and_enables_accounts(flavor: Flavor) {
    // A closed server: accounts come only from the operator.
    let settings = [("KEPT__AUTH__REGISTRATION", "closed")];
    let Some(app) = spawn_app_with(flavor, &settings).await else {
        return;
    };
    let listed = app.kept_users(UsersCommand::List, false).await.unwrap();
    assert!(listed.contains("(no accounts yet)"), "{listed}");

    let add = |email: &str, name: &str| UsersCommand::Add {
        email: email.to_owned(),
        name: name.to_owned(),
        time_zone: "Europe/Berlin".to_owned(),
    };
    let added: Value = serde_json::from_str(
        &app.kept_users(add("Ada@Example.org", "Ada"), true)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(added["account"]["email"], "ada@example.org");
    let link = added["set_password_link"].as_str().unwrap();
    let prefix = format!("{}/reset-password?token=", app.base);
    let token = link.strip_prefix(&prefix).expect("a link to this server");

    // Until the link is used nobody can sign in; then Ada can, once.
    expect_problem(
        app.login("ada@example.org").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let set = json!({ "token": token, "password": "correct horse battery" });
    let response = app.confirm_password_reset(set.clone()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let again = app.confirm_password_reset(set).await;
    expect_problem(again, StatusCode::BAD_REQUEST, "invalid_token").await;
    let tokens = expect_json(app.login("ada@example.org").await, StatusCode::OK).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    let text = app
        .kept_users(add("ben@example.org", "Ben"), false)
        .await
        .unwrap();
    assert!(
        text.starts_with("Added ben@example.org (Ben).") && text.contains(&prefix),
        "{text}"
    );
    let taken = app.kept_users(add("ada@example.org", "Ada"), false).await;
    assert!(taken.unwrap_err().contains("already exists"));
    let bad = app.kept_users(add("not an address", "X"), false).await;
    assert!(bad.unwrap_err().contains("not an address"));

    let listed: Value =
        serde_json::from_str(&app.kept_users(UsersCommand::List, true).await.unwrap()).unwrap();
    let emails: Vec<&str> = listed["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ada@example.org", "ben@example.org"]);
    let table = app.kept_users(UsersCommand::List, false).await.unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("EMAIL") && lines[0].ends_with("SPACES"),
        "{table}"
    );
    assert!(lines[1].starts_with("ada@example.org  Ada"), "{table}");

    let issued = expect_json(app.issue_calendar_token(&access).await, StatusCode::CREATED).await;
    let feed = issued["url"].as_str().unwrap().to_owned();
    let feed = format!("/api/v1/calendar/{}", feed.rsplit('/').next().unwrap());
    let before = app.send(app.client.get(app.url(&feed))).await;
    assert_eq!(before.status(), StatusCode::OK);

    // Disabled: her session ends at once, and even the right password opens none.
    let disable = UsersCommand::Disable {
        email: "ada@example.org".to_owned(),
    };
    assert_eq!(
        app.kept_users(disable, false).await.unwrap(),
        "ada@example.org: disabled."
    );
    expect_problem(
        app.get("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "session_ended",
    )
    .await;
    expect_problem(
        app.login("ada@example.org").await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;
    let after = app.send(app.client.get(app.url(&feed))).await;
    expect_problem(after, StatusCode::NOT_FOUND, "not_found").await;
    let wrong = json!({"email": "ada@example.org", "password": "wrong password"});
    let response = app.login_with(wrong).await;
    expect_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let listed: Value =
        serde_json::from_str(&app.kept_users(UsersCommand::List, true).await.unwrap()).unwrap();
    assert_eq!(listed["accounts"][0]["disabled"], true);

    let enable = UsersCommand::Enable {
        email: "ada@example.org".to_owned(),
    };
    app.kept_users(enable, true).await.unwrap();
    expect_json(app.login("ada@example.org").await, StatusCode::OK).await;

    let unknown = UsersCommand::Disable {
        email: "nobody@example.org".to_owned(),
    };
    let refused = app.kept_users(unknown, false).await.unwrap_err();
    assert_eq!(refused, "no account has the address nobody@example.org");
}

async fn a_disabled_partner_gets_no_mail(flavor: Flavor) {
    let Some((app, sink)) = kept_tests::spawn_app_with_mail(flavor, &[]).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let written = || {
        let counts = app.store.outbox_counts().unwrap();
        counts.pending + counts.sent + counts.failed + counts.cancelled
    };
    let path = format!("/api/v1/spaces/{space}/requests");
    let ask = |text: &str| app.post(&path, &ada.access, json!({ "text": text }));
    let ben_email = || UsersCommand::Disable {
        email: ben.email.clone(),
    };
    app.kept_users(ben_email(), false).await.unwrap();
    let before = written();
    assert_eq!(
        ask("Tell me when you are running late").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        written(),
        before,
        "no mail is written to a disabled account"
    );

    let enable = UsersCommand::Enable {
        email: ben.email.clone(),
    };
    app.kept_users(enable, false).await.unwrap();
    assert_eq!(
        ask("Plan one evening a week with me").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(written(), before + 1, "enabled again, Ben is told");
    sink.expect(&ben.email, "asked you for something").await;
}

on_both_databases!(
    the_operator_adds_lists_disables_and_enables_accounts,
    a_disabled_partner_gets_no_mail,
);
