//! The API contract, checked on every answer the tests see: each response's status must be one
//! `/api/openapi.json` gives for its operation, its media type one declared for that status,
//! and its body must validate against the declared schema (JSON Schema 2020-12, formats
//! included). Live frames are checked against the `Event` schema. A test that passes has
//! therefore also shown the document true for everything it touched.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The document the service serves, with a validator per schema location compiled on demand.
#[allow(missing_debug_implementations)] // the compiled validators have nothing useful to print
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The one contract: every app the tests start serves the same document.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let json = kept_api::openapi::document_of(kept_api::routes::routes)
            .to_json()
            .expect("the document serialises");
        Contract {
            document: serde_json::from_str(&json).expect("the document is JSON"),
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// The OpenAPI document the service serves.
pub fn document() -> &'static Value {
    &contract().document
}

impl Contract {
    /// Checks one HTTP answer to `method path` (the path as sent, query included).
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) {
        let path = path.split('?').next().unwrap_or(path);
        let what = format!("{method} {path} → {status}");
        let Some((template, operation)) = self.operation(method, path) else {
            // Not an operation: an unknown path (404) or another method of a known one (405).
            assert!(
                status == 404 || status == 405,
                "{what}: no operation in the document"
            );
            self.check_body("#/components/schemas/Problem", body, &what);
            return;
        };
        let responses = &operation["responses"];
        let Some(response) = responses.get(status.to_string()) else {
            panic!("{what}: {method} {template} does not document {status}");
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(
                body.is_empty() || status == 101,
                "{what}: documented without a body, but one came"
            );
            return;
        };
        let media = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        let Some(declared) = content.get(media) else {
            panic!(
                "{what}: answered {media:?}, documented {:?}",
                content.keys()
            );
        };
        if media.ends_with("json") {
            let pointer = format!(
                "#/paths/{}/{}/responses/{status}/content/{}/schema",
                escape(template),
                method.to_lowercase(),
                escape(media)
            );
            assert!(declared.get("schema").is_some(), "{what}: no schema");
            self.check_body(&pointer, body, &what);
        }
    }

    /// Checks one frame of the live stream against the `Event` schema.
    pub fn check_event(&self, frame: &Value) {
        self.check_value("#/components/schemas/Event", frame, "live frame");
    }

    fn check_body(&self, pointer: &str, body: &[u8], what: &str) {
        let value: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{what}: the body is not JSON ({e})"));
        self.check_value(pointer, &value, what);
    }

    fn check_value(&self, pointer: &str, value: &Value, what: &str) {
        let validator = self.validator(pointer);
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the body does not match {pointer}:\n  {}\nbody: {value}",
            errors.join("\n  ")
        );
    }

    fn validator(&self, pointer: &str) -> Arc<jsonschema::Validator> {
        let mut validators = self.validators.lock().unwrap();
        let validator = validators.entry(pointer.to_owned()).or_insert_with(|| {
            // The whole document is the schema's root, so every `#/components/…` resolves.
            let mut root = self.document.clone();
            root["$ref"] = Value::String(pointer.to_owned());
            Arc::new(
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema at {pointer} compiles: {e}")),
            )
        });
        Arc::clone(validator)
    }

    /// The documented operation `method path` belongs to, with its path template.
    fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let method = method.to_lowercase();
        let paths = self.document["paths"].as_object()?;
        // A template with fewer parameters is the more specific match.
        paths
            .iter()
            .filter(|(template, _)| matches(template, path))
            .min_by_key(|(template, _)| template.matches('{').count())
            .and_then(|(template, item)| Some((template.as_str(), item.get(&method)?)))
    }
}

/// Whether `path` is an instance of `template` (`{name}` stands for one non-empty segment).
fn matches(template: &str, path: &str) -> bool {
    let (template, path): (Vec<_>, Vec<_>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| {
            if t.starts_with('{') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// A JSON Pointer token in a URI fragment: `~` and `/` escaped, braces percent-encoded.
fn escape(token: &str) -> String {
    token
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

#[cfg(test)]
mod tests {
    use super::contract;

    #[test]
    fn a_body_that_matches_its_schema_passes() {
        contract().check_response(
            "GET",
            "/healthz",
            200,
            Some("application/json"),
            br#"{"status":"ok"}"#,
        );
    }

    #[test]
    #[should_panic(expected = "does not match")]
    fn a_body_that_breaks_its_schema_fails() {
        contract().check_response(
            "GET",
            "/api/v1/help-resources",
            200,
            Some("application/json"),
            br#"{"items":[{"name":"x"}]}"#,
        );
    }

    #[test]
    #[should_panic(expected = "does not document 418")]
    fn an_undocumented_status_fails() {
        contract().check_response("GET", "/healthz", 418, None, b"");
    }

    #[test]
    #[should_panic(expected = "answered \"text/plain\"")]
    fn an_undocumented_media_type_fails() {
        contract().check_response("GET", "/healthz", 200, Some("text/plain"), b"ok");
    }

    /// The schema of a text says exactly what `Text::parse` accepts, on the edge cases.
    #[test]
    fn the_text_schema_agrees_with_the_parser() {
        use kept_core::text::Text;
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(<Text<10> as PartialSchema>::schema()).unwrap();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .unwrap();
        let samples = [
            "a",
            "",
            " ",
            "\t\n",
            "ten chars!",
            "eleven chrs",
            " padded  ",
            "\u{c}edge\u{b}",
            "in\u{c}side",
            "nel\u{85}",
            "\u{85}nel",
            "tab\there",
            "line\nbreak",
            "nul\u{0}",
            "\u{7f}del",
            "\u{a0}nbsp\u{3000}",
            "\u{feff}bom",
            "\u{2028}",
            "héllo wörld",
            "𝄞 clef",
            "\u{9f}c1",
        ];
        for sample in samples {
            let json = serde_json::Value::String(sample.to_owned());
            assert_eq!(
                validator.is_valid(&json),
                Text::<10>::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
    }
}
