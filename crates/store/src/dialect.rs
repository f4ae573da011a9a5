//! The SQL of commands that differs between SQLite and PostgreSQL, in one place; every command
//! module writes the same query for both. (How a connection and its transactions begin —
//! `BEGIN IMMEDIATE`, the migration lock — is `db.rs`'s.) Two things differ:
//! - claiming queue rows: PostgreSQL locks them and skips rows another instance holds
//!   (`FOR UPDATE SKIP LOCKED`), so instances share a queue without queueing on each other;
//!   SQLite needs nothing, as its write transaction already holds the only write lock;
//! - "insert unless the key is taken" (`ON CONFLICT … DO NOTHING`), spelt alike but typed per
//!   backend in diesel.

/// Loads the rows of `$query` (a `SELECT` on one table) claimed for this transaction.
macro_rules! load_claimed {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::DbConnection::Postgres(pg) => $query.for_update().skip_locked().load(pg),
            $crate::DbConnection::Sqlite(sqlite) => $query.load(sqlite),
        }
    };
}

/// Inserts `$row` into `$table` unless a row with the same `$key` exists; how many it wrote.
macro_rules! insert_unless_taken {
    ($conn:expr, $table:expr, $row:expr, $key:expr) => {
        match $conn {
            $crate::DbConnection::Postgres(pg) => diesel::insert_into($table)
                .values($row)
                .on_conflict($key)
                .do_nothing()
                .execute(pg),
            $crate::DbConnection::Sqlite(sqlite) => diesel::insert_into($table)
                .values($row)
                .on_conflict($key)
                .do_nothing()
                .execute(sqlite),
        }
    };
}

pub(crate) use {insert_unless_taken, load_claimed};
