//! Values stored as text columns: a type with `Display` and `FromStr` reads and writes itself on
//! SQLite and PostgreSQL, so the store binds and loads typed ids and enums, never their strings.
//! Text that does not parse is a deserialisation error (the store reports it as corrupt data).
//! Only with the `diesel` feature, which the store turns on; core itself makes no connection.

/// `FromSql` on every backend that reads text, `ToSql` on SQLite and PostgreSQL (a store over
/// both backends at once adds its own, delegating to these).
macro_rules! stored_as_text {
    ($name:ty) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::stored::read_text::<Self, DB>(bytes, stringify!($name))
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.to_string());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                write!(out, "{self}")?;
                Ok(diesel::serialize::IsNull::No)
            }
        }
    };
}

pub(crate) use stored_as_text;

/// Reads a text column and parses it as `T`; text that does not parse is an error naming `what`.
pub(crate) fn read_text<T, DB>(
    bytes: DB::RawValue<'_>,
    what: &str,
) -> diesel::deserialize::Result<T>
where
    T: std::str::FromStr,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    let text =
        <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
    text.parse()
        .map_err(|_| format!("unreadable {what} {text:?}").into())
}
