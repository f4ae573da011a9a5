//! `/api/openapi.json` against the running service: it lists every endpoint of the API, each
//! listed operation is really served (and answers with a status the document gives for it), and
//! the document is well-formed (every `$ref` resolves, every path parameter is declared).

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every endpoint of the API. A route added to the service without being described cannot be
/// served (registration and description are one call); one described but missing here fails this
/// test, so the list and the document move together.
const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/api/openapi.json"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-all"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/verify-email"),
    ("POST", "/api/v1/auth/verify-email/resend"),
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("GET", "/api/v1/unsubscribe"),
    ("POST", "/api/v1/unsubscribe"),
    ("GET", "/api/v1/calendar/{file}"),
    ("GET", "/api/v1/help-resources"),
    ("GET", "/api/v1/registration"),
    ("POST", "/api/v1/hints"),
    ("POST", "/api/v1/invites/{code}/accept"),
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("DELETE", "/api/v1/me"),
    ("GET", "/api/v1/me/export"),
    ("POST", "/api/v1/me/calendar-token"),
    ("DELETE", "/api/v1/me/calendar-token"),
    ("GET", "/api/v1/spaces"),
    ("POST", "/api/v1/spaces"),
    ("GET", "/api/v1/spaces/{space_id}"),
    ("DELETE", "/api/v1/spaces/{space_id}"),
    ("GET", "/api/v1/spaces/{space_id}/activities"),
    ("POST", "/api/v1/spaces/{space_id}/activities"),
    ("GET", "/api/v1/spaces/{space_id}/activities/{activity_id}"),
    (
        "POST",
        "/api/v1/spaces/{space_id}/activities/{activity_id}/done",
    ),
    ("GET", "/api/v1/spaces/{space_id}/check-ins"),
    ("POST", "/api/v1/spaces/{space_id}/check-ins"),
    ("GET", "/api/v1/spaces/{space_id}/check-ins/{check_in_id}"),
    (
        "DELETE",
        "/api/v1/spaces/{space_id}/check-ins/{check_in_id}",
    ),
    ("GET", "/api/v1/spaces/{space_id}/commitments"),
    ("POST", "/api/v1/spaces/{space_id}/commitments"),
    (
        "GET",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}/occurrences/{occurrence_id}/confirm",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}/occurrences/{occurrence_id}/dispute",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}/occurrences/{occurrence_id}/kept",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}/renegotiate",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/commitments/{commitment_id}/retire",
    ),
    ("GET", "/api/v1/spaces/{space_id}/events"),
    ("GET", "/api/v1/spaces/{space_id}/export"),
    ("POST", "/api/v1/spaces/{space_id}/invites"),
    ("DELETE", "/api/v1/spaces/{space_id}/invites/{code}"),
    ("POST", "/api/v1/spaces/{space_id}/leave"),
    ("GET", "/api/v1/spaces/{space_id}/live"),
    ("POST", "/api/v1/spaces/{space_id}/live-ticket"),
    ("GET", "/api/v1/spaces/{space_id}/notes"),
    ("POST", "/api/v1/spaces/{space_id}/notes"),
    ("GET", "/api/v1/spaces/{space_id}/notes/{note_id}"),
    ("DELETE", "/api/v1/spaces/{space_id}/notes/{note_id}"),
    ("GET", "/api/v1/spaces/{space_id}/requests"),
    ("POST", "/api/v1/spaces/{space_id}/requests"),
    ("GET", "/api/v1/spaces/{space_id}/requests/{request_id}"),
    (
        "POST",
        "/api/v1/spaces/{space_id}/requests/{request_id}/acknowledge",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/requests/{request_id}/resolve",
    ),
    (
        "POST",
        "/api/v1/spaces/{space_id}/requests/{request_id}/withdraw",
    ),
    ("GET", "/api/v1/spaces/{space_id}/stats"),
    ("GET", "/api/v1/spaces/{space_id}/talks"),
    ("POST", "/api/v1/spaces/{space_id}/talks"),
    ("GET", "/api/v1/spaces/{space_id}/talks/{talk_id}"),
    ("POST", "/api/v1/spaces/{space_id}/talks/{talk_id}/accept"),
    ("POST", "/api/v1/spaces/{space_id}/talks/{talk_id}/agenda"),
    ("POST", "/api/v1/spaces/{space_id}/talks/{talk_id}/decline"),
    ("POST", "/api/v1/spaces/{space_id}/talks/{talk_id}/move"),
    (
        "POST",
        "/api/v1/spaces/{space_id}/talks/{talk_id}/occurrences",
    ),
    ("POST", "/api/v1/spaces/{space_id}/weekly"),
    ("GET", "/api/v1/spaces/{space_id}/weekly/current"),
    ("GET", "/api/v1/spaces/{space_id}/weekly/{round_id}"),
    ("PUT", "/api/v1/spaces/{space_id}/weekly/{round_id}/answers"),
    ("POST", "/api/v1/spaces/{space_id}/weekly/{round_id}/submit"),
    ("POST", "/api/v1/spaces/{space_id}/weekly/{round_id}/share"),
    ("GET", "/api/v1/spaces/{space_id}/weekly"),
    (
        "POST",
        "/api/v1/spaces/{space_id}/weekly/{round_id}/follow-ups",
    ),
    ("GET", "/api/v1/spaces/{space_id}/weekly/plan"),
    ("POST", "/api/v1/spaces/{space_id}/weekly/plan/proposal"),
    (
        "POST",
        "/api/v1/spaces/{space_id}/weekly/plan/proposal/accept",
    ),
    ("DELETE", "/api/v1/spaces/{space_id}/weekly/plan/proposal"),
    ("GET", "/api/v1/push/public-key"),
    ("POST", "/api/v1/me/push-subscriptions"),
    ("GET", "/api/v1/me/push-subscriptions"),
    ("PATCH", "/api/v1/me/push-subscriptions/{subscription_id}"),
    ("DELETE", "/api/v1/me/push-subscriptions/{subscription_id}"),
    ("GET", "/api/v1/spaces/{space_id}/trust"),
    ("POST", "/api/v1/spaces/{space_id}/trust"),
    ("GET", "/api/v1/talks/agenda-template"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

async fn the_document_lists_and_serves_every_endpoint(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let document = expect_json(
        app.send(app.client.get(app.url("/api/openapi.json"))).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(document["openapi"], "3.1.0");

    let listed: BTreeSet<(String, String)> = operations(&document)
        .map(|(method, path, _)| (method.to_uppercase(), path.to_owned()))
        .collect();
    let expected: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        listed.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not in the endpoint list"
    );
    assert_eq!(
        expected.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "endpoints missing from the document"
    );

    // Real values for the parameters a public endpoint checks before anything else.
    let (ada, _ben, space) = app.paired_space().await;
    let calendar = expect_json(
        app.issue_calendar_token(&ada.access).await,
        StatusCode::CREATED,
    )
    .await;
    let calendar_file = format!("{}.ics", calendar["token"].as_str().unwrap());

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        let id = operation["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_owned()), "operationId {id} is unique");
        assert!(
            id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "operationId {id} is lowerCamelCase"
        );
        every_answer_is_typed(method, path, operation);
        for parameter in path_parameters(path) {
            assert!(
                operation["parameters"].as_array().is_some_and(|ps| ps
                    .iter()
                    .any(|p| p["name"] == parameter && p["in"] == "path")),
                "{method} {path} declares {{{parameter}}}"
            );
        }
        let public = operation.get("security").is_none();

        // Served: called with no token and no body, a protected operation is refused with 401
        // (an unrouted path would be a 404), and every answer is one the document gives.
        let concrete = path
            .replace("{space_id}", &space)
            .replace("{file}", &calendar_file)
            .replace("{code}", "no-such-code")
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "01900000-0000-7000-8000-000000000000"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app.call(method.clone(), &concrete, None, None).await;
        let status = response.status().as_u16();
        if !public {
            assert_eq!(status, 401, "{method} {path} is served and needs a token");
        }
        assert!(
            operation["responses"].get(status.to_string()).is_some(),
            "{method} {path} answered {status}, which its description does not list"
        );
    }

    // The check above is meaningful: a path the service does not serve is a plain 404.
    let unknown = app
        .call(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    no_schema_is_untyped(&document);

    // Every schema reference resolves.
    let schemas = &document["components"]["schemas"];
    let mut references = Vec::new();
    collect_refs(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        assert!(schemas.get(name).is_some(), "$ref {reference} resolves");
    }
}

/// Every success answer with a body names its schema; every failure is a `Problem`.
fn every_answer_is_typed(method: &str, path: &str, operation: &Value) {
    let responses = operation["responses"].as_object().expect("responses");
    for (status, response) in responses {
        let content = response.get("content").and_then(Value::as_object);
        if status.starts_with('2') || status == "101" {
            let Some(content) = content else {
                assert!(
                    ["101", "202", "204"].contains(&status.as_str()),
                    "{method} {path} {status} has no body"
                );
                continue;
            };
            for (media, body) in content {
                let schema = &body["schema"];
                assert!(
                    schema.get("$ref").is_some()
                        || schema.get("type").is_some()
                        || schema.get("allOf").is_some(),
                    "{method} {path} {status} {media} has a schema"
                );
            }
        } else {
            let content = content.expect("a failure has a body");
            assert_eq!(
                content["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status} is a Problem"
            );
        }
    }
}

/// No schema in the document leaves its values open: each is a type, a reference, a composition,
/// an enum or a constant, so a client generated from it has no `unknown` body anywhere.
fn no_schema_is_untyped(document: &Value) {
    fn walk(at: &str, schema: &Value) {
        let Some(fields) = schema.as_object() else {
            return;
        };
        let typed = ["type", "$ref", "allOf", "oneOf", "anyOf", "enum", "const"]
            .iter()
            .any(|keyword| fields.contains_key(*keyword));
        assert!(typed, "untyped schema at {at}: {schema}");
        for (keyword, child) in fields {
            match (keyword.as_str(), child) {
                ("properties", Value::Object(properties)) => {
                    for (name, property) in properties {
                        walk(&format!("{at}.{name}"), property);
                    }
                }
                ("items" | "additionalProperties", Value::Object(_)) => {
                    walk(&format!("{at}[{keyword}]"), child);
                }
                ("allOf" | "oneOf" | "anyOf", Value::Array(parts)) => {
                    for (i, part) in parts.iter().enumerate() {
                        walk(&format!("{at}/{keyword}/{i}"), part);
                    }
                }
                _ => {}
            }
        }
    }
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        walk(name, schema);
    }
    for (method, path, operation) in operations(document) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let content = response.get("content").and_then(Value::as_object);
            for (media, body) in content.into_iter().flatten() {
                walk(
                    &format!("{method} {path} {status} {media}"),
                    &body["schema"],
                );
            }
        }
    }
}

/// Every path answers a method it does not serve with 405, naming those it does in `Allow`.
async fn other_methods_are_not_allowed(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let document = kept_tests::contract::document();
    let paths = document["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let served: BTreeSet<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .map(|method| method.to_uppercase())
            .collect();
        let concrete = path.replace("{file}", "0.ics").replace(['{', '}'], "");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"] {
            if served.contains(method) {
                continue;
            }
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let response = app.call(method.clone(), &concrete, None, None).await;
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            let allow: BTreeSet<String> = response.headers()["allow"]
                .to_str()
                .unwrap()
                .split(", ")
                .map(str::to_owned)
                .collect();
            assert_eq!(allow, served, "Allow of {path}");
            expect_problem(
                response,
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            )
            .await;
        }
    }
    // The examples the outside test found answering 404.
    for (method, path) in [
        ("TRACE", "/healthz"),
        ("PUT", "/api/v1/me"),
        ("GET", "/api/v1/auth/login"),
    ] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.call(method, path, None, None).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}

/// (method, path, operation) for every operation in the document.
fn operations(document: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .iter()
                .filter(|(method, _)| {
                    ["get", "post", "patch", "put", "delete"].contains(&method.as_str())
                })
                .map(move |(method, operation)| (method.as_str(), path.as_str(), operation))
        })
}

fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn collect_refs<'a>(value: &'a Value, into: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("$ref", Value::String(reference)) => into.push(reference),
                    _ => collect_refs(field, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, into)),
        _ => {}
    }
}

on_both_databases!(
    the_document_lists_and_serves_every_endpoint,
    other_methods_are_not_allowed
);
