//! How one operation is described, as its route is registered.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ObjectBuilder};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
/// How one operation is described: its stable id, what it does, what it takes and what it
/// answers. The errors every operation of its shape can give (401, 404, 400/413/415/422 …) are
/// added by [`Api`] from the shape itself, so they cannot be forgotten.
#[derive(Debug)]
pub struct Op {
    pub(super) id: &'static str,
    pub(super) summary: &'static str,
    pub(super) public: bool,
    pub(super) rate_limited: bool,
    pub(super) body: Option<Body>,
    pub(super) query: Vec<utoipa::openapi::path::Parameter>,
    pub(super) answers: Vec<Answer>,
    pub(super) failures: Vec<(u16, &'static str)>,
    pub(super) schemas: Vec<(String, RefOr<Schema>)>,
}

/// One success answer: its status, description and body (media type and schema), if any.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) description: &'static str,
    pub(super) content: Option<(&'static str, RefOr<Schema>)>,
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
pub(super) struct Body {
    pub(super) name: String,
    pub(super) required: bool,
}
