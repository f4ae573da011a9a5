//! Request bodies: JSON parsed with the path of whatever failed, so that a malformed document
//! is a 400, a wrong type or missing field is a 422 naming the field, and a body over the limit
//! is a 413 — before any handler runs.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A JSON body of type `T`, parsed strictly.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// The configured body limit, carried in app data so extractors can say it in the error.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| body_error(&req, &e))?;
            parse_json(&req, &bytes).map(Json)
        })
    }
}

/// Parses `bytes` as JSON `T`; an empty body is treated as `{}` only by callers that allow it.
pub fn parse_json<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    // Syntax first, shape second: `{"a":}` is malformed JSON even if `a` is also an unknown field.
    let mut document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::malformed_json(e.to_string()))?;
    integral_numbers_as_integers(&mut document);
    // serde would also take an array as a struct's fields in order; a body is always an object.
    if !document.is_object() {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(document).map_err(field_error)
}

/// JSON has one kind of number, and JSON Schema counts `1.0` as an integer: so does Kept. A
/// number with no fraction becomes an integer before serde, which refuses `1.0` for an `i64`.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                // i64's range; beyond it the number is refused as it is.
                && float.abs() < 9.0e18
            {
                #[allow(clippy::cast_possible_truncation)] // integral and in range, checked above
                let integer = float as i64;
                *value = Value::from(integer);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let inner = error.inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::malformed_json(inner.to_string())
        }
        Category::Data => {
            let message = inner.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            let path = error.path().to_string();
            // serde reports a missing field at its parent; name the field itself.
            let field = match (path.as_str(), missing_field(&message)) {
                (".", Some(missing)) => missing.to_owned(),
                (_, Some(missing)) => format!("{path}.{missing}"),
                (".", None) => "body".to_owned(),
                (_, None) => path,
            };
            ApiError::invalid_field(&field, message)
        }
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn body_error(req: &HttpRequest, error: &actix_web::Error) -> ApiError {
    let limit = req.app_data::<BodyLimit>().map_or(0, |l| l.0);
    match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::payload_too_large(limit),
        _ if error.as_response_error().status_code()
            == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::payload_too_large(limit)
        }
        _ => ApiError::malformed_json(format!("could not read the body: {error}")),
    }
}

/// An optional JSON body: an empty body is `None` (e.g. refresh, which may use the cookie).
#[derive(Debug)]
pub struct MaybeJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| body_error(&req, &e))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(MaybeJson(None));
            }
            parse_json(&req, &bytes).map(|value| MaybeJson(Some(value)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::integral_numbers_as_integers;
    use serde_json::json;

    #[test]
    fn integral_numbers_are_integers_and_fractions_stay() {
        let mut body = json!({"score": 7.0, "nested": [{"n": -2.0}], "ratio": 0.5, "big": 1e300});
        integral_numbers_as_integers(&mut body);
        assert_eq!(body["score"].as_i64(), Some(7));
        assert_eq!(body["nested"][0]["n"].as_i64(), Some(-2));
        assert_eq!(body["ratio"].as_f64(), Some(0.5));
        assert!(
            body["big"].is_f64(),
            "out of i64's range: left for serde to refuse"
        );
    }
}
