//! One registration for serving and describing: every route goes through [`Api`], which hands the
//! handler to actix and its [`Op`] to the OpenAPI 3.1 document (utoipa's model), so nothing can be
//! served that `/api/openapi.json` does not list, and no answer goes undescribed: each success
//! names its schema, each failure the one `Problem` schema. The routes of one path share one
//! actix resource, so a method the path does not serve is a 405 naming those it does.

mod document;
mod op;

pub use document::{Document, text_body};
pub use op::Op;

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpResponse, Responder, Route, web};
use utoipa::openapi::OpenApi;

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

    pub fn put<F, Args>(&mut self, path: &str, handler: F, op: Op) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, path, handler, op)
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

/// The document of everything `register` serves: built once at start-up by running the same
/// registration the server runs, against a throwaway app.
pub fn document_of(register: impl FnOnce(&mut Api<'_>)) -> OpenApi {
    let mut document = Document::default();
    let _app = actix_web::App::new().configure(|cfg| document = serve(cfg, register));
    document.into_openapi()
}
