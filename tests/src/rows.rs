//! Every value stored in the test database as text, table by table: for stories that prove
//! some words are gone from every table, not only from the ones the story thought of.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use kept_store::DbConnection;
use kept_store::test_db::TestDb;

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// `(table, column, value)` for every non-null cell of every table of Kept's schema.
pub fn every_cell(db: &TestDb) -> Vec<(String, String, String)> {
    let mut conn = db.connect();
    let columns: Vec<(String, String)> = match &mut conn {
        DbConnection::Sqlite(conn) => {
            let tables: Vec<Cell> = diesel::sql_query(
                "SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .load(conn)
            .unwrap();
            tables
                .into_iter()
                .filter_map(|t| t.v)
                .flat_map(|table| {
                    let names: Vec<Cell> = diesel::sql_query(format!(
                        "SELECT name AS v FROM pragma_table_info('{table}')"
                    ))
                    .load(conn)
                    .unwrap();
                    names
                        .into_iter()
                        .filter_map(|c| c.v)
                        .map(|column| (table.clone(), column))
                        .collect::<Vec<_>>()
                })
                .collect()
        }
        DbConnection::Postgres(conn) => {
            #[derive(QueryableByName)]
            struct Column {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
            }
            let found: Vec<Column> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .load(conn)
            .unwrap();
            found
                .into_iter()
                .map(|c| (c.table_name, c.column_name))
                .collect()
        }
    };
    let mut cells = Vec::new();
    for (table, column) in columns {
        let query = format!("SELECT CAST({column} AS TEXT) AS v FROM {table}");
        let values: Vec<Cell> = match &mut conn {
            DbConnection::Sqlite(conn) => diesel::sql_query(query).load(conn).unwrap(),
            DbConnection::Postgres(conn) => diesel::sql_query(query).load(conn).unwrap(),
        };
        for value in values.into_iter().filter_map(|c| c.v) {
            cells.push((table.clone(), column.clone(), value));
        }
    }
    cells
}
