//! Operational endpoints and the answers for paths that do not exist.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::{Method, StatusCode};

async fn health_and_readiness_answer(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let health = expect_json(app.healthz().await, StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    let ready = expect_json(app.readyz().await, StatusCode::OK).await;
    assert_eq!(ready["status"], "ready");
    let response = app
        .call(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert!(response.headers().get("x-request-id").is_some());
    expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    let help = expect_json(app.help_resources().await, StatusCode::OK).await;
    assert!(
        help["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"].is_string())
    );
}

on_both_databases!(health_and_readiness_answer);

/// The database going away is a 503 with a clear code, never a 500, and the service recovers
/// by itself when it returns. (Refusing connections is a server's failure mode: PostgreSQL only.)
mod postgres_outage {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection, RunQueryDsl};
    use kept_tests::spawn_app_with;

    /// Found by an outside test: while the database was unreachable every request waited the
    /// whole connect timeout before its 503. Once the pool knows, the answer comes at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_database_is_a_503_at_once_and_the_service_recovers() {
        // A connect timeout far longer than any answer below may take: a request that waited
        // for it would fail the client's own (much shorter) timeout.
        let settings = [("KEPT__DATABASE__CONNECT_TIMEOUT_SECS", "60")];
        let Some(app) = spawn_app_with(Flavor::Postgres, &settings).await else {
            return;
        };
        let ada = app.register("ada@example.org", "Ada").await;
        let database = app.db().url().rsplit('/').next().unwrap();
        let database = database.split('?').next().unwrap().to_owned();
        let mut admin =
            PgConnection::establish(&std::env::var("KEPT_TEST_POSTGRES_URL").unwrap()).unwrap();
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {database} ALLOW_CONNECTIONS false; \
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';"
            ))
            .unwrap();
        // pg_terminate_backend only signals: wait until every backend of the database is gone,
        // or a request may still be served by one that has not yet exited.
        let mut gone = false;
        for _ in 0..200 {
            let remaining: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                &format!("(SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}')"),
            ))
            .get_result(&mut admin)
            .unwrap();
            if remaining == 0 {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(gone, "the database's backends exit");

        let impatient = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap();
        for _ in 0..5 {
            let request = impatient
                .get(app.url("/api/v1/me"))
                .bearer_auth(&ada.access);
            let response = app.send(request).await;
            assert_eq!(
                response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap()),
                Some("2")
            );
            expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        }
        let ready = app.readyz().await;
        expect_problem(ready, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        let health = app.healthz().await;
        assert_eq!(
            health.status(),
            StatusCode::OK,
            "the process itself is fine"
        );

        admin
            .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
            .unwrap();
        // Recovery takes the pool's next connection attempt (r2d2 backs off between them); a
        // client retries as told.
        let mut recovered = false;
        for _ in 0..600 {
            let response = app.get("/api/v1/me", &ada.access).await;
            if response.status() == StatusCode::OK {
                recovered = true;
                break;
            }
            expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(recovered, "the service recovers by itself");
    }
}
