//! [`Secret`]: a configured value (a key, a URL with a password) that is shown only masked.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that must not be printed: `Debug` and `Serialize` show it masked.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown: nothing of a plain secret; a URL without its password.
    pub fn masked(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        match self.0.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:********@{host}")
                }
                None => self.0.clone(),
            },
            None => "********".to_owned(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}
