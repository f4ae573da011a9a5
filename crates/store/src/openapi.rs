//! The schema of a timeline entry for the OpenAPI document: the fields every event has, and
//! one payload schema per `kind` (core's [`SpaceEvent`]), where the kinds that carry deletable
//! text may instead hold their redacted form.

use crate::events::{EventView, REDACTABLE};
use kept_core::event::SpaceEvent;
use kept_core::{EventId, SpaceId, UserId};
use serde_json::{Value, json};
use std::borrow::Cow;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

impl PartialSchema for EventView {
    fn schema() -> RefOr<Schema> {
        let common = json!({
            "type": "object",
            "required": ["seq", "id", "space_id", "kind", "actor_id", "created_at", "payload"],
            "properties": {
                "seq": { "type": "integer", "format": "int64", "minimum": 1,
                         "description": "Position in the space's log; gapless per space." },
                "id": { "$ref": "#/components/schemas/EventId" },
                "space_id": { "$ref": "#/components/schemas/SpaceId" },
                "actor_id": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/UserId" }],
                              "description": "Who acted; null when no one did or no one is named." },
                "created_at": { "type": "string", "format": "date-time" }
            }
        });
        let schema = json!({ "allOf": [common, { "$ref": "#/components/schemas/SpaceEvent" }] });
        from_json(schema)
    }
}

impl ToSchema for EventView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Event")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("SpaceEvent".to_owned(), space_event_schema()));
        <SpaceEvent as ToSchema>::schemas(schemas);
        for (name, schema) in [
            ("EventId", EventId::schema()),
            ("SpaceId", SpaceId::schema()),
            ("UserId", UserId::schema()),
        ] {
            schemas.push((name.to_owned(), schema));
        }
    }
}

/// Core's event union, with each redactable kind's payload widened to "as written, or redacted".
fn space_event_schema() -> RefOr<Schema> {
    let mut union = serde_json::to_value(SpaceEvent::schema()).unwrap_or_default();
    let variants = union
        .get_mut("oneOf")
        .and_then(Value::as_array_mut)
        .map(|v| v.iter_mut())
        .into_iter()
        .flatten();
    for variant in variants {
        let kind = variant
            .pointer("/properties/kind/enum/0")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some((_, id_field)) = REDACTABLE
            .iter()
            .find(|(redactable, _)| Some(*redactable) == kind.as_deref())
        else {
            continue;
        };
        if let Some(payload) = variant.pointer_mut("/properties/payload") {
            let written = payload.take();
            *payload = json!({ "oneOf": [written, redacted(id_field)] });
        }
    }
    from_json(union)
}

fn redacted(id_field: &str) -> Value {
    json!({
        "type": "object",
        "description": "Its author deleted the text; only the fact remains.",
        "required": [id_field, "redacted"],
        "properties": {
            id_field: { "type": "string", "format": "uuid" },
            "redacted": { "type": "boolean", "const": true }
        },
        "additionalProperties": false
    })
}

/// Schemas written as JSON (clearer than builders for a fixed shape) in utoipa's model.
fn from_json(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).unwrap_or_else(|error| {
        // A fixed document that fails to read is a bug in this file; say so in the document.
        RefOr::T(Schema::Object(
            utoipa::openapi::schema::ObjectBuilder::new()
                .description(Some(format!("schema error: {error}")))
                .build(),
        ))
    })
}
