//! The mail templates (`templates/`, compiled in), rendered by minijinja. Rendering is strict: a
//! value the data does not hold is an error, never an empty spot in a mail (a value that may be
//! absent is present as `null`). Templates whose name ends in `.html` escape what they insert;
//! a rendered part goes into its layout as `content`, already safe.

use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};

/// Every template, by file name.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Parses `sources` (file name, text); a syntax error is an error here (the mailer parses its
    /// templates when it is built, so at start-up).
    pub fn new(sources: &[(&'static str, &'static str)]) -> Result<Self, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // The files end with a line break that belongs to the mail.
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(write_value);
        for (name, source) in sources {
            env.add_template(name, source)?;
        }
        Ok(Templates { env })
    }

    /// Renders the template `name` with the fields of `data`.
    pub fn render(&self, name: &str, data: &serde_json::Value) -> Result<String, Error> {
        self.env
            .get_template(name)?
            .render(Value::from_serialize(data))
    }

    /// Renders the layout `name` around `content` (already rendered, so inserted as it is).
    pub fn render_layout(
        &self,
        name: &str,
        data: &serde_json::Value,
        content: String,
    ) -> Result<String, Error> {
        let frame = minijinja::context! {
            content => Value::from_safe_string(content),
            ..Value::from_serialize(data)
        };
        self.env.get_template(name)?.render(frame)
    }
}

/// Writes a value into the output. HTML escaping covers `& < > " '`, which is all an HTML text
/// or quoted attribute needs; minijinja's own escaper also writes `/` as `&#x2f;`, which would
/// make every link in a mail unreadable to a person looking at its source.
fn write_value(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() != AutoEscape::Html || value.is_safe() || value.is_undefined() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn templates(html: &'static str, text: &'static str) -> Templates {
        let Ok(templates) = Templates::new(&[("t.html", html), ("t.txt", text)]) else {
            panic!("the test templates parse");
        };
        templates
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let data = json!({"name": "Ada <3 & 'co'", "link": "/a/b"});
        let t = templates(
            "<p>{{ name }}</p><a href=\"{{ link }}\">",
            "{{ name }} {{ link }}",
        );
        assert_eq!(
            t.render("t.html", &data).ok().as_deref(),
            Some("<p>Ada &lt;3 &amp; &#39;co&#39;</p><a href=\"/a/b\">")
        );
        assert_eq!(
            t.render("t.txt", &data).ok().as_deref(),
            Some("Ada <3 & 'co' /a/b")
        );
    }

    #[test]
    fn a_missing_value_is_an_error_and_null_is_absent() {
        let t = templates("{% if quote %}[{{ quote }}]{% endif %}.", "Hi {{ nmae }}");
        assert!(t.render("t.txt", &json!({"name": "Ada"})).is_err());
        assert!(t.render("t.html", &json!({})).is_err());
        assert_eq!(
            t.render("t.html", &json!({"quote": null})).ok().as_deref(),
            Some(".")
        );
        assert_eq!(
            t.render("t.html", &json!({"quote": "x"})).ok().as_deref(),
            Some("[x].")
        );
    }

    #[test]
    fn nested_sections_close_at_their_own_tag() {
        let t = templates("{% if a %}A{% if b %}B{% endif %}a{% endif %}!", "");
        let data = json!({"a": true, "b": false});
        assert_eq!(t.render("t.html", &data).ok().as_deref(), Some("Aa!"));
        assert!(Templates::new(&[("t.txt", "{% if a %}unclosed")]).is_err());
    }

    #[test]
    fn content_goes_into_the_layout_as_it_is() {
        let layout = [("layout.html", "<body>{{ content }} {{ name }}</body>\n")];
        let Ok(t) = Templates::new(&layout) else {
            panic!("the test layout parses");
        };
        let page = t.render_layout("layout.html", &json!({"name": "<b>"}), "<p>hi</p>".into());
        assert_eq!(
            page.ok().as_deref(),
            Some("<body><p>hi</p> &lt;b&gt;</body>\n")
        );
    }
}
