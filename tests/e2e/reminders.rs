//! Reminders end to end: check-in, commitment and talk reminders at local times, by mail (through
//! a real SMTP server) and in the timeline and live stream, once each, held back by quiet hours;
//! and, on PostgreSQL, two instances firing 2,000 reminders due in the same minute exactly once.

use chrono::Duration;
use kept_core::Clock;
use kept_tests::mail::SmtpSink;
use kept_tests::{
    Flavor, Person, TestApp, expect_json, on_both_databases, spawn_app_with_mail, start_time,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as Wait;

const FAST_SCHEDULER: (&str, &str) = ("KEPT__SCHEDULER__TICK_MILLIS", "40");

/// Moves the clock to `start_time() + offset`.
fn at(app: &TestApp, offset: Duration) {
    let target = start_time() + offset;
    app.clock.advance(target - app.clock.now());
}

/// The app with a fast scheduler and a mail server, and a paired space whose two partners have
/// verified their addresses (an unverified address gets no reminders).
async fn paired_with_mail(flavor: Flavor) -> Option<(TestApp, SmtpSink, (Person, Person, String))> {
    let (app, sink) = spawn_app_with_mail(flavor, &[FAST_SCHEDULER]).await?;
    let (ada, ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    Some((app, sink, (ada, ben, space)))
}

async fn patch_me(app: &TestApp, token: &str, body: Value) {
    let response = app.patch_me(token, body).await;
    expect_json(response, StatusCode::OK).await;
}

async fn reminders_come_in_local_time_once_and_wait_for_quiet_hours(flavor: Flavor) {
    let Some((app, sink, (mut ada, mut ben, space))) = paired_with_mail(flavor).await else {
        return;
    };
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    // Monday 2 March 2026, 09:00 in Berlin (both partners' zone). Ada checks in at 20:00; Ben's
    // quiet hours are 18:00–20:00.
    patch_me(&app, &ada.access, json!({"check_in_times": ["20:00:00"]})).await;
    patch_me(
        &app,
        &ben.access,
        json!({"mail": {"quiet_hours": {"start": "18:00:00", "end": "20:00:00"}}}),
    )
    .await;
    // Ben commits to something daily at 21:30 (reminded at 20:30); a weekly talk on Sundays at
    // 18:00, from 8 March, accepted by Ben (reminded 24 h and 1 h ahead).
    let commitment =
        json!({"text": "Call before bed", "schedule": {"kind": "daily", "at": "21:30:00"}});
    expect_json(
        app.post(&s("/commitments"), &ben.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;
    let talk = json!({"title": "Sunday talk", "mode": "in_person", "starts_at": "2026-03-08T17:00:00Z", "duration_minutes": 60, "cadence": "weekly"});
    let talk = expect_json(
        app.post(&s("/talks"), &ada.access, talk).await,
        StatusCode::CREATED,
    )
    .await;
    let talk_id = talk["id"].as_str().unwrap().to_owned();
    let accept = app
        .accept_talk(&ben.access, &s(&format!("/talks/{talk_id}")))
        .await;
    expect_json(accept, StatusCode::OK).await;
    let seen = app.events(&ada, &space).await;
    let last_seq = seen.last().and_then(|e| e["seq"].as_i64()).unwrap_or(0);
    let mut live = app.live(&ada, &space, last_seq).await;

    // 20:00:30 local: Ada's check-in reminder, by mail, in her timeline and on her live stream;
    // not in Ben's timeline.
    at(&app, Duration::hours(11) + Duration::seconds(30));
    let mail = sink
        .expect("ada@example.org", "Reminder: Time for a check-in")
        .await;
    assert!(mail.list_unsubscribe.is_some());
    let pushed = live.next_event(Wait::from_secs(5)).await;
    assert_eq!(pushed["kind"], "reminder.due");
    assert_eq!(pushed["payload"]["reminder"], "check_in");
    assert_eq!(pushed["actor_id"], Value::Null);
    app.renew(&mut ada).await;
    app.renew(&mut ben).await;
    let reminders = |events: Vec<Value>| {
        events
            .into_iter()
            .filter(|e| e["kind"] == "reminder.due")
            .map(|e| e["payload"]["reminder"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(reminders(app.events(&ada, &space).await), vec!["check_in"]);
    assert!(reminders(app.events(&ben, &space).await).is_empty());

    // 20:30:30: Ben's commitment reminder (his quiet hours ended at 20:00).
    at(
        &app,
        Duration::hours(11) + Duration::minutes(30) + Duration::seconds(30),
    );
    sink.expect("ben@example.org", "Reminder: A commitment of yours")
        .await;
    // The next evening: one more check-in reminder, never a second for the same day.
    at(
        &app,
        Duration::days(1) + Duration::hours(11) + Duration::seconds(30),
    );
    let check_ins = sink
        .wait_for(2, Wait::from_secs(10), |m| m.subject.contains("check-in"))
        .await;
    assert_eq!(check_ins.len(), 2);

    // Saturday 7 March, 18:00:30 local, 24 h before the talk: Ada is reminded at once; Ben is
    // in his quiet hours, so his reminder waits until 20:00.
    at(
        &app,
        Duration::days(5) + Duration::hours(9) + Duration::seconds(30),
    );
    let ada_talk = sink.expect("ada@example.org", "Reminder: Your talk").await;
    assert!(ada_talk.text.contains("starts in 24 hours"));
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert!(
        sink.received()
            .iter()
            .all(|m| !(m.to == "ben@example.org" && m.subject.contains("Your talk")))
    );
    at(
        &app,
        Duration::days(5) + Duration::hours(11) + Duration::seconds(30),
    );
    let ben_talk = sink.expect("ben@example.org", "Reminder: Your talk").await;
    assert!(ben_talk.text.contains("starts in 24 hours"));

    // Sunday 17:00:30, an hour before: both, once.
    at(
        &app,
        Duration::days(6) + Duration::hours(8) + Duration::seconds(30),
    );
    for who in ["ada@example.org", "ben@example.org"] {
        let hour = sink
            .wait_for(2, Wait::from_secs(10), |m| {
                m.to == who && m.subject.contains("Your talk")
            })
            .await;
        assert_eq!(hour.len(), 2, "{who}: the 24-hour and the 1-hour reminder");
        assert!(hour[1].text.contains("starts in 1 hour"));
    }
    app.advance(Duration::minutes(1), &mut [&mut ada, &mut ben])
        .await;
    tokio::time::sleep(Wait::from_millis(300)).await;
    let talk_mail = sink
        .received()
        .into_iter()
        .filter(|m| m.subject.contains("Your talk"))
        .count();
    assert_eq!(talk_mail, 4, "two reminders for each partner, no more");

    // Declining is no longer possible once accepted, but the space closing stops everything:
    // Ada leaves; nothing reminds anyone of this space's talk or Ben's commitment again.
    let leave = app
        .post(&s("/leave"), &ada.access, json!({"mode": "normal"}))
        .await;
    expect_json(leave, StatusCode::OK).await;
    let before = sink.received().len();
    at(&app, Duration::days(13) + Duration::hours(12));
    tokio::time::sleep(Wait::from_millis(400)).await;
    let after: Vec<_> = sink
        .received()
        .into_iter()
        .skip(before)
        .map(|m| m.subject)
        .collect();
    assert!(
        after
            .iter()
            .all(|s| !s.starts_with("Reminder: Your talk")
                && !s.starts_with("Reminder: A commitment")),
        "{after:?}"
    );
}

async fn missed_notices_and_the_weekly_summary(flavor: Flavor) {
    let Some((app, sink, (ada, ben, space))) = paired_with_mail(flavor).await else {
        return;
    };
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    // Ada asks for the Monday summary; Ben commits to 21:00 daily and never marks it kept.
    patch_me(&app, &ada.access, json!({"mail": {"weekly_summary": true}})).await;
    let commitment = json!({"text": "Walk together", "schedule": {"kind": "daily", "at": "21:00:00"}, "grace_minutes": 60});
    expect_json(
        app.post(&s("/commitments"), &ben.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;

    // Monday 2 March, 22:00:30 local: the first occurrence is past due + grace.
    at(&app, Duration::hours(13) + Duration::seconds(30));
    let notice = sink
        .expect("ben@example.org", "A commitment of yours was missed")
        .await;
    assert!(notice.list_unsubscribe.is_some());
    let told = sink
        .expect("ada@example.org", "A commitment made to you was missed")
        .await;
    assert!(!told.raw.contains("Walk together"), "no private text");

    // Monday 9 March, 08:00:30 local: Ada's summary of the week, with Ben's missed days not
    // hers, and nothing for Ben, who did not ask.
    at(
        &app,
        Duration::days(6) + Duration::hours(23) + Duration::seconds(30),
    );
    let summary = sink.expect("ada@example.org", "Your week in Kept").await;
    assert!(
        summary.text.contains("your commitments: 0 kept, 0 missed"),
        "{}",
        summary.text
    );
    assert!(summary.html.contains("<li>"));
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert!(
        sink.received()
            .iter()
            .all(|m| !(m.to == "ben@example.org" && m.subject.contains("Your week in Kept")))
    );
    // With no plan agreed, the weekly check-in opened by itself on Sunday at 18:00, their local
    // time: Ben was told once.
    sink.expect("ben@example.org", "Your weekly check-in is open")
        .await;
}

/// A reminder whose subject cannot be read (a commitment's schedule edited by hand into
/// nonsense) is set aside and logged; it holds back neither the other reminders due with it nor
/// the scheduler, and the API answers as before.
async fn a_corrupt_reminder_holds_back_no_other(flavor: Flavor) {
    let Some((app, sink, (ada, ben, space))) = paired_with_mail(flavor).await else {
        return;
    };
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    // Ben is reminded at 20:30 of a commitment due at 21:30; Ada checks in at 20:30 too.
    let commitment =
        json!({"text": "Call before bed", "schedule": {"kind": "daily", "at": "21:30:00"}});
    let created = expect_json(
        app.post(&s("/commitments"), &ben.access, commitment).await,
        StatusCode::CREATED,
    )
    .await;
    patch_me(&app, &ada.access, json!({"check_in_times": ["20:30:00"]})).await;
    {
        use diesel::{RunQueryDsl, sql_query};
        let id = created["id"].as_str().unwrap();
        sql_query(format!(
            "UPDATE commitments SET schedule = 'not a schedule' WHERE id = '{id}'"
        ))
        .execute(&mut app.db().connect())
        .unwrap();
    }

    at(
        &app,
        Duration::hours(11) + Duration::minutes(30) + Duration::seconds(30),
    );
    sink.expect("ada@example.org", "Reminder: Time for a check-in")
        .await;
    tokio::time::sleep(Wait::from_millis(300)).await;
    assert!(
        sink.received()
            .iter()
            .all(|m| !m.subject.contains("A commitment of yours")),
        "the unreadable commitment reminds no one"
    );
    // The scheduler goes on: the next evening's check-in comes as well.
    at(
        &app,
        Duration::days(1) + Duration::hours(11) + Duration::minutes(30) + Duration::seconds(30),
    );
    let check_ins = sink
        .wait_for(2, Wait::from_secs(10), |m| m.subject.contains("check-in"))
        .await;
    assert_eq!(check_ins.len(), 2);
}

on_both_databases!(
    reminders_come_in_local_time_once_and_wait_for_quiet_hours,
    missed_notices_and_the_weekly_summary,
    a_corrupt_reminder_holds_back_no_other,
);

/// Two instances on one PostgreSQL database, 2,000 check-in reminders due in the same minute:
/// each is mailed exactly once (counted at the SMTP server) and logged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_fire_2000_reminders_exactly_once() {
    use diesel::{Connection, PgConnection, RunQueryDsl, sql_query};
    const PEOPLE: usize = 2_000;
    let Some((first, sink)) = spawn_app_with_mail(
        Flavor::Postgres,
        &[FAST_SCHEDULER, ("KEPT__MAIL__BATCH", "64")],
    )
    .await
    else {
        return;
    };
    let second = first.another_instance();
    let mut db = PgConnection::establish(first.db().url()).unwrap();
    // 1,000 paired spaces; everyone verified, checking in at 20:00 Berlin (19:00 UTC), with the
    // reminder due at 19:00 UTC on 2 March.
    let script = format!(
        "INSERT INTO users (id, email, password_hash, display_name, time_zone, email_verified_at,
                            created_at, updated_at, check_in_times)
         SELECT md5('u' || i)::uuid::text, 'p' || i || '@example.org', 'x', 'P' || i,
                'Europe/Berlin', now(), now(), now(), '[\"20:00:00\"]'
         FROM generate_series(1, {PEOPLE}) AS i;
         INSERT INTO spaces (id, name, state, created_by, last_seq, created_at)
         SELECT md5('s' || i)::uuid::text, 'Us', 'paired', md5('u' || (2 * i))::uuid::text, 0, now()
         FROM generate_series(1, {PEOPLE} / 2) AS i;
         INSERT INTO memberships (space_id, user_id, joined_at)
         SELECT md5('s' || ((i + 1) / 2))::uuid::text, md5('u' || i)::uuid::text, now()
         FROM generate_series(1, {PEOPLE}) AS i;
         INSERT INTO reminders (id, kind, user_id, space_id, subject_id, lead_minutes,
                                next_fire_at, created_at)
         SELECT md5('r' || i)::uuid::text, 'check_in', md5('u' || i)::uuid::text, NULL,
                md5('u' || i)::uuid::text, 0, '2026-03-02 19:00:00', now()
         FROM generate_series(1, {PEOPLE}) AS i;"
    );
    for statement in script.split(';').filter(|s| !s.trim().is_empty()) {
        sql_query(statement).execute(&mut db).unwrap();
    }

    at(&first, Duration::hours(11) + Duration::seconds(20));
    let delivered = sink
        .wait_for(PEOPLE, Wait::from_secs(240), |m| {
            m.subject.contains("check-in")
        })
        .await;
    assert_eq!(delivered.len(), PEOPLE, "every reminder arrives");
    // Give any duplicate time to show up, then count again.
    tokio::time::sleep(Wait::from_millis(1_500)).await;
    let received = sink.received();
    let mut recipients: Vec<_> = received.iter().map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(received.len(), PEOPLE, "no reminder twice");
    assert_eq!(recipients.len(), PEOPLE, "one each");

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count =
        |sql: &str, db: &mut PgConnection| sql_query(sql).get_result::<Count>(db).unwrap().n;
    assert_eq!(
        count(
            "SELECT count(*) AS n FROM events WHERE kind = 'reminder.due'",
            &mut db
        ),
        PEOPLE as i64
    );
    assert_eq!(
        count(
            "SELECT count(*) AS n FROM reminders WHERE next_fire_at = '2026-03-03 19:00:00'",
            &mut db
        ),
        PEOPLE as i64,
        "each moved on to the next evening"
    );
    drop(second);
}
