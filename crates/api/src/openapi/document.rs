//! The OpenAPI 3.1 document the registrations build: operations, their parameters and
//! answers, the shared `Problem` schema and the bearer security scheme.

use super::op::Op;
use actix_web::http::Method;
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder, Schema,
};
/// Name of the security scheme every non-public operation requires.
const BEARER: &str = "bearer";
/// Name of the error body's schema (RFC 9457 problem details).
const PROBLEM: &str = "Problem";

/// The operations registered so far and the schemas they refer to.
#[derive(Debug, Default)]
pub struct Document {
    paths: Paths,
    schemas: BTreeMap<String, RefOr<Schema>>,
}

impl Document {
    pub(super) fn describe(&mut self, method: &Method, path: &str, tag: &str, op: Op) {
        let mut operation = OperationBuilder::new()
            .tag(tag)
            .summary(Some(op.summary))
            .operation_id(Some(op.id));
        let path_params = path_parameters(path);
        for name in &path_params {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(path_parameter_schema(name)))
                    .description(Some(path_parameter_meaning(name))),
            );
        }
        let takes_query = !op.query.is_empty();
        for parameter in op.query {
            operation = operation.parameter(parameter);
        }
        self.schemas.extend(op.schemas);
        for answer in op.answers {
            let mut response = ResponseBuilder::new().description(answer.description);
            if let Some((media, schema)) = answer.content {
                response =
                    response.content(media, ContentBuilder::new().schema(Some(schema)).build());
            }
            operation = operation.response(answer.status.to_string(), response.build());
        }
        let mut failures = op.failures;
        if let Some(body) = op.body {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(body.name)))
                .build();
            let required = if body.required {
                Required::True
            } else {
                Required::False
            };
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", content)
                    .required(Some(required))
                    .build(),
            ));
            failures.extend([
                (400, "The body is not JSON."),
                (413, "The body is larger than the limit."),
                (415, "The body is not `application/json`."),
                (
                    422,
                    "A field is missing, of the wrong type or invalid; `errors` names it.",
                ),
            ]);
        }
        if takes_query && !failures.iter().any(|(status, _)| *status == 422) {
            failures.push((
                422,
                "A query parameter is unknown or invalid; `errors` names it.",
            ));
        }
        if !op.public {
            operation = operation.security(SecurityRequirement::new(BEARER, Vec::<String>::new()));
            failures.push((401, "No valid access token (or session signed out)."));
        }
        if !path_params.is_empty() {
            failures.push((404, "No such item, or the caller may not see it."));
        }
        if op.rate_limited {
            failures.push((429, "Too many attempts; see `Retry-After`."));
        }
        if *method != Method::GET && path.starts_with("/api/v1/spaces/{space_id}/") {
            failures.push((409, "`space_closed`: the space is closed and read-only."));
        }
        failures.push((503, "The database is unreachable; see `Retry-After`."));
        for (status, description) in merged(failures) {
            operation = operation.response(status.to_string(), problem(status, &description));
        }
        self.paths
            .add_path_operation(path, vec![http_method(method)], operation.build());
    }

    /// The finished OpenAPI 3.1 document.
    pub fn into_openapi(self) -> OpenApi {
        let components = ComponentsBuilder::new()
            .schemas_from_iter(self.schemas)
            .schema(PROBLEM, problem_schema())
            .security_scheme(
                BEARER,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            )
            .build();
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Kept")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "A private shared space for two partners rebuilding trust. Errors are \
                         `application/problem+json` with a stable `code`.",
                    )),
            )
            .paths(self.paths)
            .components(Some(components))
            .build()
    }
}

/// A text body of another media type (an HTML page, an iCalendar feed).
pub fn text_body() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub(super) fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::PUT => HttpMethod::Put,
        _ => HttpMethod::Get,
    }
}

/// The `{name}` segments of a route path.
pub(super) fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

pub(super) fn path_parameter_schema(name: &str) -> ObjectBuilder {
    let string = ObjectBuilder::new().schema_type(Type::String);
    match name {
        // 128 random bits as hex.
        "code" => string.pattern(Some("^[0-9a-f]{32}$")),
        "file" => string.pattern(Some(r"^[0-9a-f]+\.ics$")),
        _ => string.format(Some(SchemaFormat::Custom("uuid".into()))),
    }
}

pub(super) fn path_parameter_meaning(name: &str) -> String {
    match name {
        "code" => "The invite code.".to_owned(),
        "file" => "The secret calendar token followed by `.ics`.".to_owned(),
        id => format!("The {} (a UUIDv7).", id.replace('_', " ")),
    }
}

/// One description per status: an operation's own reasons and those of its shape, together.
pub(super) fn merged(failures: Vec<(u16, &'static str)>) -> BTreeMap<u16, String> {
    let mut by_status: BTreeMap<u16, String> = BTreeMap::new();
    for (status, description) in failures {
        by_status
            .entry(status)
            .and_modify(|known| {
                if !known.contains(description) {
                    known.push_str(" Or: ");
                    known.push_str(description);
                }
            })
            .or_insert_with(|| description.to_owned());
    }
    by_status
}

/// A failure's answer: a `Problem`, and for "too many" and "unavailable" the seconds to wait.
pub(super) fn problem(status: u16, description: &str) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(PROBLEM)))
            .build(),
    );
    if status == 429 || status == 503 {
        let seconds = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1));
        let mut retry_after = utoipa::openapi::header::Header::new(seconds);
        retry_after.description = Some("Seconds to wait before trying again.".to_owned());
        response = response.header("Retry-After", retry_after);
    }
    response.build()
}

pub(super) fn problem_schema() -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let field_error = ObjectBuilder::new()
        .property(
            "field",
            string().description(Some("The field, as a path (`schedule.at`).")),
        )
        .property("message", string())
        .required("field")
        .required("message")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    ObjectBuilder::new()
        .description(Some(
            "RFC 9457 problem details with a stable machine `code`.",
        ))
        .property("type", string())
        .property("title", string())
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(400))
                .maximum(Some(599)),
        )
        .property(
            "code",
            string().description(Some("Stable; clients branch on it.")),
        )
        .property("detail", string())
        .property(
            "errors",
            ArrayBuilder::new()
                .items(field_error)
                .description(Some("Per-field messages, for 422.")),
        )
        .required("type")
        .required("title")
        .required("status")
        .required("code")
        .required("detail")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_the_braced_segments() {
        assert_eq!(
            path_parameters("/api/v1/spaces/{space_id}/requests/{request_id}/acknowledge"),
            vec!["space_id", "request_id"]
        );
        assert!(path_parameters("/healthz").is_empty());
    }
}
