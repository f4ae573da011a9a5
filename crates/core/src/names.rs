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
