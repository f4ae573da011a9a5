//! Unit enums to and from their serde names (`"in_person"` ↔ `TalkMode::InPerson`): how
//! stored and submitted names become enums and back, in one place.

/// The variant of a unit enum named `name` in its serde form (`"in_person"` → `TalkMode::InPerson`):
/// how stored and submitted names become enums, in one place.
pub fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The serde name of a unit enum's variant (the inverse of [`from_name`]).
pub fn name_of<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Why a stored or submitted name is not one of an enum's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

/// Gives a unit enum `Display` and `FromStr` in its serde names, the one way an enum becomes text
/// (and, with the `diesel` feature, a text column).
macro_rules! named_by_serde {
    ($name:ty) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::names::name_of(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                $crate::names::from_name(name)
                    .ok_or_else(|| $crate::names::UnknownName(name.to_owned()))
            }
        }

        #[cfg(feature = "diesel")]
        $crate::stored::stored_as_text!($name);
    };
}

pub(crate) use named_by_serde;
