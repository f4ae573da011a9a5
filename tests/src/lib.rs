//! The end-to-end harness: [`spawn_app`] boots the real application on an ephemeral port with
//! a fresh database (SQLite or PostgreSQL) and a clock the test moves; helpers speak HTTP to it
//! the way a client would. Every test runs once per database through [`on_both_databases!`].

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

pub mod contract;
mod endpoints;
pub mod live;
pub mod mail;
pub mod push_receiver;
mod python_server;
pub mod rows;

use chrono::{TimeZone, Utc};
use kept_api::{Application, Config};
use kept_core::ManualClock;
pub use kept_store::test_db::Flavor;
use kept_store::test_db::TestDb;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Generates one `#[tokio::test]` per database for each named `async fn(Flavor)`, on a runtime
/// with worker threads: the app's background tasks go on while a test (or its drop check) waits.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test($crate::Flavor::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $test() { super::$test($crate::Flavor::Postgres).await } )*
        }
    };
}

/// A running app. Dropping it stops the server; the database goes with the last app using it.
#[allow(missing_debug_implementations)] // holds a server handle and a client; nothing useful to print
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub flavor: Flavor,
    pub shutdown: kept_api::app::Shutdown,
    pub hub: Arc<kept_notify::Hub>,
    pub store: kept_store::Store,
    settings: Vec<(String, String)>,
    _data_dir: tempfile::TempDir,
    db: Arc<TestDb>,
    /// Set by a test that leaves mail behind on purpose (see [`TestApp::leaves_mail_behind`]).
    mail_left_behind: std::sync::atomic::AtomicBool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() && !self.mail_left_behind.load(Ordering::Relaxed) {
            self.assert_no_mail_left_behind();
        }
        // The stop command is sent at once; awaiting its completion is not needed.
        drop(self.shutdown.server_stop_now());
    }
}

impl TestApp {
    /// For a test that ends with mail still owed on purpose (a mail server left down, a mail
    /// that cannot be sent): the check on drop is skipped.
    pub fn leaves_mail_behind(&self) {
        self.mail_left_behind.store(true, Ordering::Relaxed);
    }

    /// Every mail that is due has gone out and none was given up on: a story that wrote mail
    /// nobody sent would otherwise pass. The outbox worker runs every 25 ms; it gets a few
    /// seconds to catch up.
    fn assert_no_mail_left_behind(&self) {
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread {
            // The outbox worker is a task on this runtime: let it run while this thread waits.
            tokio::task::block_in_place(|| self.wait_for_the_outbox());
        } else {
            // Waiting here would stop the worker itself: only what was given up on is checked.
            let backlog = self.store.outbox_backlog().expect("read the outbox");
            assert_eq!(backlog.failed, 0, "mail was given up on: {backlog:?}");
        }
    }

    fn wait_for_the_outbox(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let backlog = self.store.outbox_backlog().expect("read the outbox");
            assert_eq!(backlog.failed, 0, "mail was given up on: {backlog:?}");
            if backlog.due == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "mail was left unsent at the end of the test: {backlog:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
}

/// The time every test starts at: a Monday morning, so weeks line up in later tests.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .single()
        .expect("valid start time")
}

/// Shared by every instance a test starts, so that tokens from one are valid on another.
const TEST_JWT_SECRET: &str = "test-signing-key-0123456789abcdef-0123456789";

/// Boots the app on port 0, or `None` when `flavor` is PostgreSQL and no test server is set.
pub async fn spawn_app(flavor: Flavor) -> Option<TestApp> {
    spawn_app_with(flavor, &[]).await
}

/// Like [`spawn_app`], with extra `KEPT__…` settings.
pub async fn spawn_app_with(flavor: Flavor, settings: &[(&str, &str)]) -> Option<TestApp> {
    let db = Arc::new(TestDb::new(flavor)?);
    let settings = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Some(boot(flavor, db, settings, ManualClock::new(start_time())))
}

/// Boots the app sending its mail to a fresh SMTP server on loopback; `None` as for
/// [`spawn_app`].
pub async fn spawn_app_with_mail(
    flavor: Flavor,
    settings: &[(&str, &str)],
) -> Option<(TestApp, mail::SmtpSink)> {
    if flavor == Flavor::Postgres && std::env::var("KEPT_TEST_POSTGRES_URL").is_err() {
        // No database to run on: TestDb prints the notice (or fails under CI).
        let _skipped = TestDb::new(flavor);
        return None;
    }
    let sink = mail::SmtpSink::start();
    let url = sink.url();
    let mut all: Vec<(&str, &str)> = vec![
        ("KEPT__MAIL__SMTP_URL", url.as_str()),
        ("KEPT__MAIL__POLL_MILLIS", "25"),
        ("KEPT__MAIL__TIMEOUT_SECS", "5"),
    ];
    all.extend_from_slice(settings);
    let app = spawn_app_with(flavor, &all).await?;
    Some((app, sink))
}

impl TestApp {
    /// Another instance on the same database (and clock and settings), as behind a proxy.
    pub fn another_instance(&self) -> TestApp {
        boot(
            self.flavor,
            Arc::clone(&self.db),
            self.settings.clone(),
            self.clock.clone(),
        )
    }

    /// The test database, for tests that act on the server itself.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    /// Runs `kept users …` against this app's database, as the operator would beside the
    /// running server: what it prints, or why it failed.
    pub async fn kept_users(
        &self,
        command: kept_api::operator::UsersCommand,
        as_json: bool,
    ) -> Result<String, String> {
        let env = [
            ("KEPT__DATABASE__URL".to_owned(), self.db.url().to_owned()),
            ("KEPT__SERVER__PUBLIC_URL".to_owned(), self.base.clone()),
        ];
        let config = Config::load(None, env).expect("operator configuration");
        tokio::task::spawn_blocking(move || {
            kept_api::operator::users(&config, command, as_json).map_err(|e| e.to_string())
        })
        .await
        .unwrap()
    }
}

fn boot(
    flavor: Flavor,
    db: Arc<TestDb>,
    settings: Vec<(String, String)>,
    clock: ManualClock,
) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = [
        ("KEPT__SERVER__BIND", "127.0.0.1:0".to_owned()),
        ("KEPT__SERVER__WORKERS", "2".to_owned()),
        ("KEPT__SERVER__SHUTDOWN_TIMEOUT_SECS", "1".to_owned()),
        ("KEPT__DATABASE__URL", db.url().to_owned()),
        ("KEPT__DATABASE__POOL_SIZE", "4".to_owned()),
        ("KEPT__AUTH__JWT_SECRET", TEST_JWT_SECRET.to_owned()),
        ("KEPT__DATA__DIR", data_dir.path().display().to_string()),
        (
            "KEPT__MAIL__OUTBOX_DIR",
            data_dir.path().join("outbox").display().to_string(),
        ),
        ("KEPT__LOG__FILTER", "warn".to_owned()),
        // Mail goes out promptly, so that the check on drop finds nothing owed.
        ("KEPT__MAIL__POLL_MILLIS", "25".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(settings.iter().cloned());
    let config = Config::load(None, env).expect("test configuration");
    kept_api::telemetry::init(&config.log.filter, config.log.format);
    let app = Application::build(config, Arc::new(clock.clone())).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (shutdown, hub, store) = (app.shutdown_handle(), app.hub(), app.store());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        clock,
        flavor,
        shutdown,
        hub,
        store,
        settings,
        _data_dir: data_dir,
        db,
        mail_left_behind: std::sync::atomic::AtomicBool::new(false),
    }
}

/// A registered person with a session.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `body` as JSON (or nothing) with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Sends a request and checks the answer against the API contract (see [`contract`]); the
    /// answer is handed back whole, to be read as usual.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let request = request.build().expect("a well-formed request");
        let (method, url) = (request.method().clone(), request.url().clone());
        let response = self
            .client
            .execute(request)
            .await
            .expect("request reaches the app");
        let status = response.status();
        let headers = response.headers().clone();
        let version = response.version();
        let body = response.bytes().await.expect("the body arrives");
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        contract::contract().check_response(
            method.as_str(),
            &path,
            status.as_u16(),
            content_type,
            &body,
        );
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        *rebuilt.version_mut() = version;
        Response::from(rebuilt)
    }

    /// Sends raw bytes with the given content type (for malformed and oversized bodies).
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn register(&self, email: &str, display_name: &str) -> Person {
        let body = json!({
            "email": email, "password": "correct horse battery", "display_name": display_name, "time_zone": "Europe/Berlin"
        });
        let answer = expect_json(
            self.call(Method::POST, "/api/v1/auth/register", None, Some(body))
                .await,
            StatusCode::CREATED,
        )
        .await;
        Person {
            id: answer["user"]["id"].as_str().unwrap().to_owned(),
            email: answer["user"]["email"].as_str().unwrap().to_owned(),
            access: answer["access_token"].as_str().unwrap().to_owned(),
            refresh: answer["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Rotates the person's tokens, as a client does when its access token has expired.
    pub async fn renew(&self, person: &mut Person) {
        let body = json!({ "refresh_token": person.refresh });
        let answer = expect_json(
            self.call(Method::POST, "/api/v1/auth/refresh", None, Some(body))
                .await,
            StatusCode::OK,
        )
        .await;
        person.access = answer["access_token"].as_str().unwrap().to_owned();
        person.refresh = answer["refresh_token"].as_str().unwrap().to_owned();
    }

    /// Moves the clock and renews everyone's tokens.
    pub async fn advance(&self, by: chrono::Duration, people: &mut [&mut Person]) {
        self.clock.advance(by);
        for person in people {
            self.renew(person).await;
        }
    }

    pub async fn login(&self, email: &str) -> Response {
        let body = json!({ "email": email, "password": "correct horse battery" });
        self.call(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await
    }

    /// Creates a space and returns its id.
    pub async fn create_space(&self, owner: &Person, name: &str) -> String {
        let space = expect_json(
            self.post("/api/v1/spaces", &owner.access, json!({ "name": name }))
                .await,
            StatusCode::CREATED,
        )
        .await;
        space["id"].as_str().unwrap().to_owned()
    }

    /// Creates an invite and returns its answer (`code`, `url`, `expires_at`).
    pub async fn invite(&self, member: &Person, space: &str) -> Value {
        let response = self
            .post(
                &format!("/api/v1/spaces/{space}/invites"),
                &member.access,
                json!({}),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    pub async fn accept(&self, person: &Person, code: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/invites/{code}/accept"),
            Some(&person.access),
            None,
        )
        .await
    }

    /// A paired space: A creates it, invites, B accepts. Returns (A, B, space id).
    pub async fn paired_space(&self) -> (Person, Person, String) {
        let a = self.register("ada@example.org", "Ada").await;
        let b = self.register("ben@example.org", "Ben").await;
        let space = self.create_space(&a, "Us").await;
        let code = self.invite(&a, &space).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        expect_json(self.accept(&b, &code).await, StatusCode::OK).await;
        (a, b, space)
    }

    /// Verifies the person's address with the link from their verification mail.
    pub async fn verify_email(&self, sink: &mail::SmtpSink, person: &Person) {
        let mail = sink.expect(&person.email, "Confirm your address").await;
        let link = mail
            .link_with("/verify-email?token=")
            .expect("a verification link");
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let response = self
            .call(
                Method::POST,
                "/api/v1/auth/verify-email",
                None,
                Some(json!({ "token": token })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// Every event of the space the viewer may see.
    pub async fn events(&self, viewer: &Person, space: &str) -> Vec<Value> {
        let page = expect_json(
            self.get(
                &format!("/api/v1/spaces/{space}/events?limit=500"),
                &viewer.access,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        page["items"].as_array().unwrap().clone()
    }
}

/// Asserts the status and returns the JSON body.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts an RFC 9457 problem with this status and code; returns it.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let problem = expect_json(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status.as_u16());
    problem
}
