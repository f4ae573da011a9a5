//! The weekly check-in over weeks: the partners agree on a plan (one proposes, the other
//! accepts); rounds then open by themselves at the agreed local time in each partner's own zone,
//! across daylight saving changes in both; each partner is told at their own time; one nudge
//! before the close goes only to whoever has not answered; "your partner has answered" can be
//! turned off; the reveal mail carries no words; a revealed answer becomes an agenda item or a
//! request in one step. Mail goes through a real SMTP server.

use chrono::Duration;
use kept_core::Clock;
use kept_tests::mail::SmtpSink;
use kept_tests::{
    Flavor, Person, TestApp, expect_json, expect_problem, on_both_databases, spawn_app,
    spawn_app_with_mail, start_time,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration as Wait;

/// Moves the clock to `start_time()` (Monday 2 March 2026, 08:00 UTC) + `offset` and renews
/// both partners' tokens.
async fn at(app: &TestApp, offset: Duration, people: &mut [&mut Person]) {
    let target = start_time() + offset;
    app.advance(target - app.clock.now(), people).await;
}

fn hm(hours: i64, minutes: i64, seconds: i64) -> Duration {
    Duration::hours(hours) + Duration::minutes(minutes) + Duration::seconds(seconds)
}

/// Mail to `to` whose subject contains `subject`, so far.
fn mail_count(sink: &SmtpSink, to: &str, subject: &str) -> usize {
    sink.received()
        .iter()
        .filter(|m| m.to == to && m.subject.contains(subject))
        .count()
}

async fn settle() {
    // Long enough for a few scheduler ticks and the outbox to have sent anything due.
    tokio::time::sleep(Wait::from_millis(500)).await;
}

fn round_path(space: &str, round: &Value) -> String {
    format!(
        "/api/v1/spaces/{space}/weekly/{}",
        round["id"].as_str().unwrap()
    )
}

async fn rounds(app: &TestApp, reader: &Person, space: &str) -> Vec<Value> {
    let list = expect_json(
        app.weekly_rounds(&reader.access, space).await,
        StatusCode::OK,
    )
    .await;
    list["items"].as_array().unwrap().clone()
}

/// Ada (Berlin) and Ben (New York) agree on Sundays at 19:30 for two days, with their own two
/// prompts; a bad proposal changes nothing, and only the other partner accepts.
async fn agree_on_a_plan(app: &TestApp, sink: &SmtpSink, ada: &Person, ben: &Person, space: &str) {
    let defaults = expect_json(app.weekly_plan(&ada.access, space).await, StatusCode::OK).await;
    assert_eq!(defaults["agreed"]["weekday"], "Sun");
    assert_eq!(defaults["agreed"]["at"], "18:00:00");
    assert_eq!(defaults["agreed"]["open_days"], 3);
    assert_eq!(defaults["agreed"]["prompts"].as_array().unwrap().len(), 4);
    assert_eq!(defaults["proposal"], Value::Null);
    // Sunday 8 March, 18:00 in Berlin (UTC+1); in New York, the day its clocks go forward.
    assert_eq!(defaults["next_opening"], "2026-03-08T17:00:00Z");
    let bens = expect_json(app.weekly_plan(&ben.access, space).await, StatusCode::OK).await;
    assert_eq!(bens["next_opening"], "2026-03-08T22:00:00Z");

    let plan = json!({"weekday": "Sun", "at": "19:30", "open_days": 2,
        "prompts": ["One thing I loved", "One thing I need"]});
    for (field, bad) in [
        ("open_days", json!(0)),
        ("open_days", json!(7)),
        ("prompts", json!([])),
        ("prompts", json!(["Same", "same"])),
        ("at", json!("25:00")),
        ("weekday", json!("Funday")),
        ("open_days", json!("two")),
    ] {
        let mut proposal = plan.clone();
        proposal[field] = bad.clone();
        let refused = app.propose_weekly_plan(&ada.access, space, proposal).await;
        let problem =
            expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
        assert!(
            problem.to_string().contains(field),
            "{field}={bad}: {problem}"
        );
    }
    let mut extra = plan.clone();
    extra["colour"] = json!("blue");
    let refused = app.propose_weekly_plan(&ada.access, space, extra).await;
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let untouched = expect_json(app.weekly_plan(&ben.access, space).await, StatusCode::OK).await;
    assert_eq!(
        untouched["proposal"],
        Value::Null,
        "a bad proposal changes nothing"
    );

    let proposed = expect_json(
        app.propose_weekly_plan(&ada.access, space, plan.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(proposed["proposal"]["proposed_by"], ada.id.as_str());
    assert_eq!(
        proposed["agreed"]["at"], "18:00:00",
        "nothing changes until accepted"
    );
    let seen = proposed["proposal"]["proposed_at"].clone();
    let own = app.accept_weekly_plan(&ada.access, space, &seen).await;
    expect_problem(own, StatusCode::FORBIDDEN, "own_proposal").await;
    let declined = expect_json(
        app.drop_weekly_plan(&ben.access, space).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(declined["proposal"], Value::Null);
    let nothing = app.accept_weekly_plan(&ben.access, space, &seen).await;
    expect_problem(nothing, StatusCode::CONFLICT, "no_proposal").await;

    // A proposal replaced after Ben read it is not accepted unseen.
    let first = expect_json(
        app.propose_weekly_plan(&ada.access, space, plan.clone())
            .await,
        StatusCode::CREATED,
    )
    .await;
    app.clock.advance(Duration::seconds(1));
    expect_json(
        app.propose_weekly_plan(&ada.access, space, plan).await,
        StatusCode::CREATED,
    )
    .await;
    let stale = first["proposal"]["proposed_at"].clone();
    let changed = app.accept_weekly_plan(&ben.access, space, &stale).await;
    expect_problem(changed, StatusCode::CONFLICT, "proposal_changed").await;
    let _ = sink
        .wait_for(2, Wait::from_secs(10), |m| {
            m.to == "ben@example.org" && m.subject.contains("proposed a plan")
        })
        .await;
    let current = expect_json(app.weekly_plan(&ben.access, space).await, StatusCode::OK).await;
    let seen = current["proposal"]["proposed_at"].clone();
    let agreed = expect_json(
        app.accept_weekly_plan(&ben.access, space, &seen).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(agreed["agreed"]["at"], "19:30:00");
    assert_eq!(agreed["agreed"]["open_days"], 2);
    assert_eq!(agreed["proposal"], Value::Null);
    // 19:30 EDT (UTC-4 from today in New York).
    assert_eq!(agreed["next_opening"], "2026-03-08T23:30:00Z");
    let adas = expect_json(app.weekly_plan(&ada.access, space).await, StatusCode::OK).await;
    assert_eq!(adas["next_opening"], "2026-03-08T18:30:00Z");
    sink.expect("ada@example.org", "Ben accepted your plan")
        .await;
}

async fn rounds_follow_the_plan_in_both_zones(flavor: Flavor) {
    let fast = ("KEPT__SCHEDULER__TICK_MILLIS", "40");
    let Some((app, sink)) = spawn_app_with_mail(flavor, &[fast]).await else {
        return;
    };
    let (mut ada, mut ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let zone = json!({"time_zone": "America/New_York"});
    expect_json(app.patch_me(&ben.access, zone).await, StatusCode::OK).await;
    agree_on_a_plan(&app, &sink, &ada, &ben, &space).await;
    let (a, b) = ("ada@example.org", "ben@example.org");
    let opened = "Your weekly check-in is open";

    // Sunday 8 March, 18:30:30 UTC, 19:30 in Berlin: the round opens, and Ada is told; Ben's
    // evening has not come yet.
    at(
        &app,
        Duration::days(6) + hm(10, 30, 30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let told = sink.expect(a, opened).await;
    assert!(told.text.contains("open for 2 days"), "{}", told.text);
    settle().await;
    assert_eq!(mail_count(&sink, b, opened), 0);
    let first = expect_json(
        app.current_weekly(&ada.access, &space).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["opened_at"], "2026-03-08T18:30:30Z");
    assert_eq!(first["closes_at"], "2026-03-10T23:30:00Z");
    assert_eq!(
        first["prompts"],
        json!(["One thing I loved", "One thing I need"])
    );
    let opened_event = app
        .events(&ben, &space)
        .await
        .into_iter()
        .find(|e| e["kind"] == "weekly.opened")
        .unwrap();
    assert_eq!(
        opened_event["actor_id"],
        Value::Null,
        "the plan opened it, not a partner"
    );

    // Ada answers at once: Ben hears only that she is ready.
    let round = round_path(&space, &first);
    let adas = json!({"answers": [{"prompt": 0, "text": "ADA-WORDS the long walk"}]});
    expect_json(
        app.save_weekly(&ada.access, &round, adas).await,
        StatusCode::OK,
    )
    .await;
    expect_json(app.submit_weekly(&ada.access, &round).await, StatusCode::OK).await;
    let ready = sink
        .expect(b, "Ada has answered this week's check-in")
        .await;
    assert!(!ready.raw.contains("ADA-WORDS"), "never what she wrote");

    // 23:30:30 UTC, 19:30 in New York: Ben is told; it is the same round.
    at(
        &app,
        Duration::days(6) + hm(15, 30, 30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    sink.expect(b, opened).await;
    assert_eq!(rounds(&app, &ben, &space).await.len(), 1);

    // Monday 9 March, 23:30:31 UTC: the round takes answers two days from Ben's opening (to
    // Tuesday 23:30 UTC), and a day before that comes one nudge, to Ben only.
    let closing = "Your weekly check-in closes soon";
    at(
        &app,
        Duration::days(7) + hm(15, 30, 31),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let nudge = sink.expect(b, closing).await;
    assert!(
        nudge.text.contains("closes in about 23 hours"),
        "{}",
        nudge.text
    );
    settle().await;
    assert_eq!(
        mail_count(&sink, a, closing),
        0,
        "never to the one who answered"
    );
    // Tuesday 10 March, 23:31 UTC: it closes unrevealed.
    at(
        &app,
        Duration::days(8) + hm(15, 31, 0),
        &mut [&mut ada, &mut ben],
    )
    .await;
    settle().await;
    let closed = expect_json(app.weekly_round(&ben.access, &round).await, StatusCode::OK).await;
    assert_eq!(
        (closed["state"].clone(), closed["partner"].clone()),
        (json!("closed"), Value::Null)
    );
    assert_eq!(mail_count(&sink, b, closing), 1, "one nudge, no more");

    // Ada turns the "partner is ready" mail off. Sunday 29 March, after Europe's clocks moved:
    // 19:30 in Berlin is 17:30 UTC. The weeks in between were missed while the clock jumped.
    let off = json!({"mail": {"weekly_partner_ready": false}});
    expect_json(app.patch_me(&ada.access, off).await, StatusCode::OK).await;
    at(
        &app,
        Duration::days(27) + hm(9, 29, 0),
        &mut [&mut ada, &mut ben],
    )
    .await;
    settle().await;
    assert_eq!(
        rounds(&app, &ada, &space).await.len(),
        1,
        "not before 19:30"
    );
    at(
        &app,
        Duration::days(27) + hm(9, 30, 30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    let twice = sink
        .wait_for(2, Wait::from_secs(10), |m| {
            m.to == a && m.subject.contains(opened)
        })
        .await;
    assert_eq!(twice.len(), 2);
    let second = expect_json(
        app.current_weekly(&ben.access, &space).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["opened_at"], "2026-03-29T17:30:30Z");
    let round = round_path(&space, &second);

    // Ben answers first; Ada asked not to be told. Then Ada answers: the reveal mail to Ben
    // says only that both answered.
    let bens = json!({"answers": [{"prompt": 1, "text": "BEN-NEED evenings without phones"}], "rating": 6});
    expect_json(
        app.save_weekly(&ben.access, &round, bens).await,
        StatusCode::OK,
    )
    .await;
    expect_json(app.submit_weekly(&ben.access, &round).await, StatusCode::OK).await;
    let adas = json!({"answers": [
        {"prompt": 0, "text": "ADA-SECRET kept to myself", "private": true},
        {"prompt": 1, "text": "ADA-NEED a slower Sunday morning"}
    ], "rating": 8});
    expect_json(
        app.save_weekly(&ada.access, &round, adas).await,
        StatusCode::OK,
    )
    .await;
    let revealed = expect_json(app.submit_weekly(&ada.access, &round).await, StatusCode::OK).await;
    assert_eq!(revealed["state"], "revealed");
    let reveal = sink.expect(b, "your weekly check-in is revealed").await;
    assert!(!reveal.raw.contains("NEED"), "no words in the reveal mail");
    settle().await;
    assert_eq!(
        mail_count(&sink, a, "Ben has answered"),
        0,
        "Ada turned it off"
    );
    // The stats: rounds held and revealed per week, and both ratings of a revealed round.
    let stats = app
        .get(
            &format!("/api/v1/spaces/{space}/stats?weeks=4"),
            &ada.access,
        )
        .await;
    let stats = expect_json(stats, StatusCode::OK).await;
    let weeks = stats["weekly_check_ins"].as_array().unwrap();
    let figures: Vec<(i64, i64)> = weeks
        .iter()
        .map(|w| (w["held"].as_i64().unwrap(), w["revealed"].as_i64().unwrap()))
        .collect();
    assert_eq!(figures, [(1, 0), (0, 0), (0, 0), (1, 1)], "{stats}");
    let mut ratings: Vec<i64> = weeks[3]["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_i64().unwrap())
        .collect();
    ratings.sort();
    assert_eq!(ratings, [6, 8]);

    // 23:30:30 UTC, 19:30 in New York: this week's round was held already; nothing new opens,
    // and Ben is not told of a round that is over.
    at(
        &app,
        Duration::days(27) + hm(15, 30, 30),
        &mut [&mut ada, &mut ben],
    )
    .await;
    settle().await;
    assert_eq!(rounds(&app, &ben, &space).await.len(), 2);
    assert_eq!(mail_count(&sink, b, opened), 1);

    answers_become_actions(
        &app,
        &ada,
        &ben,
        &space,
        &round,
        &closed_path(&space, &closed),
    )
    .await;

    // Ada leaves: no round opens for this space again.
    let leave = json!({"mode": "normal"});
    let left = app
        .post(&format!("/api/v1/spaces/{space}/leave"), &ada.access, leave)
        .await;
    expect_json(left, StatusCode::OK).await;
    at(&app, Duration::days(34) + hm(9, 30, 30), &mut [&mut ben]).await;
    settle().await;
    assert_eq!(rounds(&app, &ben, &space).await.len(), 2);
}

fn closed_path(space: &str, round: &Value) -> String {
    round_path(space, round)
}

/// From the revealed round: Ben's need goes on the next talk's agenda, Ada's becomes her
/// request; what cannot be done is refused and changes nothing.
async fn answers_become_actions(
    app: &TestApp,
    ada: &Person,
    ben: &Person,
    space: &str,
    round: &str,
    closed_round: &str,
) {
    let bens_need = json!({"author": ben.id, "prompt": 1, "into": "agenda"});
    let no_talk = app
        .follow_up_weekly(&ada.access, round, bens_need.clone())
        .await;
    expect_problem(no_talk, StatusCode::CONFLICT, "no_next_talk").await;
    let talk = json!({"title": "Sunday talk", "mode": "in_person", "starts_at": "2026-04-05T16:00:00Z",
        "duration_minutes": 60, "cadence": "once"});
    let talk = expect_json(
        app.post(&format!("/api/v1/spaces/{space}/talks"), &ada.access, talk)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let done = expect_json(
        app.follow_up_weekly(&ada.access, round, bens_need).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(done["talk"]["id"], talk["id"]);
    assert_eq!(
        done["talk"]["agenda"],
        json!(["BEN-NEED evenings without phones"])
    );

    let not_mine = json!({"author": ben.id, "prompt": 1, "into": "request"});
    let refused = app.follow_up_weekly(&ada.access, round, not_mine).await;
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    assert_eq!(problem["errors"][0]["field"], "author");
    let mine = json!({"author": ada.id, "prompt": 1, "into": "request"});
    let request = expect_json(
        app.follow_up_weekly(&ada.access, round, mine).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        request["request"]["text"],
        "ADA-NEED a slower Sunday morning"
    );

    // A private answer stays its author's: not even its author turns it into an action, and
    // the partner cannot reach it at all.
    let secret = json!({"author": ada.id, "prompt": 0, "into": "request"});
    let kept = app.follow_up_weekly(&ada.access, round, secret).await;
    expect_problem(kept, StatusCode::CONFLICT, "answer_private").await;
    let hers = json!({"author": ada.id, "prompt": 0, "into": "agenda"});
    let hidden = app.follow_up_weekly(&ben.access, round, hers).await;
    expect_problem(hidden, StatusCode::NOT_FOUND, "not_found").await;
    // Someone who was never in the space has no answers here.
    let cleo = app.register("cleo@example.org", "Cleo").await;
    let stranger = json!({"author": cleo.id, "prompt": 1, "into": "agenda"});
    let nobody = app.follow_up_weekly(&ada.access, round, stranger).await;
    expect_problem(nobody, StatusCode::NOT_FOUND, "not_found").await;

    // No answer to that prompt, a round that never revealed, bad input.
    let unanswered = json!({"author": ben.id, "prompt": 0, "into": "agenda"});
    let missing = app.follow_up_weekly(&ada.access, round, unanswered).await;
    expect_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
    let early = json!({"author": ada.id, "prompt": 0, "into": "agenda"});
    let closed = app.follow_up_weekly(&ada.access, closed_round, early).await;
    expect_problem(closed, StatusCode::CONFLICT, "round_not_revealed").await;
    for bad in [
        json!({"author": ada.id, "prompt": -1, "into": "agenda"}),
        json!({"author": ada.id, "prompt": 0, "into": "commitment"}),
        json!({"author": "nobody", "prompt": 0, "into": "agenda"}),
        json!({"prompt": 0, "into": "agenda"}),
    ] {
        let refused = app.follow_up_weekly(&ben.access, round, bad.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let talk_now = app
        .get(
            &format!(
                "/api/v1/spaces/{space}/talks/{}",
                talk["id"].as_str().unwrap()
            ),
            &ben.access,
        )
        .await;
    let talk_now = expect_json(talk_now, StatusCode::OK).await;
    assert_eq!(
        talk_now["agenda"].as_array().unwrap().len(),
        1,
        "{talk_now}"
    );
}

/// How many weekly opening reminders the database holds.
fn openings(app: &TestApp) -> i64 {
    use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let counted: Vec<Count> = sql_query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM reminders WHERE kind = 'weekly_opening'",
    )
    .load(&mut app.db().connect())
    .unwrap();
    counted.first().map_or(0, |c| c.n)
}

/// A space paired before the weekly check-in existed has no openings; a server starting fills
/// them in, one per partner.
async fn spaces_paired_earlier_get_their_openings_when_a_server_starts(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    app.paired_space().await;
    assert_eq!(
        openings(&app),
        2,
        "pairing schedules both partners' openings"
    );
    {
        use diesel::{RunQueryDsl, sql_query};
        sql_query("DELETE FROM reminders WHERE kind = 'weekly_opening'")
            .execute(&mut app.db().connect())
            .unwrap();
    }
    let _restarted = app.another_instance();
    let mut filled = 0;
    for _ in 0..100 {
        filled = openings(&app);
        if filled == 2 {
            break;
        }
        tokio::time::sleep(Wait::from_millis(50)).await;
    }
    assert_eq!(filled, 2);
}

on_both_databases!(
    rounds_follow_the_plan_in_both_zones,
    spaces_paired_earlier_get_their_openings_when_a_server_starts
);
