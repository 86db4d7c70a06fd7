//! yilian-store
