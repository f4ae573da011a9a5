//! Mail through a real SMTP server on loopback (aiosmtpd): account mail (verification, password
//! reset, invites), activity mail that says what happened without quoting private words unless
//! allowed, one-click unsubscribe, quiet hours, the safety exit, and an SMTP outage that loses
//! nothing.

use chrono::Duration;
use kept_tests::mail::ReceivedMail;
use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app_with_mail};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration as Wait;

fn token_of(mail: &ReceivedMail, fragment: &str) -> String {
    let link = mail.link_with(fragment).expect("a link in the mail");
    link.split("token=").nth(1).unwrap().to_owned()
}

/// Every mail is multipart (text + HTML) and names itself with a Message-ID.
fn assert_well_formed(mail: &ReceivedMail) {
    assert!(
        mail.content_type.starts_with("multipart/alternative"),
        "{}",
        mail.content_type
    );
    assert!(!mail.text.is_empty() && mail.html.contains("<p>"));
    assert!(
        mail.message_id.contains('@'),
        "Message-ID: {}",
        mail.message_id
    );
}

async fn account_mail_verifies_resets_and_invites(flavor: Flavor) {
    let Some((app, sink)) = spawn_app_with_mail(flavor, &[]).await else {
        return;
    };
    let ada = app.register("ada@example.org", "Ada").await;

    // Sign-up mails a verification link; /me shows the address unverified until it is used.
    let verification = sink.expect("ada@example.org", "Confirm your address").await;
    assert_well_formed(&verification);
    assert_eq!(
        verification.list_unsubscribe, None,
        "account mail has no unsubscribe"
    );
    assert!(verification.html.contains("href=\"http://"));
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], false);
    let token = token_of(&verification, "/verify-email?token=");
    let verify = |token: String| {
        let app = &app;
        async move { app.verify_email_with(&token).await }
    };
    assert_eq!(verify(token.clone()).await.status(), StatusCode::NO_CONTENT);
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], true);
    expect_problem(
        verify(token).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;
    expect_problem(
        verify("not-a-token".into()).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;

    // Password reset: always 202; a single-use link for a verified address, valid one hour.
    let reset = |email: &str| {
        let body = json!({ "email": email });
        let app = &app;
        async move { app.request_password_reset(body).await }
    };
    assert_eq!(
        reset("nobody@example.org").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        reset("ada@example.org").await.status(),
        StatusCode::ACCEPTED
    );
    let mail = sink
        .expect("ada@example.org", "Reset your Kept password")
        .await;
    assert_well_formed(&mail);
    let token = token_of(&mail, "/reset-password?token=");
    let confirm = |token: String, password: &str| {
        let body = json!({ "token": token, "password": password });
        let app = &app;
        async move { app.confirm_password_reset(body).await }
    };
    let weak = confirm(token.clone(), "short").await;
    expect_problem(weak, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(
        confirm(token.clone(), "a new long passphrase")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    // Every session is signed out; the new password works, the old one does not.
    assert_eq!(
        app.get("/api/v1/me", &ada.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada@example.org").await.status(),
        StatusCode::UNAUTHORIZED
    );
    expect_problem(
        confirm(token, "another long passphrase").await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;
    // A link older than an hour no longer works.
    reset("ada@example.org").await;
    let second = sink
        .wait_for(2, Wait::from_secs(10), |m| m.subject.contains("Reset"))
        .await;
    assert_eq!(second.len(), 2);
    app.clock.advance(Duration::minutes(61));
    expect_problem(
        confirm(
            token_of(&second[1], "/reset-password?token="),
            "another long passphrase",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    )
    .await;

    let login = app
        .login_with(json!({"email": "ada@example.org", "password": "a new long passphrase"}))
        .await;
    let ada_access = expect_json(login, StatusCode::OK).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // An unverified address gets nothing but its verification mail.
    let ben = app.register("ben@example.org", "Ben").await;
    sink.expect("ben@example.org", "Confirm your address").await;
    reset("ben@example.org").await;

    // Invites by email go out only from a verified inviter.
    let space = app
        .post("/api/v1/spaces", &ada_access, json!({"name": "Us"}))
        .await;
    let space = expect_json(space, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invite = app
        .post(
            &format!("/api/v1/spaces/{space}/invites"),
            &ada_access,
            json!({"email": "carol@example.org"}),
        )
        .await;
    let invite = expect_json(invite, StatusCode::CREATED).await;
    assert_eq!(invite["mailed"], true);
    let mail = sink
        .expect("carol@example.org", "Ada invited you to a shared space")
        .await;
    assert_well_formed(&mail);
    let code = invite["code"].as_str().unwrap();
    assert!(mail.text.contains(&format!("/join/{code}")));
    let bens_space = app.create_space(&ben, "Ben's").await;
    let unmailed = app
        .post(
            &format!("/api/v1/spaces/{bens_space}/invites"),
            &ben.access,
            json!({"email": "dora@example.org"}),
        )
        .await;
    assert_eq!(
        expect_json(unmailed, StatusCode::CREATED).await["mailed"],
        false
    );

    // Give stray mail time to arrive, then count: nothing for Ben beyond his verification.
    tokio::time::sleep(Wait::from_millis(300)).await;
    let to_ben: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| m.to == "ben@example.org" || m.to == "dora@example.org")
        .map(|m| m.subject)
        .collect();
    assert_eq!(to_ben, vec!["Confirm your address for Kept".to_owned()]);
}

async fn activity_mail_tells_without_quoting_and_unsubscribes_in_one_click(flavor: Flavor) {
    let Some((app, sink)) = spawn_app_with_mail(flavor, &[]).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");

    let private = "I need you to be home by nine on Fridays";
    let request = app
        .post(&s("/requests"), &ben.access, json!({"text": private}))
        .await;
    expect_json(request, StatusCode::CREATED).await;
    let mail = sink
        .expect("ada@example.org", "Ben asked you for something they need")
        .await;
    assert_well_formed(&mail);
    assert!(
        !mail.raw.contains("home by nine"),
        "no private text by default"
    );
    assert!(mail.text.contains(&format!("/spaces/{space}/requests/")));
    assert_eq!(
        mail.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = mail.list_unsubscribe.clone().expect("List-Unsubscribe");
    assert!(unsubscribe.starts_with('<') && unsubscribe.ends_with('>'));
    assert!(mail.text.contains(unsubscribe.trim_matches(['<', '>'])));
    // The actor does not get mail about their own doing.
    tokio::time::sleep(Wait::from_millis(200)).await;
    assert!(
        sink.received()
            .iter()
            .all(|m| m.to != "ben@example.org" || m.subject.starts_with("Confirm"))
    );

    // With quoting allowed, the words are in the mail.
    let allow = app
        .patch_me(&ada.access, json!({"mail": {"quote_text": true}}))
        .await;
    let me = expect_json(allow, StatusCode::OK).await;
    assert_eq!(me["mail"]["quote_text"], true);
    assert_eq!(me["mail"]["activity"], true);
    let bad = app
        .patch_me(&ada.access, json!({"mail": {"carrier_pigeon": true}}))
        .await;
    expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let commitment =
        json!({"text": "Phone away at dinner", "schedule": {"kind": "daily", "at": "21:00:00"}});
    let made = app.post(&s("/commitments"), &ben.access, commitment).await;
    expect_json(made, StatusCode::CREATED).await;
    let mail = sink
        .expect("ada@example.org", "Ben made you a commitment")
        .await;
    assert!(mail.text.contains("Phone away at dinner"));

    // One click (RFC 8058: a POST to the header's URL, no login) turns activity mail off.
    // Links start with `server.public_url`; the test server listens on its own port.
    let url = unsubscribe
        .trim_matches(['<', '>'])
        .replace("http://127.0.0.1:8080", &app.base);
    let page = app.send(app.client.get(&url)).await;
    assert_eq!(page.status(), StatusCode::OK, "GET only shows a button");
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(me["mail"]["activity"], true);
    let click = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(click.status(), StatusCode::OK);
    let me = expect_json(app.get("/api/v1/me", &ada.access).await, StatusCode::OK).await;
    assert_eq!(me["mail"]["activity"], false);
    let damaged = app.send(app.client.post(format!("{}x", url))).await;
    expect_problem(damaged, StatusCode::BAD_REQUEST, "invalid_token").await;
    let before = sink.received().len();
    let request = app
        .post(
            &s("/requests"),
            &ben.access,
            json!({"text": "One more thing"}),
        )
        .await;
    expect_json(request, StatusCode::CREATED).await;
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert_eq!(sink.received().len(), before, "unsubscribed: no mail");
}

async fn quiet_hours_defer_mail_and_a_safety_exit_stops_it(flavor: Flavor) {
    let Some((app, sink)) = spawn_app_with_mail(flavor, &[]).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    // The clock starts at 08:00 UTC = 09:00 in Berlin (both partners' zone). Ben's quiet hours
    // hold 08:30–10:00 local; Ada's 08:45–11:00.
    for (person, start, end) in [
        (&ben, "08:30:00", "10:00:00"),
        (&ada, "08:45:00", "11:00:00"),
    ] {
        let quiet = json!({"mail": {"quiet_hours": {"start": start, "end": end}}});
        let response = app.patch_me(&person.access, quiet).await;
        expect_json(response, StatusCode::OK).await;
    }
    // Ada proposes a talk during Ben's quiet hours: his mail waits for 10:00.
    let talk = json!({"title": "Sunday talk", "mode": "in_person", "starts_at": "2026-03-08T18:00:00Z", "duration_minutes": 60});
    expect_json(
        app.post(&s("/talks"), &ada.access, talk).await,
        StatusCode::CREATED,
    )
    .await;
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert!(
        sink.received()
            .iter()
            .all(|m| !m.subject.contains("proposed a talk"))
    );
    app.advance(Duration::minutes(61), &mut [&mut ada, &mut ben])
        .await; // 10:01 local
    let deferred = sink.expect("ben@example.org", "Ada proposed a talk").await;
    assert_well_formed(&deferred);

    // Ben makes a commitment at 10:01: Ada's mail waits for her 11:00. Then Ada leaves by the
    // safety exit; the waiting mail to her is never sent, and Ben hears only that the space
    // closed, with nothing of who.
    let commitment =
        json!({"text": "Call at lunch", "schedule": {"kind": "weekdays", "at": "12:00:00"}});
    expect_json(
        app.post(&s("/commitments"), &ben.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;
    let leave = app
        .post(&s("/leave"), &ada.access, json!({"mode": "safety"}))
        .await;
    expect_json(leave, StatusCode::OK).await;
    let closed = sink
        .expect("ben@example.org", "Your shared space was closed")
        .await;
    assert!(!closed.raw.contains("Ada"), "nothing of who left");
    app.clock.advance(Duration::hours(3));
    tokio::time::sleep(Wait::from_millis(400)).await;
    let to_ada: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| m.to == "ada@example.org")
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        to_ada,
        vec!["Confirm your address for Kept".to_owned()],
        "nothing more to the leaver"
    );
    let counts = app.store.outbox_counts().unwrap();
    assert_eq!(counts.pending, 0);
    assert_eq!(counts.cancelled, 1);
}

async fn mail_survives_an_smtp_outage(flavor: Flavor) {
    let Some((app, mut sink)) =
        spawn_app_with_mail(flavor, &[("KEPT__MAIL__MAX_ATTEMPTS", "4")]).await
    else {
        return;
    };
    sink.stop();
    for name in ["ada", "ben", "cem"] {
        app.register(&format!("{name}@example.org"), name).await;
    }
    // The worker tries, fails (connection refused) and schedules retries; nothing is lost.
    let started = std::time::Instant::now();
    loop {
        let counts = app.store.outbox_counts().unwrap();
        assert_eq!(counts.pending, 3);
        if sink.received().is_empty() && started.elapsed() > Wait::from_millis(500) {
            break;
        }
        tokio::time::sleep(Wait::from_millis(50)).await;
    }
    app.clock.advance(Duration::seconds(50)); // past the first retry: fails again
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert_eq!(app.store.outbox_counts().unwrap().pending, 3);

    sink.resume();
    app.clock.advance(Duration::minutes(5));
    let arrived = sink
        .wait_for(3, Wait::from_secs(10), |m| m.subject.starts_with("Confirm"))
        .await;
    assert_eq!(
        arrived.len(),
        3,
        "every mail arrives once the server is back"
    );
    tokio::time::sleep(Wait::from_millis(300)).await;
    let mut ids: Vec<_> = sink.received().into_iter().map(|m| m.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each exactly once");
    let counts = app.store.outbox_counts().unwrap();
    assert_eq!((counts.sent, counts.pending, counts.failed), (3, 0, 0));

    // A server that stays down: after the last attempt the mail is marked failed, not retried.
    app.leaves_mail_behind();
    sink.stop();
    app.register("dee@example.org", "Dee").await;
    for _ in 0..6 {
        tokio::time::sleep(Wait::from_millis(200)).await;
        app.clock.advance(Duration::hours(2));
    }
    tokio::time::sleep(Wait::from_millis(300)).await;
    let counts = app.store.outbox_counts().unwrap();
    assert_eq!((counts.sent, counts.pending, counts.failed), (3, 0, 1));
}

on_both_databases!(
    account_mail_verifies_resets_and_invites,
    activity_mail_tells_without_quoting_and_unsubscribes_in_one_click,
    quiet_hours_defer_mail_and_a_safety_exit_stops_it,
    mail_survives_an_smtp_outage,
);
