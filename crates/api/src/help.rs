//! Help resources shown on leaving a space (above all on a safety exit), from config.

use serde::{Deserialize, Serialize};

const BUILT_IN: &str = include_str!("../../../config/help-resources.toml");

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpResource {
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelpFile {
    resource: Vec<HelpResource>,
}

/// The configured list: `file` when set, else the built-in one.
pub fn load(file: &str) -> Result<Vec<HelpResource>, String> {
    let (origin, text) = if file.is_empty() {
        ("built-in help resources".to_owned(), BUILT_IN.to_owned())
    } else {
        (
            file.to_owned(),
            std::fs::read_to_string(file)
                .map_err(|e| format!("help.resources_file: cannot read {file}: {e}"))?,
        )
    };
    toml::from_str::<HelpFile>(&text)
        .map(|f| f.resource)
        .map_err(|e| format!("help.resources_file: {origin}: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_list_parses_and_is_not_empty() {
        let resources = super::load("").unwrap_or_default();
        assert!(resources.len() >= 2);
    }
}
