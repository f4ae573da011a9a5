//! How core's hand-parsed values appear in the OpenAPI document: the same limits their
//! `parse` functions enforce, so a client generated from the document knows them too.

use crate::account::{Email, Password, TimeZone};
use crate::check_in::CheckInTimes;
use crate::text::Text;
use crate::trust::Score;
use std::borrow::Cow;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// Characters `Text` refuses inside a text: control characters other than tab, line feed and
/// carriage return.
const CONTROL: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// White space as Rust's `char::is_whitespace` knows it: what `Text` trims from either end.
/// Spelled out, since `\s` means different sets in ECMA-262, Python and Rust regexes.
const WHITE_SPACE: &str =
    r"\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The pattern of a `Text`: white space at either end, something besides white space, and no
/// refused control character in between.
pub fn text_pattern() -> String {
    format!("^[{WHITE_SPACE}]*[^{CONTROL}]*[^{WHITE_SPACE}{CONTROL}][^{CONTROL}]*[{WHITE_SPACE}]*$")
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The schema of every typed id (see `ids.rs`): a UUIDv7 string.
pub(crate) fn uuid_schema() -> RefOr<Schema> {
    string()
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .description(Some("A UUIDv7."))
        .into()
}

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        string()
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some(text_pattern()))
            .description(Some(
                "Trimmed of surrounding white space; not blank; no control characters but tab \
                 and line breaks.",
            ))
            .into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Text{MAX}"))
    }
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        string()
            .format(Some(SchemaFormat::Custom("email".into())))
            .max_length(Some(Email::MAX_LEN))
            .into()
    }
}

impl ToSchema for Email {}

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        string()
            .description(Some("An IANA time zone name."))
            .enum_values(Some(names))
            .examples(["Europe/Berlin"])
            .into()
    }
}

impl ToSchema for TimeZone {}

impl PartialSchema for Score {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(10))
            .into()
    }
}

impl ToSchema for Score {}

impl PartialSchema for CheckInTimes {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(local_time())
            .max_items(Some(CheckInTimes::MAX))
            .description(Some("Local times of day; kept sorted and distinct."))
            .into()
    }
}

impl ToSchema for CheckInTimes {}

/// A local time of day as chrono reads it: `HH:MM`, or with seconds (`HH:MM:SS`, as answered).
fn local_time() -> ObjectBuilder {
    string()
        .pattern(Some(
            r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?$",
        ))
        .examples(["21:00"])
}

/// The schema of a local time of day (a `chrono::NaiveTime` field): `#[schema(value_type =
/// LocalTime)]`.
#[derive(Debug)]
pub struct LocalTime;

impl PartialSchema for LocalTime {
    fn schema() -> RefOr<Schema> {
        local_time().into()
    }
}

impl ToSchema for LocalTime {}

/// The schema of a day of the week (a `chrono::Weekday` field), by its short English name.
#[derive(Debug)]
pub struct DayName;

impl PartialSchema for DayName {
    fn schema() -> RefOr<Schema> {
        string()
            .enum_values(Some(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]))
            .into()
    }
}

impl ToSchema for DayName {}

impl PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        string()
            .min_length(Some(Password::MIN_CHARS))
            .max_length(Some(Password::MAX_CHARS))
            .into()
    }
}

impl ToSchema for Password {}
