//! The api's one error type, rendered as `application/problem+json` (RFC 9457) with a stable
//! machine `code`. Every failure is mapped here, once: a user's mistake is never a 500, and a
//! 500 never says more than that something went wrong (the cause goes to the log).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kept_core::{DomainError, FieldError, Invalid};
use kept_store::StoreError;
use serde::Serialize;
use std::fmt;

/// How long a client should wait before trying again while the database is unreachable.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn invalid(invalid: Invalid) -> Self {
        Self {
            errors: invalid.0,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "some fields are invalid",
            )
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(Invalid::field(field, message))
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", detail)
    }

    pub fn unauthenticated(code: &'static str, detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    /// The same answer for "does not exist" and "not yours": existence is never leaked.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such resource, or it is not shared with you",
        )
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many attempts; try again later",
            )
        }
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "database unavailable");
        Self {
            retry_after_secs: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is temporarily unavailable",
            )
        }
    }

    /// The path exists, but not for this method; the caller adds `Allow`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this address does not take that method; `Allow` lists those it takes",
        )
    }

    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side",
        )
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let problem = Problem {
            kind: format!("urn:kept:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            errors: &self.errors,
        };
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = HttpResponse::build(self.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(body)
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(invalid) => Self::invalid(invalid),
            DomainError::SpaceFull
            | DomainError::SpaceClosed
            | DomainError::AlreadyMember
            | DomainError::InviteUsed
            | DomainError::InviteExpired
            | DomainError::InviteRevoked
            | DomainError::EmailTaken
            | DomainError::Conflict { .. } => {
                Self::new(StatusCode::CONFLICT, error.code(), error.to_string())
            }
            DomainError::Forbidden { .. } => {
                Self::new(StatusCode::FORBIDDEN, error.code(), error.to_string())
            }
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::invalid(invalid)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Domain(domain) => domain.into(),
            StoreError::NotFound => Self::not_found(),
            StoreError::Unauthenticated => {
                Self::unauthenticated("invalid_token", "the token is not valid")
            }
            StoreError::SessionEnded => {
                Self::unauthenticated("session_ended", "this session was signed out")
            }
            StoreError::Unavailable(cause) => Self::unavailable(&cause),
            StoreError::Config(cause)
            | StoreError::Internal(cause)
            | StoreError::Corrupt(cause) => Self::internal(&cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(&error)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
