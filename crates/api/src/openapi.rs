//! One registration for serving and describing: every route goes through [`Api`], which hands the
//! handler to actix and its [`Op`] to the OpenAPI 3.1 document (utoipa's model), so nothing can be
//! served that `/api/openapi.json` does not list, and no answer goes undescribed: each success
//! names its schema, each failure the one `Problem` schema. The routes of one path share one
//! actix resource, so a method the path does not serve is a 405 naming those it does.

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpResponse, Responder, Route, web};
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ArrayBuilder, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder, Schema,
};
use utoipa::{IntoParams, ToSchema};

/// Name of the security scheme every non-public operation requires.
const BEARER: &str = "bearer";
/// Name of the error body's schema (RFC 9457 problem details).
const PROBLEM: &str = "Problem";

/// How one operation is described: its stable id, what it does, what it takes and what it
/// answers. The errors every operation of its shape can give (401, 404, 400/413/415/422 …) are
/// added by [`Api`] from the shape itself, so they cannot be forgotten.
#[derive(Debug)]
pub struct Op {
    id: &'static str,
    summary: &'static str,
    public: bool,
    rate_limited: bool,
    body: Option<Body>,
    query: Vec<utoipa::openapi::path::Parameter>,
    answers: Vec<Answer>,
    failures: Vec<(u16, &'static str)>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

/// One success answer: its status, description and body (media type and schema), if any.
#[derive(Debug)]
struct Answer {
    status: u16,
    description: &'static str,
    content: Option<(&'static str, RefOr<Schema>)>,
}

impl Op {
    /// `id` is the operation id clients are generated with (`createCommitment`): stable and
    /// unique; the test of the document checks both.
    pub fn new(id: &'static str, summary: &'static str) -> Self {
        Op {
            id,
            summary,
            public: false,
            rate_limited: false,
            body: None,
            query: Vec::new(),
            answers: Vec::new(),
            failures: Vec::new(),
            schemas: Vec::new(),
        }
    }

    /// Needs no access token.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Limited per client address; answers 429 with `Retry-After` when over.
    pub fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }

    /// Takes a JSON body of this shape.
    pub fn body<T: ToSchema>(self) -> Self {
        self.with_body::<T>(true)
    }

    /// Takes a JSON body of this shape, or none at all (every field then has its default).
    pub fn optional_body<T: ToSchema>(self) -> Self {
        self.with_body::<T>(false)
    }

    fn with_body<T: ToSchema>(mut self, required: bool) -> Self {
        let name = self.uses::<T>();
        self.body = Some(Body { name, required });
        self
    }

    /// Takes these query parameters.
    pub fn query<T: IntoParams>(mut self) -> Self {
        self.query = T::into_params(|| Some(ParameterIn::Query));
        self
    }

    /// Answers `status` with a JSON `T`.
    pub fn ok<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        let schema = Ref::from_schema_name(self.uses::<T>()).into();
        self.answer(status, description, Some(("application/json", schema)))
    }

    /// Answers `status` with `{items: [T]}`: a whole list, not paged.
    pub fn list<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        let item = Ref::from_schema_name(self.uses::<T>());
        let schema = ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(item))
            .required("items")
            .into();
        self.answer(status, description, Some(("application/json", schema)))
    }

    /// Answers `status` with a JSON `T` plus `hints` on the text its author wrote.
    pub fn hinted<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        let item = Ref::from_schema_name(self.uses::<T>());
        let hint = Ref::from_schema_name(self.uses::<kept_core::hints::Hint>());
        let hints = ObjectBuilder::new()
            .property("hints", ArrayBuilder::new().items(hint))
            .required("hints");
        let schema = AllOfBuilder::new().item(item).item(hints).into();
        self.answer(status, description, Some(("application/json", schema)))
    }

    /// Answers `status` with a body of another media type, described by `schema`.
    pub fn media(
        self,
        status: u16,
        media: &'static str,
        schema: impl Into<RefOr<Schema>>,
        description: &'static str,
    ) -> Self {
        self.answer(status, description, Some((media, schema.into())))
    }

    /// Answers `status` with no body.
    pub fn empty(self, status: u16, description: &'static str) -> Self {
        self.answer(status, description, None)
    }

    /// A failure particular to this operation (a 403 or 409 with its codes, say).
    pub fn fails(mut self, status: u16, description: &'static str) -> Self {
        self.failures.push((status, description));
        self
    }

    fn answer(
        mut self,
        status: u16,
        description: &'static str,
        content: Option<(&'static str, RefOr<Schema>)>,
    ) -> Self {
        self.answers.push(Answer {
            status,
            description,
            content,
        });
        self
    }

    /// Adds `T` and the schemas it refers to; returns the name to refer to it by.
    fn uses<T: ToSchema>(&mut self) -> String {
        let name = T::name().into_owned();
        self.schemas.push((name.clone(), T::schema()));
        T::schemas(&mut self.schemas);
        name
    }
}

/// A JSON request body: its schema's name, and whether it may be left out.
#[derive(Debug)]
struct Body {
    name: String,
    required: bool,
}

/// What registration gathers: the document, and each path's routes in the order first seen.
#[derive(Default)]
struct Registry {
    document: Document,
    resources: Vec<(String, Vec<(Method, Route)>)>,
}

/// Registers routes and describes them in the [`Document`] in the same call.
pub struct Api<'a> {
    registry: &'a mut Registry,
    prefix: &'static str,
    tag: &'static str,
}

impl std::fmt::Debug for Api<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("prefix", &self.prefix)
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

/// Serves on `cfg` every route `register` adds — the routes of one path as one resource that
/// answers 405 with `Allow` for any other method — and returns their description.
pub fn serve(cfg: &mut web::ServiceConfig, register: impl FnOnce(&mut Api<'_>)) -> Document {
    let mut registry = Registry::default();
    register(&mut Api {
        registry: &mut registry,
        prefix: "",
        tag: "operations",
    });
    for (path, routes) in registry.resources {
        let allow = routes
            .iter()
            .map(|(method, _)| method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut resource = web::resource(path);
        for (_, route) in routes {
            resource = resource.route(route);
        }
        cfg.service(resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        })));
    }
    registry.document
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response =
        actix_web::ResponseError::error_response(&crate::error::ApiError::method_not_allowed());
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

impl Api<'_> {
    /// Registers what `routes` adds under `prefix` and with `tag` in the document.
    pub fn group(
        &mut self,
        prefix: &'static str,
        tag: &'static str,
        routes: impl FnOnce(&mut Api<'_>),
    ) -> &mut Self {
        routes(&mut Api {
            registry: &mut *self.registry,
            prefix,
            tag,
        });
        self
    }

    pub fn get<F, Args>(&mut self, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, path, handler, op)
    }

    pub fn post<F, Args>(&mut self, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, handler, op)
    }

    pub fn patch<F, Args>(&mut self, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, path, handler, op)
    }

    pub fn delete<F, Args>(&mut self, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, path, handler, op)
    }

    fn route<F, Args>(&mut self, method: Method, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let full = format!("{}{path}", self.prefix);
        self.registry
            .document
            .describe(&method, &full, self.tag, op);
        let route = web::method(method.clone()).to(handler);
        let resources = &mut self.registry.resources;
        match resources.iter_mut().find(|(known, _)| *known == full) {
            Some((_, routes)) => routes.push((method, route)),
            None => resources.push((full, vec![(method, route)])),
        }
        self
    }
}

/// The operations registered so far and the schemas they refer to.
#[derive(Debug, Default)]
pub struct Document {
    paths: Paths,
    schemas: BTreeMap<String, RefOr<Schema>>,
}

impl Document {
    fn describe(&mut self, method: &Method, path: &str, tag: &str, op: Op) {
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

fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::PUT => HttpMethod::Put,
        _ => HttpMethod::Get,
    }
}

/// The `{name}` segments of a route path.
fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn path_parameter_schema(name: &str) -> ObjectBuilder {
    let string = ObjectBuilder::new().schema_type(Type::String);
    match name {
        // 128 random bits as hex.
        "code" => string.pattern(Some("^[0-9a-f]{32}$")),
        "file" => string.pattern(Some(r"^[0-9a-f]+\.ics$")),
        _ => string.format(Some(SchemaFormat::Custom("uuid".into()))),
    }
}

fn path_parameter_meaning(name: &str) -> String {
    match name {
        "code" => "The invite code.".to_owned(),
        "file" => "The secret calendar token followed by `.ics`.".to_owned(),
        id => format!("The {} (a UUIDv7).", id.replace('_', " ")),
    }
}

/// One description per status: an operation's own reasons and those of its shape, together.
fn merged(failures: Vec<(u16, &'static str)>) -> BTreeMap<u16, String> {
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
fn problem(status: u16, description: &str) -> utoipa::openapi::Response {
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

fn problem_schema() -> Schema {
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

/// The document of everything `register` serves: built once at start-up by running the same
/// registration the server runs, against a throwaway app.
pub fn document_of(register: impl FnOnce(&mut Api<'_>)) -> OpenApi {
    let mut document = Document::default();
    let _app = actix_web::App::new().configure(|cfg| document = serve(cfg, register));
    document.into_openapi()
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
