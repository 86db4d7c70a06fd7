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

/// The condition that `column` is one of a list of ids bound as `$1`: an array on
/// PostgreSQL, a JSON array on SQLite (which has no arrays); bind [`strings`] or their JSON.
pub(crate) fn id_list_on(postgres: bool, column: &str) -> String {
    if postgres {
        format!("{column} = ANY($1)")
    } else {
        format!("{column} IN (SELECT value FROM json_each($1))")
    }
}

/// Ids as the strings [`id_list_on`] binds.
pub(crate) fn strings<T: AsRef<str>>(ids: &[T]) -> Vec<String> {
    ids.iter().map(|i| i.as_ref().to_owned()).collect()
}

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

    /// `INSERT … {source} ON CONFLICT (key) DO UPDATE … WHERE changed`: only rows whose
    /// content differs are touched, so a repeat reports no change.
    fn upsert_sql(&self, source: &str) -> String {
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
            "INSERT INTO {t} ({cols}) {source} ON CONFLICT ({keys}) DO UPDATE SET {set} \
             WHERE ({old}) IS DISTINCT FROM ({new})",
            t = self.table,
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
    match tx {
        Tx::Sqlite(c) => {
            for chunk in rows.chunks(shape.rows_per_statement()) {
                let sql = shape.upsert_sql(&format!(
                    "VALUES {}",
                    shape.values_clause(chunk.len(), false)
                ));
                let q = bind_cells!(sqlx::query(AssertSqlSafe(sql)), chunk.iter().flatten());
                changed += q.execute(&mut **c).await?.rows_affected();
            }
        }
        Tx::Postgres(c) => {
            for chunk in rows.chunks(UNNEST_ROWS_MAX) {
                let columns = transpose(shape, chunk);
                let arrays: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(k, col)| format!("${}::{}[]", k + 1, col.pg_type()))
                    .collect();
                let sql = shape.upsert_sql(&format!("SELECT * FROM UNNEST({})", arrays.join(", ")));
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for col in columns {
                    q = match col {
                        Column::Text(v) => q.bind(v),
                        Column::Int(v) => q.bind(v),
                        Column::Real(v) => q.bind(v),
                        Column::Bool(v) => q.bind(v),
                        Column::Date(v) => q.bind(v),
                    };
                }
                changed += q.execute(&mut **c).await?.rows_affected();
            }
        }
    }
    Ok(changed)
}

/// Rows per PostgreSQL upsert: the whole batch travels as one array per column, so the
/// statement's size does not grow with it; the bound keeps one statement's memory modest.
const UNNEST_ROWS_MAX: usize = 10_000;

/// One column of a batch, as PostgreSQL receives it (`UNNEST` of one array per column
/// costs one parameter per column instead of one per cell).
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Bool(Vec<bool>),
    Date(Vec<Option<NaiveDate>>),
}

impl Column {
    fn pg_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text",
            Column::Int(_) => "int8",
            Column::Real(_) => "float8",
            Column::Bool(_) => "bool",
            Column::Date(_) => "date",
        }
    }
}

fn transpose(shape: &TableShape, rows: &[Vec<Cell>]) -> Vec<Column> {
    (0..shape.columns.len())
        .map(|k| {
            let cells = rows.iter().map(|r| &r[k]);
            match rows.first().map(|r| &r[k]) {
                Some(Cell::Int(_)) => Column::Int(
                    cells
                        .map(|c| if let Cell::Int(v) = c { *v } else { None })
                        .collect(),
                ),
                Some(Cell::Real(_)) => Column::Real(
                    cells
                        .map(|c| if let Cell::Real(v) = c { *v } else { None })
                        .collect(),
                ),
                Some(Cell::Bool(_)) => {
                    Column::Bool(cells.map(|c| matches!(c, Cell::Bool(true))).collect())
                }
                Some(Cell::Date(_)) => Column::Date(
                    cells
                        .map(|c| if let Cell::Date(v) = c { *v } else { None })
                        .collect(),
                ),
                _ => Column::Text(
                    cells
                        .map(|c| {
                            if let Cell::Text(v) = c {
                                v.clone()
                            } else {
                                None
                            }
                        })
                        .collect(),
                ),
            }
        })
        .collect()
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
