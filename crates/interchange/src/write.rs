//! Writing a city folder. Rows come sorted by key, floats in Rust's shortest exact form and
//! dates as `YYYY-MM-DD`, so the same registry always gives the same bytes.

use crate::files;
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use yilian_domain::registry::{Registry, Resident};

/// What can go wrong writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The file system refused.
    #[error("{file}: {source}")]
    Io {
        /// File.
        file: &'static str,
        /// Cause.
        source: std::io::Error,
    },
    /// The folder could not be created.
    #[error("{dir}: cannot create the folder / 无法创建文件夹: {source}")]
    Folder {
        /// The folder.
        dir: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("{file}: {source}")]
    Csv {
        /// File.
        file: &'static str,
        /// Cause.
        source: csv::Error,
    },
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn csv_file(dir: &Path, file: &'static str) -> Result<csv::Writer<BufWriter<File>>, WriteError> {
    let f = File::create(dir.join(file)).map_err(|source| WriteError::Io { file, source })?;
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, f)))
}

fn write_rows<T>(
    dir: &Path,
    file: &'static str,
    header: &[&str],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> Result<(), WriteError> {
    let mut w = csv_file(dir, file)?;
    let csv_err = |source| WriteError::Csv { file, source };
    w.write_record(header).map_err(csv_err)?;
    for r in rows {
        w.write_record(cells(r)).map_err(csv_err)?;
    }
    w.flush().map_err(|source| WriteError::Io { file, source })
}

/// Writes everything but residents.
pub fn write_registry(dir: &Path, r: &Registry) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Folder {
        dir: dir.display().to_string(),
        source,
    })?;
    write_grids(dir, r)?;
    write_rows(
        dir,
        files::INSTITUTIONS,
        &[
            "institution_id",
            "name",
            "kind",
            "level",
            "grade",
            "ownership",
            "grid_id",
            "lon",
            "lat",
            "beds",
            "icu_beds",
            "outpatient_slots_per_day",
            "capabilities",
        ],
        &r.institutions,
        |i| {
            vec![
                i.id.to_string(),
                i.name.clone(),
                i.kind.to_string(),
                i.level.get().to_string(),
                opt(i.grade),
                i.ownership.to_string(),
                opt(i.grid_id.as_ref()),
                opt(i.location.map(|l| l.lon())),
                opt(i.location.map(|l| l.lat())),
                i.beds.to_string(),
                i.icu_beds.to_string(),
                i.outpatient_slots_per_day.to_string(),
                i.capabilities
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
            ]
        },
    )?;
    write_rows(
        dir,
        files::CONSORTIA,
        &[
            "consortium_id",
            "name",
            "kind",
            "grid_id",
            "lead_institution_id",
            "founded_on",
            "filed_on",
            "evaluated_on",
        ],
        &r.consortia,
        |c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                c.kind.to_string(),
                opt(c.grid_id.as_ref()),
                c.lead.to_string(),
                opt(c.founded_on),
                opt(c.filed_on),
                opt(c.evaluated_on),
            ]
        },
    )?;
    write_rows(
        dir,
        files::MEMBERSHIPS,
        &[
            "consortium_id",
            "institution_id",
            "role",
            "effective_from",
            "effective_to",
        ],
        &r.memberships,
        |m| {
            vec![
                m.consortium_id.to_string(),
                m.institution_id.to_string(),
                m.role.to_string(),
                opt(m.validity.from),
                opt(m.validity.to),
            ]
        },
    )?;
    write_rows(
        dir,
        files::TEAMS,
        &["team_id", "institution_id", "name", "members"],
        &r.teams,
        |t| {
            vec![
                t.id.to_string(),
                t.institution_id.to_string(),
                t.name.clone(),
                t.members.to_string(),
            ]
        },
    )
}

fn write_grids(dir: &Path, r: &Registry) -> Result<(), WriteError> {
    let file = files::GRIDS;
    let io = |source| WriteError::Io { file, source };
    let mut w = BufWriter::new(File::create(dir.join(file)).map_err(io)?);
    writeln!(w, "{{\"type\": \"FeatureCollection\", \"features\": [").map_err(io)?;
    for (k, g) in r.grids.iter().enumerate() {
        let mut props = Map::new();
        props.insert("grid_id".into(), json!(g.id));
        props.insert("name".into(), json!(g.name));
        if let Some(code) = &g.division_code {
            props.insert("division_code".into(), json!(code));
        }
        if let Some(p) = g.population {
            props.insert("population".into(), json!(p));
        }
        if let Some(from) = g.validity.from {
            props.insert("effective_from".into(), json!(from.to_string()));
        }
        if let Some(to) = g.validity.to {
            props.insert("effective_to".into(), json!(to.to_string()));
        }
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&g.geometry));
        let feature =
            json!({"type": "Feature", "properties": Value::Object(props), "geometry": geometry});
        let sep = if k + 1 < r.grids.len() { "," } else { "" };
        writeln!(w, "{feature}{sep}").map_err(io)?;
    }
    writeln!(w, "]}}").map_err(io)?;
    w.flush().map_err(io)
}

/// Writes `residents.csv` row by row (residents are streamed from the store in pages).
pub struct ResidentWriter {
    w: csv::Writer<BufWriter<File>>,
}

impl ResidentWriter {
    /// Creates the file and writes the header.
    pub fn create(dir: &Path) -> Result<ResidentWriter, WriteError> {
        let mut w = csv_file(dir, files::RESIDENTS)?;
        w.write_record([
            "resident_id",
            "sex",
            "birth_date",
            "lon",
            "lat",
            "conditions",
            "pregnant",
            "grid_id",
            "team_id",
            "signed_on",
        ])
        .map_err(|source| WriteError::Csv {
            file: files::RESIDENTS,
            source,
        })?;
        Ok(ResidentWriter { w })
    }

    /// Writes one resident.
    pub fn write(&mut self, r: &Resident) -> Result<(), WriteError> {
        self.w
            .write_record([
                r.id.to_string(),
                r.sex.to_string(),
                opt(r.birth_date),
                r.home.lon().to_string(),
                r.home.lat().to_string(),
                r.conditions.join(";"),
                r.pregnant.to_string(),
                opt(r.grid_id.as_ref()),
                opt(r.team_id.as_ref()),
                opt(r.signed_on),
            ])
            .map_err(|source| WriteError::Csv {
                file: files::RESIDENTS,
                source,
            })
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.w.flush().map_err(|source| WriteError::Io {
            file: files::RESIDENTS,
            source,
        })
    }
}
