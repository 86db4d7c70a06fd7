//! The store's one error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed at start.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row no longer parses into a domain value (someone edited the database).
    #[error("stored {table} row '{id}' is invalid: {reason}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Row key.
        id: String,
        /// What failed to parse.
        reason: String,
    },
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, id: &str, reason: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            table,
            id: id.to_owned(),
            reason: reason.to_string(),
        }
    }
}
