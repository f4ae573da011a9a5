//! Strict rendering of the mail templates: `{{name}}` (escaped in HTML), `{{{name}}}` (as is),
//! `{{#name}}…{{/name}}` (only when `name` has a value) and `{{^name}}…{{/name}}` (only when it
//! has none). A value that is missing where one is required, an unknown tag or an unclosed
//! section is an error, never an empty spot in a mail.

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("no value for `{0}`")]
    Missing(String),
    #[error("unclosed tag or section `{0}`")]
    Unclosed(String),
    #[error("`{{{{/{0}}}}}` closes nothing")]
    Stray(String),
}

/// How values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    Text,
    Html,
}

/// Renders `template` with the fields of `data`.
pub fn render(template: &str, data: &Value, escape: Escape) -> Result<String, RenderError> {
    let mut out = String::with_capacity(template.len() + 256);
    render_into(template, data, escape, &mut out)?;
    Ok(out)
}

fn render_into(
    template: &str,
    data: &Value,
    escape: Escape,
    out: &mut String,
) -> Result<(), RenderError> {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        if let Some(inner) = after.strip_prefix("{{{") {
            let end = inner
                .find("}}}")
                .ok_or_else(|| RenderError::Unclosed(excerpt(inner)))?;
            out.push_str(&value_of(data, inner[..end].trim())?);
            rest = &inner[end + 3..];
            continue;
        }
        let inner = &after[2..];
        let end = inner
            .find("}}")
            .ok_or_else(|| RenderError::Unclosed(excerpt(inner)))?;
        let tag = inner[..end].trim();
        rest = &inner[end + 2..];
        match tag.chars().next() {
            Some(kind @ ('#' | '^')) => {
                let name = tag[1..].trim();
                let close = format!("{{{{/{name}}}}}");
                let body_end = rest
                    .find(&close)
                    .ok_or_else(|| RenderError::Unclosed(name.to_owned()))?;
                let present = has_value(data, name);
                if present == (kind == '#') {
                    render_into(&rest[..body_end], data, escape, out)?;
                }
                rest = &rest[body_end + close.len()..];
            }
            Some('/') => return Err(RenderError::Stray(tag[1..].trim().to_owned())),
            _ => {
                let value = value_of(data, tag)?;
                match escape {
                    Escape::Text => out.push_str(&value),
                    Escape::Html => escape_html(&value, out),
                }
            }
        }
    }
    out.push_str(rest);
    Ok(())
}

fn excerpt(text: &str) -> String {
    text.chars().take(20).collect()
}

fn has_value(data: &Value, name: &str) -> bool {
    match data.get(name) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    }
}

fn value_of(data: &Value, name: &str) -> Result<String, RenderError> {
    match data.get(name) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(Value::Bool(flag)) => Ok(flag.to_string()),
        _ => Err(RenderError::Missing(name.to_owned())),
    }
}

fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_sections_and_escaping() {
        let data = json!({"name": "Ada <3", "count": 2, "quote": "", "actor": "Ben"});
        assert_eq!(
            render("Hi {{ name }}, {{count}}", &data, Escape::Html),
            Ok("Hi Ada &lt;3, 2".to_owned())
        );
        assert_eq!(
            render("{{{name}}}", &data, Escape::Html),
            Ok("Ada <3".to_owned())
        );
        assert_eq!(
            render(
                "{{#actor}}{{actor}} did{{/actor}}{{^actor}}done{{/actor}}",
                &data,
                Escape::Text
            ),
            Ok("Ben did".to_owned())
        );
        assert_eq!(
            render(
                "[{{#quote}}“{{quote}}”{{/quote}}]{{#missing}}x{{/missing}}",
                &data,
                Escape::Text
            ),
            Ok("[]".to_owned())
        );
    }

    #[test]
    fn anything_unresolved_is_an_error() {
        let data = json!({"name": "Ada"});
        assert_eq!(
            render("Hi {{nmae}}", &data, Escape::Text),
            Err(RenderError::Missing("nmae".into()))
        );
        assert!(matches!(
            render("Hi {{name", &data, Escape::Text),
            Err(RenderError::Unclosed(_))
        ));
        assert!(matches!(
            render("{{#name}}open", &data, Escape::Text),
            Err(RenderError::Unclosed(_))
        ));
        assert!(matches!(
            render("{{/name}}", &data, Escape::Text),
            Err(RenderError::Stray(_))
        ));
        assert_eq!(
            render("{{name}}", &json!({"name": null}), Escape::Text),
            Err(RenderError::Missing("name".into()))
        );
    }
}
