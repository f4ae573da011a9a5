//! One registration for serving and describing: every route goes through [`Api`], which hands the
//! handler to actix and its [`Op`] to the OpenAPI 3.1 document (utoipa's model), so nothing can be
//! served that `/api/openapi.json` does not list.

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, Responder, web};
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
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

/// How one operation is described: what it does, what it takes and what it answers. The
/// errors every operation of its shape can give (401, 404, 400/413/415/422 …) are added by
/// [`Api`] from the shape itself, so they cannot be forgotten.
#[derive(Debug)]
pub struct Op {
    summary: &'static str,
    public: bool,
    rate_limited: bool,
    body: Option<Body>,
    query: Vec<utoipa::openapi::path::Parameter>,
    answers: Vec<(u16, &'static str, Option<&'static str>)>,
    failures: Vec<(u16, &'static str)>,
}

impl Op {
    pub fn new(summary: &'static str) -> Self {
        Op {
            summary,
            public: false,
            rate_limited: false,
            body: None,
            query: Vec::new(),
            answers: Vec::new(),
            failures: Vec::new(),
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
        let mut schemas = vec![(T::name().into_owned(), T::schema())];
        T::schemas(&mut schemas);
        self.body = Some(Body {
            name: T::name().into_owned(),
            schemas,
            required,
        });
        self
    }

    /// Takes these query parameters.
    pub fn query<T: IntoParams>(mut self) -> Self {
        self.query = T::into_params(|| Some(ParameterIn::Query));
        self
    }

    /// Answers `status` with a JSON body.
    pub fn json(mut self, status: u16, description: &'static str) -> Self {
        self.answers
            .push((status, description, Some("application/json")));
        self
    }

    /// Answers `status` with a body of another media type.
    pub fn media(mut self, status: u16, media: &'static str, description: &'static str) -> Self {
        self.answers.push((status, description, Some(media)));
        self
    }

    /// Answers `status` with no body.
    pub fn empty(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push((status, description, None));
        self
    }

    /// A failure particular to this operation (a 403 or 409 with its codes, say).
    pub fn fails(mut self, status: u16, description: &'static str) -> Self {
        self.failures.push((status, description));
        self
    }
}

/// A JSON request body: its schema's name, the schemas it needs, and whether it may be left out.
#[derive(Debug)]
struct Body {
    name: String,
    schemas: Vec<(String, RefOr<Schema>)>,
    required: bool,
}

/// Registers routes on actix and describes them in the [`Document`] in the same call.
pub struct Api<'a> {
    cfg: &'a mut web::ServiceConfig,
    document: &'a mut Document,
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

impl<'a> Api<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, document: &'a mut Document) -> Self {
        Api {
            cfg,
            document,
            prefix: "",
            tag: "operations",
        }
    }

    /// Registers what `routes` adds under `prefix` and with `tag` in the document.
    pub fn group(
        &mut self,
        prefix: &'static str,
        tag: &'static str,
        routes: impl FnOnce(&mut Api<'_>),
    ) -> &mut Self {
        let mut inner = Api {
            cfg: &mut *self.cfg,
            document: &mut *self.document,
            prefix,
            tag,
        };
        routes(&mut inner);
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
        self.cfg
            .route(&full, web::method(method.clone()).to(handler));
        self.document
            .describe(&method, &full, self.tag, operation_id::<F>(), op);
        self
    }
}

/// `kept_api::routes::requests::create` → `requests_create`: unique, and it names the code.
fn operation_id<F>() -> String {
    let name = std::any::type_name::<F>();
    let mut parts = name.rsplit("::");
    let function = parts.next().unwrap_or(name);
    match parts.next() {
        Some(module) => format!("{module}_{function}"),
        None => function.to_owned(),
    }
}

/// The operations registered so far and the schemas they refer to.
#[derive(Debug, Default)]
pub struct Document {
    paths: Paths,
    schemas: BTreeMap<String, RefOr<Schema>>,
}

impl Document {
    fn describe(&mut self, method: &Method, path: &str, tag: &str, id: String, op: Op) {
        let mut operation = OperationBuilder::new()
            .tag(tag)
            .summary(Some(op.summary))
            .operation_id(Some(id));
        let path_params = path_parameters(path);
        for name in &path_params {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some(path_parameter_meaning(name))),
            );
        }
        let takes_query = !op.query.is_empty();
        for parameter in op.query {
            operation = operation.parameter(parameter);
        }
        for (status, description, media) in op.answers {
            let mut response = ResponseBuilder::new().description(description);
            if let Some(media) = media {
                let schema = ObjectBuilder::new().schema_type(SchemaType::AnyValue);
                response =
                    response.content(media, ContentBuilder::new().schema(Some(schema)).build());
            }
            operation = operation.response(status.to_string(), response.build());
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
            self.schemas.extend(body.schemas);
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
        failures.push((503, "The database is unreachable."));
        for (status, description) in failures {
            operation = operation.response(status.to_string(), problem(description));
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

fn path_parameter_meaning(name: &str) -> String {
    match name {
        "code" => "The invite code.".to_owned(),
        "file" => "The secret calendar token followed by `.ics`.".to_owned(),
        id => format!("The {} (a UUIDv7).", id.replace('_', " ")),
    }
}

fn problem(description: &'static str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(PROBLEM)))
                .build(),
        )
        .build()
}

fn problem_schema() -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .description(Some(
            "RFC 9457 problem details with a stable machine `code`.",
        ))
        .property("type", string())
        .property("title", string())
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("code", string())
        .property("detail", string())
        .property(
            "errors",
            utoipa::openapi::schema::ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .property("field", string())
                        .property("message", string()),
                )
                .description(Some("Per-field messages, for 422.")),
        )
        .required("type")
        .required("title")
        .required("status")
        .required("code")
        .required("detail")
        .into()
}

/// The document of everything `register` serves: built once at start-up by running the same
/// registration the server runs, against a throwaway app.
pub fn document_of(register: impl FnOnce(&mut Api<'_>)) -> OpenApi {
    let mut document = Document::default();
    let _app = actix_web::App::new().configure(|cfg| register(&mut Api::new(cfg, &mut document)));
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

    #[test]
    fn operation_ids_name_module_and_function() {
        fn id_of<F>(_: F) -> String {
            operation_id::<F>()
        }
        assert_eq!(id_of(path_parameters), "openapi_path_parameters");
    }
}
