//! The one set of migrations builds the same schema on SQLite and on PostgreSQL: the same tables,
//! and in each the same columns (type, nullability, default), primary key, indexes (unique or
//! not, their columns, partial or not, and the names of those made by `CREATE INDEX`), foreign
//! keys (with their `ON DELETE`) and checks. Each backend's catalogue is read and brought to one
//! normal form; the test fails on any difference, naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::{QueryableByName, RunQueryDsl, sql_query};
use kept_core::ManualClock;
use kept_store::test_db::TestDb;
use kept_store::{DbConnection, PoolOptions, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// One table as both backends are compared.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// name → (type, not null, default)
    columns: BTreeMap<String, (String, bool, Option<String>)>,
    primary_key: BTreeSet<String>,
    /// (unique, columns in order, partial, name if made by CREATE INDEX)
    indexes: BTreeSet<(bool, String, bool, Option<String>)>,
    /// (column, referenced table, referenced column, on delete)
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// (columns named, literals named), per check
    checks: BTreeSet<(Vec<String>, Vec<String>)>,
}

type Schema = BTreeMap<String, Table>;

/// Up to four text columns of a catalogue query, as `a`, `b`, `c`, `d`.
#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    a: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    b: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    d: Option<String>,
}

fn rows(conn: &mut DbConnection, query: &str) -> Vec<Row> {
    sql_query(query)
        .load::<Row>(conn)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

fn migrated(db: &TestDb) -> DbConnection {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let options = PoolOptions {
        max_size: 2,
        connect_timeout: Duration::from_secs(10),
    };
    drop(Store::open(&db.database_url(), &options, clock).expect("open store"));
    db.connect()
}

/// SQLite's declared types are written as the migrations spell them; PostgreSQL names its own.
fn normal_type(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "timestamp without time zone" => "TIMESTAMP".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// `'pending'::text` and `'pending'`, `false` and `FALSE`, are one default.
fn normal_default(default: Option<String>) -> Option<String> {
    default.map(|d| {
        let d = d.split("::").next().unwrap_or_default();
        d.trim_matches(['(', ')']).to_ascii_lowercase()
    })
}

/// A check as the columns and literals it names: `state IN ('a', 'b')` on SQLite and
/// `(state = ANY (ARRAY['a'::text, 'b'::text]))` on PostgreSQL are the same check.
fn normal_check(
    clause: &str,
    columns: &BTreeMap<String, (String, bool, Option<String>)>,
) -> (Vec<String>, Vec<String>) {
    let mut literals = Vec::new();
    let mut rest = String::new();
    let mut quoted = clause.split('\'');
    while let Some(outside) = quoted.next() {
        rest.push_str(outside);
        rest.push(' ');
        if let Some(inside) = quoted.next() {
            literals.push(inside.to_owned());
        }
    }
    // PostgreSQL's casts (`'a'::text`) name types, not columns.
    let rest: String = rest
        .split("::")
        .enumerate()
        .map(|(i, piece)| {
            if i == 0 {
                piece
            } else {
                piece.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = rest
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut named: Vec<String> = words
        .iter()
        .filter(|w| columns.contains_key(**w))
        .map(|w| (*w).to_owned())
        .collect();
    literals.extend(
        words
            .iter()
            .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
            .map(|w| (*w).to_owned()),
    );
    named.sort();
    named.dedup();
    literals.sort();
    (named, literals)
}

/// The `CHECK (…)` clauses of a `CREATE TABLE` statement, as written.
fn check_clauses(sql: &str) -> Vec<String> {
    let mut clauses = Vec::new();
    let upper = sql.to_ascii_uppercase();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK") {
        let start = from + at;
        // The keyword, not a name that begins with it (`check_ins`).
        let before = upper[..start].chars().next_back();
        let after = upper[start + "CHECK".len()..].chars().next();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || !after.is_some_and(|c| c == '(' || c.is_whitespace())
        {
            from = start + "CHECK".len();
            continue;
        }
        let Some(open) = sql[start..].find('(').map(|i| start + i) else {
            break;
        };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in sql[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        clauses.push(sql[open + 1..end].to_owned());
        from = end;
    }
    clauses
}

fn sqlite_schema(conn: &mut DbConnection) -> Schema {
    let mut schema = Schema::new();
    let tables = rows(
        conn,
        "SELECT name AS a, sql AS b, NULL AS c, NULL AS d FROM sqlite_master \
         WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%'",
    );
    for table in tables {
        let (name, sql) = (text(table.a), text(table.b));
        let mut t = Table::default();
        for column in rows(
            conn,
            &format!(
                "SELECT name AS a, type AS b, CAST(\"notnull\" AS TEXT) || CAST(pk AS TEXT) AS c, \
                 dflt_value AS d FROM pragma_table_info('{name}')"
            ),
        ) {
            let flags = text(column.c);
            let column_name = text(column.a);
            if !flags.ends_with('0') {
                t.primary_key.insert(column_name.clone());
            }
            t.columns.insert(
                column_name,
                (
                    normal_type(&text(column.b)),
                    flags.starts_with('1'),
                    normal_default(column.d),
                ),
            );
        }
        for index in rows(
            conn,
            &format!(
                "SELECT name AS a, CAST(\"unique\" AS TEXT) AS b, origin AS c, \
                 CAST(partial AS TEXT) AS d FROM pragma_index_list('{name}')"
            ),
        ) {
            let (index_name, origin) = (text(index.a), text(index.c));
            if origin == "pk" {
                continue;
            }
            let columns: Vec<String> = rows(
                conn,
                &format!(
                    "SELECT name AS a, NULL AS b, NULL AS c, NULL AS d \
                     FROM pragma_index_info('{index_name}') ORDER BY seqno"
                ),
            )
            .into_iter()
            .map(|r| text(r.a))
            .collect();
            t.indexes.insert((
                text(index.b) == "1",
                columns.join(","),
                text(index.d) == "1",
                (origin == "c").then_some(index_name),
            ));
        }
        for key in rows(
            conn,
            &format!(
                "SELECT \"from\" AS a, \"table\" AS b, \"to\" AS c, on_delete AS d \
                 FROM pragma_foreign_key_list('{name}')"
            ),
        ) {
            t.foreign_keys.insert((
                text(key.a),
                text(key.b),
                text(key.c),
                text(key.d).to_ascii_uppercase(),
            ));
        }
        for clause in check_clauses(&sql) {
            let check = normal_check(&clause, &t.columns);
            t.checks.insert(check);
        }
        schema.insert(name, t);
    }
    schema
}

fn postgres_schema(conn: &mut DbConnection) -> Schema {
    let mut schema = Schema::new();
    let tables = rows(
        conn,
        "SELECT table_name::text AS a, NULL AS b, NULL AS c, NULL AS d \
         FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%'",
    );
    for table in tables {
        let name = text(table.a);
        let mut t = Table::default();
        for column in rows(
            conn,
            &format!(
                "SELECT column_name::text AS a, data_type::text AS b, is_nullable::text AS c, \
                 column_default::text AS d FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{name}'"
            ),
        ) {
            t.columns.insert(
                text(column.a),
                (
                    normal_type(&text(column.b)),
                    text(column.c) == "NO",
                    normal_default(column.d),
                ),
            );
        }
        for index in rows(
            conn,
            &format!(
                "SELECT ic.relname::text AS a, \
                 (CASE WHEN i.indisprimary THEN 'pk' WHEN EXISTS (SELECT 1 FROM pg_constraint c \
                   WHERE c.conindid = i.indexrelid) THEN 'u' ELSE 'c' END) AS b, \
                 (i.indisunique::int::text || (i.indpred IS NOT NULL)::int::text) AS c, \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(i.indkey) \
                   WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a \
                   ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS d \
                 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                 WHERE i.indrelid = 'public.{name}'::regclass"
            ),
        ) {
            let (index_name, origin, flags, columns) =
                (text(index.a), text(index.b), text(index.c), text(index.d));
            if origin == "pk" {
                t.primary_key.extend(columns.split(',').map(str::to_owned));
                continue;
            }
            t.indexes.insert((
                flags.starts_with('1'),
                columns,
                flags.ends_with('1'),
                (origin == "c").then_some(index_name),
            ));
        }
        for key in rows(
            conn,
            &format!(
                "SELECT a.attname::text AS a, rt.relname::text AS b, ra.attname::text AS c, \
                 (CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                   WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END) AS d \
                 FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 JOIN pg_class rt ON rt.oid = c.confrelid \
                 JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
                 WHERE c.contype = 'f' AND c.conrelid = 'public.{name}'::regclass"
            ),
        ) {
            t.foreign_keys
                .insert((text(key.a), text(key.b), text(key.c), text(key.d)));
        }
        for check in rows(
            conn,
            &format!(
                "SELECT pg_get_constraintdef(c.oid) AS a, NULL AS b, NULL AS c, NULL AS d \
                 FROM pg_constraint c \
                 WHERE c.contype = 'c' AND c.conrelid = 'public.{name}'::regclass"
            ),
        ) {
            let check = normal_check(&text(check.a), &t.columns);
            t.checks.insert(check);
        }
        schema.insert(name, t);
    }
    schema
}

#[test]
fn the_catalogue_readers_see_what_the_migrations_say() {
    let sqlite = TestDb::sqlite();
    let schema = sqlite_schema(&mut migrated(&sqlite));
    let spaces = &schema["spaces"];
    assert_eq!(
        spaces.columns["last_seq"],
        ("BIGINT".into(), true, Some("0".into()))
    );
    assert!(spaces.primary_key.contains("id"));
    assert!(spaces.checks.contains(&(
        vec!["state".into()],
        vec!["closed".into(), "open".into(), "paired".into()]
    )));
    let ratings = &schema["trust_ratings"];
    assert!(
        ratings
            .checks
            .contains(&(vec!["score".into()], vec!["1".into(), "10".into()]))
    );
    let occurrences = &schema["commitment_occurrences"];
    assert!(
        occurrences
            .indexes
            .iter()
            .any(|(unique, columns, _, name)| *unique
                && columns == "commitment_id,due_at"
                && name.is_none())
    );
    assert!(occurrences.foreign_keys.contains(&(
        "commitment_id".into(),
        "commitments".into(),
        "id".into(),
        "CASCADE".into()
    )));
}

#[test]
fn both_backends_build_the_same_schema() {
    let sqlite = TestDb::sqlite();
    let sqlite_schema = sqlite_schema(&mut migrated(&sqlite));
    assert!(sqlite_schema.contains_key("events"), "{sqlite_schema:?}");
    let Some(postgres) = TestDb::postgres() else {
        return;
    };
    let postgres_schema = postgres_schema(&mut migrated(&postgres));
    let names = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&sqlite_schema),
        names(&postgres_schema),
        "the same tables"
    );
    for (name, table) in &sqlite_schema {
        let other = &postgres_schema[name];
        assert_eq!(
            table.columns, other.columns,
            "{name}: columns (SQLite left)"
        );
        assert_eq!(table.primary_key, other.primary_key, "{name}: primary key");
        assert_eq!(table.indexes, other.indexes, "{name}: indexes");
        assert_eq!(
            table.foreign_keys, other.foreign_keys,
            "{name}: foreign keys"
        );
        assert_eq!(table.checks, other.checks, "{name}: checks");
    }
}
