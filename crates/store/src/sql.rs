//! Batched statements written once for both backends: a multi-row upsert that touches only
//! rows whose content differs (so a repeated import changes nothing and reports so), and a
//! multi-row keyed update. Values are a small closed enum so one function serves every table.

use crate::{StoreError, Tx, with_tx};
use chrono::NaiveDate;
use sqlx::AssertSqlSafe;
use std::fmt::Write;

/// Most bound parameters in one statement: below SQLite's 32,766 and PostgreSQL's 65,535.
const PARAMS_PER_STATEMENT_MAX: usize = 30_000;
/// Most rows in one statement, so a statement stays small enough to plan quickly.
const ROWS_PER_STATEMENT_MAX: usize = 1_000;

/// One cell to bind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
    Date(Option<NaiveDate>),
}

/// A table's shape for the batched statements.
pub(crate) struct TableShape {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [&'static str],
    /// How many leading columns form the key.
    pub(crate) key_len: usize,
}

impl TableShape {
    fn rows_per_statement(&self) -> usize {
        (PARAMS_PER_STATEMENT_MAX / self.columns.len()).min(ROWS_PER_STATEMENT_MAX)
    }

    /// `($1,$2),($3,$4)…` on PostgreSQL; `(?,?),(?,?)…` on SQLite, whose lookup of a
    /// numbered parameter's name is linear, which makes a batch of thousands quadratic.
    fn values_clause(&self, rows: usize, numbered: bool) -> String {
        let n = self.columns.len();
        let mut sql = String::with_capacity(rows * n * 6);
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ",(" });
            for c in 0..n {
                if c > 0 {
                    sql.push(',');
                }
                if numbered {
                    // Writing into a String cannot fail.
                    let _ = write!(sql, "${}", r * n + c + 1);
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        sql
    }

    fn upsert_sql(&self, rows: usize, numbered: bool) -> String {
        let cols = self.columns.join(", ");
        let keys = self.columns[..self.key_len].join(", ");
        let rest = &self.columns[self.key_len..];
        let set = rest
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let old = rest
            .iter()
            .map(|c| format!("{}.{c}", self.table))
            .collect::<Vec<_>>()
            .join(", ");
        let new = rest
            .iter()
            .map(|c| format!("excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO {t} ({cols}) VALUES {values} ON CONFLICT ({keys}) DO UPDATE SET {set} \
             WHERE ({old}) IS DISTINCT FROM ({new})",
            t = self.table,
            values = self.values_clause(rows, numbered),
        )
    }
}

macro_rules! bind_cells {
    ($q:expr, $cells:expr) => {{
        let mut q = $q;
        for cell in $cells {
            q = match cell {
                Cell::Text(v) => q.bind(v.clone()),
                Cell::Int(v) => q.bind(*v),
                Cell::Real(v) => q.bind(*v),
                Cell::Bool(v) => q.bind(*v),
                Cell::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}

fn numbered(tx: &Tx) -> bool {
    matches!(tx, Tx::Postgres(_))
}

/// Inserts or updates `rows`; returns how many rows were inserted or actually changed.
pub(crate) async fn upsert(
    tx: &mut Tx,
    shape: &TableShape,
    rows: &[Vec<Cell>],
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for chunk in rows.chunks(shape.rows_per_statement()) {
        let sql = shape.upsert_sql(chunk.len(), numbered(tx));
        let cells = chunk.iter().flatten();
        changed += with_tx!(tx, c => bind_cells!(sqlx::query(AssertSqlSafe(sql.clone())), cells).execute(&mut *c).await?.rows_affected());
    }
    Ok(changed)
}

/// Sets `column` to the given value for each key; returns how many rows changed.
pub(crate) async fn update_column(
    tx: &mut Tx,
    table: &str,
    key: &str,
    column: &str,
    rows: &[(String, Option<String>)],
) -> Result<u64, StoreError> {
    let shape = TableShape {
        table: "v",
        columns: &["k", "v"],
        key_len: 1,
    };
    let mut changed = 0;
    for chunk in rows.chunks(shape.rows_per_statement()) {
        // VALUES columns are named column1, column2 on both backends.
        let sql = format!(
            "UPDATE {table} SET {column} = v.column2 FROM (VALUES {values}) AS v \
             WHERE {table}.{key} = v.column1 AND {table}.{column} IS DISTINCT FROM v.column2",
            values = shape.values_clause(chunk.len(), numbered(tx))
        );
        let cells: Vec<Cell> = chunk
            .iter()
            .flat_map(|(k, v)| [Cell::Text(Some(k.clone())), Cell::Text(v.clone())])
            .collect();
        changed += with_tx!(tx, c => bind_cells!(sqlx::query(AssertSqlSafe(sql.clone())), cells.iter()).execute(&mut *c).await?.rows_affected());
    }
    Ok(changed)
}
