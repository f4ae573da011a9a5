//! `/metrics` after known traffic: requests by route template, events appended, live sockets,
//! mail deliveries, reminders fired and the database pool, each as the traffic says; the
//! token guards it; turned off it is not there; no label carries a person's data.

use chrono::Duration;
use kept_tests::{
    Flavor, TestApp, expect_json, expect_problem, on_both_databases, spawn_app_with,
    spawn_app_with_mail,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration as Wait;

const TOKEN: &str = "scrape-token-0123456789";

async fn scrape(app: &TestApp) -> String {
    let request = app.client.get(app.url("/metrics")).bearer_auth(TOKEN);
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.unwrap()
}

/// The value of the sample `name{labels}` (labels as Prometheus writes them, sorted by name),
/// or 0 when the series does not exist yet.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn a_scrape_counts_the_traffic_it_followed(flavor: Flavor) {
    let settings = [
        ("KEPT__METRICS__TOKEN", TOKEN),
        ("KEPT__SCHEDULER__TICK_MILLIS", "40"),
    ];
    let Some((app, sink)) = spawn_app_with_mail(flavor, &settings).await else {
        return;
    };
    let anonymous = app.send(app.client.get(app.url("/metrics"))).await;
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-guessed");
    expect_problem(
        app.send(wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;

    let (mut ada, ben, space) = app.paired_space().await;
    app.verify_email(&sink, &ada).await;
    app.verify_email(&sink, &ben).await;
    let bad = json!({"email": "ada@example.org", "password": "x", "display_name": "", "time_zone": "UTC"});
    app.register_with(bad).await;
    let live = app.live(&ben, &space, 0).await;
    let ask = json!({"text": "Tell me when you are running late"});
    let path = format!("/api/v1/spaces/{space}/requests");
    expect_json(app.post(&path, &ada.access, ask).await, StatusCode::CREATED).await;
    sink.expect("ben@example.org", "asked you for something")
        .await;
    // Ada's check-in reminder at 20:00 Berlin (19:00 UTC); the clock starts at 08:00 UTC.
    let times = json!({"check_in_times": ["20:00:00"]});
    expect_json(app.patch_me(&ada.access, times).await, StatusCode::OK).await;
    app.advance(Duration::hours(11) + Duration::seconds(30), &mut [&mut ada])
        .await;
    sink.expect("ada@example.org", "Time for a check-in").await;
    // Received by the SMTP server is not yet settled by the worker: wait for the outbox.
    for _ in 0..250 {
        if app.store.outbox_counts().unwrap().sent == 4 {
            break;
        }
        tokio::time::sleep(Wait::from_millis(20)).await;
    }

    let text = scrape(&app).await;
    let requests = |route: &str, method: &str, status: u16| {
        sample(
            &text,
            &format!(
                "kept_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(
        requests("/api/v1/auth/register", "POST", 201),
        2.0,
        "{text}"
    );
    assert_eq!(requests("/api/v1/auth/register", "POST", 422), 1.0);
    assert_eq!(
        requests("/api/v1/spaces/{space_id}/requests", "POST", 201),
        1.0
    );
    assert_eq!(requests("/metrics", "GET", 401), 2.0);
    let timed =
        "kept_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/auth/register\"}";
    assert_eq!(sample(&text, timed), 3.0);

    // One space: every event appended is one of its seqs.
    let shown = app
        .get(&format!("/api/v1/spaces/{space}"), &ada.access)
        .await;
    let last_seq = expect_json(shown, StatusCode::OK).await["last_seq"]
        .as_f64()
        .unwrap();
    assert_eq!(
        sample(&text, "kept_events_appended_total"),
        last_seq,
        "{text}"
    );
    assert_eq!(sample(&text, "kept_live_sockets"), 1.0);
    assert_eq!(sample(&text, "kept_reminders_fired_total"), 1.0);
    assert!(sample(&text, "kept_scheduler_lag_seconds") >= 0.0);

    let sent = app.store.outbox_counts().unwrap().sent as f64;
    assert_eq!(
        sent, 4.0,
        "two verifications, Ben told of the request, Ada reminded"
    );
    assert_eq!(
        sample(
            &text,
            "kept_outbox_deliveries_total{channel=\"mail\",status=\"sent\"}"
        ),
        sent
    );
    assert_eq!(
        sample(&text, "kept_outbox_send_duration_seconds_count"),
        sent
    );

    let in_use = sample(&text, "kept_db_pool_connections{state=\"in_use\"}");
    let idle = sample(&text, "kept_db_pool_connections{state=\"idle\"}");
    assert!(in_use + idle >= 1.0, "{text}");
    assert!(sample(&text, "kept_db_pool_acquired_total") > 10.0);

    for private in ["ada@example.org", "Ada", "running late", &space, &ada.id] {
        assert!(!text.contains(private), "{private} is in the metrics");
    }
    live.close().await;
    for _ in 0..100 {
        if sample(&scrape(&app).await, "kept_live_sockets") == 0.0 {
            return;
        }
        tokio::time::sleep(Wait::from_millis(20)).await;
    }
    panic!("the closed socket is still counted");
}

async fn metrics_turned_off_are_not_served(flavor: Flavor) {
    let Some(app) = spawn_app_with(flavor, &[("KEPT__METRICS__ENABLED", "false")]).await else {
        return;
    };
    let response = app.call(Method::GET, "/metrics", None, None).await;
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let Some(open) = spawn_app_with(flavor, &[]).await else {
        return;
    };
    let response = open.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "no token: open to whoever reaches it"
    );
}

on_both_databases!(
    a_scrape_counts_the_traffic_it_followed,
    metrics_turned_off_are_not_served,
);
