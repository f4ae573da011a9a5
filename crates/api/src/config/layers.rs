//! Laying a file and `KEPT__SECTION__KEY` variables over the defaults, key by key.

use toml::{Table, Value};

pub(super) fn merge(base: &mut Table, overrides: Table) {
    for (key, value) in overrides {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(inner)), Value::Table(over)) => merge(inner, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Sets `section.key` from a variable, typed like the default it replaces, so that
/// `KEPT__SERVER__WORKERS=4` is a number and `KEPT__AUTH__JWT_SECRET=1234…` stays text.
pub(super) fn apply_env(
    merged: &mut Table,
    defaults: &Table,
    name: &str,
    key: &str,
    raw: &str,
) -> Result<(), String> {
    let path: Vec<String> = key.split("__").map(str::to_lowercase).collect();
    let [section, field] = path.as_slice() else {
        return Err(format!("{name}: expected KEPT__SECTION__KEY"));
    };
    let default = defaults
        .get(section)
        .and_then(Value::as_table)
        .and_then(|t| t.get(field))
        .ok_or_else(|| format!("{name}: there is no setting {section}.{field}"))?;
    let bad = |what: &str| format!("{section}.{field} (from {name}): `{raw}` is not {what}");
    let value = match default {
        Value::Integer(_) => Value::Integer(raw.trim().parse().map_err(|_| bad("a whole number"))?),
        Value::Boolean(_) => Value::Boolean(raw.trim().parse().map_err(|_| bad("true or false"))?),
        Value::Float(_) => Value::Float(raw.trim().parse().map_err(|_| bad("a number"))?),
        _ => Value::String(raw.to_owned()),
    };
    if let Some(Value::Table(table)) = merged.get_mut(section) {
        table.insert(field.clone(), value);
    }
    Ok(())
}
