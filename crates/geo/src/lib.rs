//! yilian-geo
