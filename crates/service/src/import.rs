//! `yilian import DIR`: all or nothing. The small tables are read and checked first; the
//! residents are streamed by a reader thread that parses and assigns grids while this task
//! writes the previous batch, so parsing and the database work on both cores. Any error
//! anywhere rolls the whole transaction back; a repeated import changes no row and appends
//! no event.

use crate::ServiceError;
use crate::locate::GridLocator;
use chrono::Utc;
use serde::Serialize;
use std::path::Path;
use yilian_domain::policy::ResidentSample;
use yilian_domain::registry::{Registry, Resident};
use yilian_interchange::Diagnostics;
use yilian_interchange::read::{Known, ResidentReader, read_registry};
use yilian_store::event::{NewEvent, append};
use yilian_store::registry::{self, Changes};
use yilian_store::{Store, Tx};

/// Residents parsed and written per batch: large enough to amortise a statement, small
/// enough that memory stays flat whatever the file's size.
pub const RESIDENT_BATCH_ROWS: usize = 5_000;
/// Batches in flight between the reader thread and the writer.
const BATCHES_IN_FLIGHT_MAX: usize = 4;

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Warnings (an import with errors returns [`ServiceError::Input`] instead).
    pub diagnostics: Diagnostics,
    /// Rows inserted or changed per table.
    pub changes: Changes,
    /// Residents read.
    pub residents_read: u64,
    /// Residents outside every grid (GRID-1).
    pub residents_outside: ResidentSample,
    /// Residents whose declared grid differs from the grid their home lies in.
    pub declared_grid_mismatch: ResidentSample,
    /// The event that records the import; none when nothing changed.
    pub event_id: Option<i64>,
}

/// Counts kept while residents are assigned.
#[derive(Debug, Default)]
struct Tally {
    read: u64,
    outside: ResidentSample,
    mismatch: ResidentSample,
}

impl Tally {
    /// Assigns each resident the grid its home lies in, counting those outside every grid
    /// and those whose declared grid differs.
    fn assign(&mut self, locator: &GridLocator, batch: &mut [Resident]) {
        for r in batch {
            self.read += 1;
            let found = locator.locate(r.home.lon(), r.home.lat()).cloned();
            if found.is_none() {
                self.outside.push(r.id.clone());
            }
            if r.grid_id.is_some() && r.grid_id != found {
                self.mismatch.push(r.id.clone());
            }
            r.grid_id = found;
        }
    }
}

/// Grids in force: the stored ones, replaced by those of the same id in `incoming`.
fn merged(stored: &Registry, incoming: &Registry) -> Registry {
    let mut grids = incoming.grids.clone();
    grids.extend(
        stored
            .grids
            .iter()
            .filter(|g| incoming.grid(&g.id).is_none())
            .cloned(),
    );
    let mut r = Registry {
        grids,
        ..Registry::default()
    };
    r.sort();
    r
}

/// Imports the folder `dir` as `actor`. `progress(read, total)` is called with bytes of
/// `residents.csv` as they are read.
pub async fn import_dir(
    store: &Store,
    dir: &Path,
    actor: &str,
    progress: impl Fn(u64, u64) + Send + 'static,
) -> Result<ImportReport, ServiceError> {
    let mut d = Diagnostics::default();
    if !dir.is_dir() {
        let name = dir.display().to_string();
        d.error(
            &name,
            None,
            None,
            "文件夹不存在或不是文件夹",
            "no such folder",
        );
        return Err(ServiceError::Input(Box::new(d)));
    }
    let stored = registry::load_registry(store).await?;
    let folder = read_registry(dir, &Known::of(&stored), &mut d);
    let locator = GridLocator::new(&merged(&stored, &folder).grids, crate::today());
    let mut known = Known::of(&stored);
    known
        .teams
        .extend(folder.teams.iter().map(|t| t.id.clone()));
    let reader = ResidentReader::open(dir, &known, &mut d)
        .map_err(|_| ServiceError::Input(Box::new(d.clone())))?;

    // Even when the small tables had errors the residents are still read, so that one run
    // reports every problem; nothing is written then.
    let write = d.error_count() == 0;
    let mut tx = store.begin().await?;
    let mut changes = if write {
        registry::upsert_registry(&mut tx, &folder).await?
    } else {
        Changes::default()
    };

    let (tally, reader_diags) = match reader {
        None => (Tally::default(), Diagnostics::default()),
        Some(reader) => {
            stream_residents(&mut tx, reader, locator, write, &mut changes, progress).await?
        }
    };
    d.absorb(reader_diags);
    if d.error_count() > 0 {
        tx.rollback().await?;
        return Err(ServiceError::Input(Box::new(d)));
    }
    if tally.mismatch.count > 0 {
        let n = tally.mismatch.count;
        d.warning(
            yilian_interchange::files::RESIDENTS,
            None,
            Some("grid_id"),
            format!("{n} 名居民填写的网格与其住址所在网格不符，已按住址重新分配"),
            format!("{n} residents declared a grid other than the one their home lies in; reassigned by home"),
        );
    }
    let source = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    finish(tx, d, changes, tally, &source, actor).await
}

/// Builds the report, appends `RegistryImported` when anything changed, and commits.
async fn finish(
    mut tx: Tx,
    diagnostics: Diagnostics,
    changes: Changes,
    tally: Tally,
    source: &str,
    actor: &str,
) -> Result<ImportReport, ServiceError> {
    let mut report = ImportReport {
        diagnostics,
        changes,
        residents_read: tally.read,
        residents_outside: tally.outside,
        declared_grid_mismatch: tally.mismatch,
        event_id: None,
    };
    if !changes.is_empty() {
        let payload = serde_json::json!({
            "source": source,
            "changes": changes,
            "residents_read": report.residents_read,
            "residents_outside": report.residents_outside.count,
            "warnings": report.diagnostics.warning_count(),
        });
        let e = NewEvent {
            stream: "registry".into(),
            kind: "RegistryImported",
            version: 1,
            payload,
            actor: actor.to_owned(),
            at: Utc::now(),
        };
        report.event_id = Some(append(&mut tx, &e).await?);
    }
    tx.commit().await?;
    Ok(report)
}

async fn stream_residents(
    tx: &mut Tx,
    mut reader: ResidentReader,
    locator: GridLocator,
    write: bool,
    changes: &mut Changes,
    progress: impl Fn(u64, u64) + Send + 'static,
) -> Result<(Tally, Diagnostics), ServiceError> {
    let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<Resident>>(BATCHES_IN_FLIGHT_MAX);
    let worker = std::thread::spawn(move || {
        let mut d = Diagnostics::default();
        let mut tally = Tally::default();
        loop {
            let mut batch = Vec::with_capacity(RESIDENT_BATCH_ROWS);
            let more = reader.next_batch(&mut d, RESIDENT_BATCH_ROWS, &mut batch);
            tally.assign(&locator, &mut batch);
            let (read, total) = reader.progress();
            progress(read, total);
            // Once the file has errors nothing will be stored: stop shipping rows but keep
            // reading, so the report lists every error.
            if d.error_count() == 0 && !batch.is_empty() && send.blocking_send(batch).is_err() {
                break;
            }
            if !more {
                break;
            }
        }
        (tally, d)
    });
    while let Some(batch) = recv.recv().await {
        if write {
            changes.residents += registry::upsert_residents(tx, &batch).await?;
        }
    }
    worker
        .join()
        .map_err(|_| ServiceError::Internal("the resident reader thread panicked".into()))
}

/// Stores a whole city built in memory (the demo), through the same assignment as an
/// import. Returns what changed.
pub async fn store_city(
    store: &Store,
    city: &Registry,
    residents: Vec<Resident>,
    actor: &str,
) -> Result<ImportReport, ServiceError> {
    let locator = GridLocator::new(&city.grids, crate::today());
    let mut tally = Tally::default();
    let mut tx = store.begin().await?;
    let mut changes = registry::upsert_registry(&mut tx, city).await?;
    let mut residents = residents;
    for batch in residents.chunks_mut(RESIDENT_BATCH_ROWS) {
        tally.assign(&locator, batch);
        changes.residents += registry::upsert_residents(&mut tx, batch).await?;
    }
    finish(tx, Diagnostics::default(), changes, tally, "demo", actor).await
}
