//! `yilian export DIR`: the stored city in the interchange format, residents streamed page
//! by page so that memory stays flat.

use crate::ServiceError;
use serde::Serialize;
use std::path::Path;
use yilian_interchange::write::{ResidentWriter, write_registry};
use yilian_store::{Store, registry};

/// Residents read from the store per page.
const EXPORT_PAGE_ROWS: u32 = 10_000;

/// What was written.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ExportReport {
    /// Grids.
    pub grids: usize,
    /// Institutions.
    pub institutions: usize,
    /// Consortia.
    pub consortia: usize,
    /// Residents.
    pub residents: u64,
}

/// Writes the stored city into `dir` (created when missing).
pub async fn export_dir(store: &Store, dir: &Path) -> Result<ExportReport, ServiceError> {
    let reg = registry::load_registry(store).await?;
    write_registry(dir, &reg)?;
    let mut w = ResidentWriter::create(dir)?;
    let mut after: Option<String> = None;
    let mut residents = 0;
    loop {
        let page = registry::residents_page(
            store,
            registry::ResidentFilter::default(),
            after.as_deref(),
            EXPORT_PAGE_ROWS,
        )
        .await?;
        for r in &page {
            w.write(r)?;
        }
        residents += page.len() as u64;
        match page.last() {
            Some(last) if page.len() == EXPORT_PAGE_ROWS as usize => {
                after = Some(last.id.to_string())
            }
            _ => break,
        }
    }
    w.finish()?;
    Ok(ExportReport {
        grids: reg.grids.len(),
        institutions: reg.institutions.len(),
        consortia: reg.consortia.len(),
        residents,
    })
}
