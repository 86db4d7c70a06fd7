//! The service layer's error.

use yilian_domain::policy::Finding;
use yilian_interchange::Diagnostics;

/// Why a command failed; in each case nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] yilian_store::StoreError),
    /// The input files have errors (all of them, up to the cap, are in the diagnostics).
    #[error("the input has {} error(s) / 输入有 {} 处错误", .0.error_count(), .0.error_count())]
    Input(Box<Diagnostics>),
    /// A must-rule would break (the findings name the rules).
    #[error("rejected by policy / 违反政策规则: {}", .0.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>().join(", "))]
    Rejected(Vec<Finding>),
    /// A referenced thing does not exist.
    #[error("{what} '{id}' not found / 未找到")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The command conflicts with what is stored (a duplicate that must be unique).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Writing files failed.
    #[error(transparent)]
    Write(#[from] yilian_interchange::write::WriteError),
    /// A background task died.
    #[error("internal: {0}")]
    Internal(String),
}
