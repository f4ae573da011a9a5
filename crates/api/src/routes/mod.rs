//! The HTTP surface: `/api/v1/…` plus the operational endpoints, one module per kind of item.
//! Handlers are thin: parse the request into core types, run one store command off the async
//! threads ([`crate::handler`]), shape the answer.

mod account_mail;
mod accounts;
mod calendar;
mod check_ins;
mod commitments;
mod export;
mod health;
mod hints;
mod metrics;
mod notes;
mod personal_export;
mod push;
mod registration;
mod requests;
mod spaces;
mod stats;
mod talks;
mod together;
mod weekly;
mod weekly_plan;

use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::web;

/// Every route of the service, each served and described in one call (see [`Api`]).
pub fn routes(api: &mut Api<'_>) {
    api.group("", "operations", health::routes)
        .group("", "operations", metrics::routes)
        .group("", "operations", |api| {
            api.get(
                "/api/openapi.json",
                openapi_document,
                Op::new(
                    "getOpenApi",
                    "This document: OpenAPI 3.1 of every route the service serves",
                )
                .public()
                .media(
                    200,
                    "application/json",
                    openapi_document_schema(),
                    "The OpenAPI document.",
                ),
            );
        })
        .group("/api/v1", "accounts", registration::routes)
        .group("/api/v1", "accounts", accounts::routes)
        .group("/api/v1", "accounts", account_mail::routes)
        .group("/api/v1", "accounts", calendar::routes)
        .group("/api/v1", "spaces", spaces::routes)
        .group("/api/v1", "live", crate::live::routes)
        .group("/api/v1", "check-ins", check_ins::routes)
        .group("/api/v1", "requests", requests::routes)
        .group("/api/v1", "commitments", commitments::routes)
        .group("/api/v1", "notes", notes::routes)
        .group("/api/v1", "together", together::routes)
        .group("/api/v1", "talks", talks::routes)
        .group("/api/v1", "weekly", weekly::routes)
        .group("/api/v1", "stats", stats::routes)
        .group("/api/v1", "spaces", export::routes)
        .group("/api/v1", "accounts", personal_export::routes)
        .group("/api/v1", "hints", hints::routes)
        .group("/api/v1", "push", push::routes);
}

/// Serves every route on `cfg`; the description is dropped (it was built once at start-up by
/// [`crate::openapi::document_of`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::openapi::serve(cfg, routes);
}

/// The top of an OpenAPI 3.1 document; its parts are described by the OpenAPI specification.
fn openapi_document_schema() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let object = || ObjectBuilder::new().schema_type(Type::Object);
    let string = || ObjectBuilder::new().schema_type(Type::String);
    object()
        .property("openapi", string())
        .property(
            "info",
            object()
                .property("title", string())
                .property("version", string())
                .required("title")
                .required("version"),
        )
        .property("paths", object())
        .property("components", object())
        .required("openapi")
        .required("info")
        .required("paths")
}

async fn openapi_document(state: web::Data<AppState>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.to_string())
}
