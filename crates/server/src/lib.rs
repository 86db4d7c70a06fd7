//! yilian-server
