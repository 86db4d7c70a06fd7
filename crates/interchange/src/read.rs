//! Reading a city folder. The small tables are read whole into a [`Registry`]; residents
//! are streamed in batches by [`ResidentReader`], so a file of any size is read in bounded
//! memory. References are checked against the folder and against what is already stored
//! (an import merges into the registry).

use crate::diag::Diagnostics;
use crate::files;
use crate::table::{Bad, CsvTable, Row, Why, cell};
use geojson::GeoJson;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId, ResidentId, TeamId};
use yilian_domain::registry::{
    Capability, Consortium, ConsortiumKind, Grade, Grid, Institution, InstitutionKind, Level,
    LonLat, MemberRole, Membership, Ownership, Registry, Resident, Sex, Team, Validity,
};

/// Grid properties the format knows (GRID-6 adds the validity dates).
const GRID_PROPERTIES: &[&str] = &[
    "grid_id",
    "name",
    "division_code",
    "population",
    "effective_from",
    "effective_to",
];

/// Residents' columns: required, then optional.
pub const RESIDENT_REQUIRED: &[&str] = &["resident_id", "sex", "lon", "lat"];
/// Residents' optional columns.
pub const RESIDENT_OPTIONAL: &[&str] = &[
    "birth_date",
    "conditions",
    "pregnant",
    "grid_id",
    "team_id",
    "signed_on",
];

/// Ids already known from the store, so that a folder may refer to them.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// Grid ids.
    pub grids: BTreeSet<GridId>,
    /// Institution ids.
    pub institutions: BTreeSet<InstitutionId>,
    /// Consortium ids.
    pub consortia: BTreeSet<ConsortiumId>,
    /// Team ids.
    pub teams: BTreeSet<TeamId>,
}

impl Known {
    /// The ids of a registry.
    pub fn of(r: &Registry) -> Known {
        Known {
            grids: r.grids.iter().map(|g| g.id.clone()).collect(),
            institutions: r.institutions.iter().map(|i| i.id.clone()).collect(),
            consortia: r.consortia.iter().map(|c| c.id.clone()).collect(),
            teams: r.teams.iter().map(|t| t.id.clone()).collect(),
        }
    }
}

fn dangling(what_zh: &str, what_en: &str, id: &str) -> Why {
    Why::new(
        format!("引用了不存在的{what_zh} '{id}'"),
        format!("refers to an unknown {what_en} '{id}'"),
    )
}

fn duplicate(id: &str) -> Why {
    Why::new(format!("标识 '{id}' 重复"), format!("duplicate id '{id}'"))
}

/// Reads grids, institutions, consortia, memberships and teams. Rows with errors are left
/// out and reported; the caller must not store anything when `d` holds errors.
pub fn read_registry(dir: &Path, stored: &Known, d: &mut Diagnostics) -> Registry {
    let mut reg = Registry {
        grids: read_grids(dir, d),
        ..Registry::default()
    };
    let mut known = stored.clone();
    known.grids.extend(reg.grids.iter().map(|g| g.id.clone()));
    reg.institutions = read_institutions(dir, &known, d);
    known
        .institutions
        .extend(reg.institutions.iter().map(|i| i.id.clone()));
    reg.consortia = read_consortia(dir, &known, d);
    known
        .consortia
        .extend(reg.consortia.iter().map(|c| c.id.clone()));
    reg.memberships = read_memberships(dir, &known, &reg.consortia, d);
    reg.teams = read_teams(dir, &known, d);
    reg.sort();
    reg
}

/// Reads `grids.geojson` (required).
pub fn read_grids(dir: &Path, d: &mut Diagnostics) -> Vec<Grid> {
    let file = files::GRIDS;
    let bytes = match std::fs::read(dir.join(file)) {
        Ok(b) => b,
        Err(e) => {
            d.error(
                file,
                None,
                None,
                format!("无法读取必需的文件：{e}"),
                format!("cannot read this required file: {e}"),
            );
            return Vec::new();
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            d.error(
                file,
                None,
                None,
                format!("含非 UTF-8 字节（第 {} 字节处）", e.valid_up_to()),
                format!("bytes that are not UTF-8 (at byte {})", e.valid_up_to()),
            );
            return Vec::new();
        }
    };
    if text.trim().is_empty() {
        d.error(file, None, None, "文件为空", "the file is empty");
        return Vec::new();
    }
    let fc = match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(fc)) => fc,
        Ok(_) => {
            d.error(
                file,
                None,
                None,
                "应为 GeoJSON FeatureCollection",
                "expected a GeoJSON FeatureCollection",
            );
            return Vec::new();
        }
        Err(e) => {
            d.error(
                file,
                None,
                None,
                format!("不是有效的 GeoJSON：{e}"),
                format!("not valid GeoJSON: {e}"),
            );
            return Vec::new();
        }
    };
    let mut grids = Vec::with_capacity(fc.features.len());
    let mut seen = HashSet::new();
    let mut unknown_reported = HashSet::new();
    for (k, feature) in fc.features.iter().enumerate() {
        // Features are numbered from 1, like rows.
        let n = Some(k as u64 + 1);
        let props = feature.properties.clone().unwrap_or_default();
        for key in props.keys() {
            if !GRID_PROPERTIES.contains(&key.as_str()) && unknown_reported.insert(key.clone()) {
                d.warning(
                    file,
                    n,
                    Some(key),
                    "未知属性，已忽略",
                    "unknown property, ignored",
                );
            }
        }
        let prop_str = |key: &str| {
            props
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let mut bad = false;
        let mut err = |d: &mut Diagnostics, col: &str, why: Why| {
            bad = true;
            d.error(
                file,
                n,
                Some(col),
                format!("第 {} 个要素：{}", k + 1, why.zh),
                format!("feature {}: {}", k + 1, why.en),
            );
        };
        let id = match prop_str("grid_id").map(GridId::parse) {
            Some(Ok(id)) => Some(id),
            Some(Err(e)) => {
                err(
                    d,
                    "grid_id",
                    Why::invalid(prop_str("grid_id").unwrap_or_default(), e),
                );
                None
            }
            None => {
                err(
                    d,
                    "grid_id",
                    Why::new("缺少必填属性", "a required property is missing"),
                );
                None
            }
        };
        if let Some(id) = &id
            && !seen.insert(id.clone())
        {
            err(d, "grid_id", duplicate(id.as_str()));
        }
        let population = match props.get("population") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(p) => Some(p),
                None => {
                    err(
                        d,
                        "population",
                        Why::new(
                            format!("'{v}' 不是非负整数"),
                            format!("'{v}' is not a non-negative integer"),
                        ),
                    );
                    None
                }
            },
        };
        let mut date = |d: &mut Diagnostics, key: &str| match prop_str(key).map(cell::date) {
            Some(Ok(v)) => Some(v),
            Some(Err(why)) => {
                err(d, key, why);
                None
            }
            None => None,
        };
        let (from, to) = (date(d, "effective_from"), date(d, "effective_to"));
        let validity = Validity::new(from, to).unwrap_or_else(|e| {
            err(d, "effective_to", Why::invalid(&e.to.to_string(), &e));
            Validity::default()
        });
        let geometry = match &feature.geometry {
            None => {
                err(
                    d,
                    "geometry",
                    Why::new("缺少几何图形", "the geometry is missing"),
                );
                None
            }
            Some(g) => match yilian_geo::parse_grid_geometry(g) {
                Ok(mp) => Some(mp),
                Err(errors) => {
                    for e in errors {
                        err(d, "geometry", Why::new(e.to_string(), e.to_string()));
                    }
                    None
                }
            },
        };
        if let (Some(id), Some(geometry), false) = (id, geometry, bad) {
            let name = prop_str("name").map_or_else(|| id.to_string(), str::to_owned);
            grids.push(Grid {
                id,
                name,
                division_code: prop_str("division_code").map(str::to_owned),
                population,
                geometry,
                validity,
            });
        }
    }
    grids
}

/// Runs `parse` on every row of an optional (or, when `required_file`, required) table,
/// reporting duplicate keys.
/// A table's file and columns.
#[derive(Clone, Copy)]
struct Spec {
    file: &'static str,
    required_file: bool,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

fn read_table<T>(
    dir: &Path,
    spec: Spec,
    d: &mut Diagnostics,
    key: impl Fn(&T) -> String,
    mut parse: impl FnMut(&Row<'_>, &mut Diagnostics) -> Result<T, Bad>,
) -> Vec<T> {
    let Spec {
        file,
        required_file,
        required,
        optional,
    } = spec;
    let mut table = match CsvTable::open(dir, file, required, optional, d) {
        Ok(Some(t)) => t,
        Ok(None) => {
            if required_file {
                d.error(
                    file,
                    None,
                    None,
                    "缺少必需的文件",
                    "this required file is missing",
                );
            }
            return Vec::new();
        }
        Err(Bad) => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    while let Some(row) = table.next_row(d) {
        let Ok(row) = row else { continue };
        if let Ok(v) = parse(&row, d) {
            let k = key(&v);
            if seen.insert(k.clone()) {
                out.push(v);
            } else {
                row.error(d, Some(required[0]), duplicate(&k));
            }
        }
    }
    out
}

fn reference<T: Ord + AsRef<str>>(
    row: &Row<'_>,
    d: &mut Diagnostics,
    col: &str,
    id: &T,
    known: &BTreeSet<T>,
    zh: &str,
    en: &str,
) -> Result<(), Bad> {
    if known.contains(id) {
        Ok(())
    } else {
        Err(row.error(d, Some(col), dangling(zh, en, id.as_ref())))
    }
}

fn list<T>(
    parse: fn(&str) -> Result<T, yilian_domain::registry::CodeError>,
) -> impl FnOnce(&str) -> Result<Vec<T>, Why> {
    move |s| {
        s.split(';')
            .filter(|p| !p.is_empty())
            .map(|p| parse(p).map_err(|e| Why::invalid(p, e)))
            .collect()
    }
}

fn location(row: &Row<'_>, d: &mut Diagnostics, required: bool) -> Result<Option<LonLat>, Bad> {
    let lon = row.opt(d, "lon", cell::float)?;
    let lat = row.opt(d, "lat", cell::float)?;
    match (lon, lat) {
        (Some(lon), Some(lat)) => LonLat::new(lon, lat)
            .map(Some)
            .map_err(|e| row.error(d, Some("lon"), Why::invalid(&format!("{lon},{lat}"), e))),
        (None, None) if !required => Ok(None),
        (None, None) => Err(row.error(
            d,
            Some("lon"),
            Why::new("缺少必填值", "a required value is missing"),
        )),
        _ => Err(row.error(
            d,
            Some(if lon.is_none() { "lon" } else { "lat" }),
            Why::new("经纬度须同时给出", "longitude and latitude go together"),
        )),
    }
}

fn read_institutions(dir: &Path, known: &Known, d: &mut Diagnostics) -> Vec<Institution> {
    read_table(
        dir,
        Spec {
            file: files::INSTITUTIONS,
            required_file: true,
            required: &["institution_id", "name", "kind", "level"],
            optional: &[
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
        },
        d,
        |i: &Institution| i.id.to_string(),
        |row, d| {
            let id = row.req(d, "institution_id", cell::with(InstitutionId::parse));
            let name = row.req(d, "name", cell::text);
            let kind = row.req(d, "kind", cell::with(InstitutionKind::parse));
            let level = row.req(d, "level", |s| {
                cell::int(s).and_then(|v| Level::new(v).map_err(|e| Why::invalid(s, e)))
            });
            let grade = row.opt(d, "grade", cell::with(Grade::parse));
            let ownership = row.opt(d, "ownership", cell::with(Ownership::parse));
            let grid_id = row.opt(d, "grid_id", cell::with(GridId::parse));
            let location = location(row, d, false);
            let beds = row.opt(d, "beds", cell::count);
            let icu_beds = row.opt(d, "icu_beds", cell::count);
            let slots = row.opt(d, "outpatient_slots_per_day", cell::count);
            let capabilities = row.opt(d, "capabilities", list(Capability::parse));
            let grid_id = grid_id?;
            if let Some(g) = &grid_id {
                reference(row, d, "grid_id", g, &known.grids, "网格", "grid")?;
            }
            Ok(Institution {
                id: id?,
                name: name?,
                kind: kind?,
                level: level?,
                grade: grade?,
                ownership: ownership?.unwrap_or(Ownership::Public),
                grid_id,
                location: location?,
                beds: beds?.unwrap_or(0),
                icu_beds: icu_beds?.unwrap_or(0),
                outpatient_slots_per_day: slots?.unwrap_or(0),
                capabilities: capabilities?.unwrap_or_default(),
            })
        },
    )
}

fn read_consortia(dir: &Path, known: &Known, d: &mut Diagnostics) -> Vec<Consortium> {
    read_table(
        dir,
        Spec {
            file: files::CONSORTIA,
            required_file: false,
            required: &["consortium_id", "name", "kind", "lead_institution_id"],
            optional: &["grid_id", "founded_on", "filed_on", "evaluated_on"],
        },
        d,
        |c: &Consortium| c.id.to_string(),
        |row, d| {
            let id = row.req(d, "consortium_id", cell::with(ConsortiumId::parse));
            let name = row.req(d, "name", cell::text);
            let kind = row.req(d, "kind", cell::with(ConsortiumKind::parse));
            let grid_id = row.opt(d, "grid_id", cell::with(GridId::parse));
            let lead = row.req(d, "lead_institution_id", cell::with(InstitutionId::parse));
            let founded_on = row.opt(d, "founded_on", cell::date);
            let filed_on = row.opt(d, "filed_on", cell::date);
            let evaluated_on = row.opt(d, "evaluated_on", cell::date);
            let (grid_id, lead) = (grid_id?, lead?);
            if let Some(g) = &grid_id {
                reference(row, d, "grid_id", g, &known.grids, "网格", "grid")?;
            }
            reference(
                row,
                d,
                "lead_institution_id",
                &lead,
                &known.institutions,
                "机构",
                "institution",
            )?;
            Ok(Consortium {
                id: id?,
                name: name?,
                kind: kind?,
                grid_id,
                lead,
                founded_on: founded_on?,
                filed_on: filed_on?,
                evaluated_on: evaluated_on?,
            })
        },
    )
}

/// Memberships; a consortium's lead row is checked against its `lead_institution_id`
/// (exactly one lead), and added when the file leaves it out.
fn read_memberships(
    dir: &Path,
    known: &Known,
    consortia: &[Consortium],
    d: &mut Diagnostics,
) -> Vec<Membership> {
    let mut rows = read_table(
        dir,
        Spec {
            file: files::MEMBERSHIPS,
            required_file: false,
            required: &["consortium_id", "institution_id", "role"],
            optional: &["effective_from", "effective_to"],
        },
        d,
        |m: &Membership| format!("{}/{}/{}", m.consortium_id, m.institution_id, m.role),
        |row, d| {
            let cid = row.req(d, "consortium_id", cell::with(ConsortiumId::parse));
            let iid = row.req(d, "institution_id", cell::with(InstitutionId::parse));
            let role = row.req(d, "role", cell::with(MemberRole::parse));
            let from = row.opt(d, "effective_from", cell::date);
            let to = row.opt(d, "effective_to", cell::date);
            let (cid, iid, role) = (cid?, iid?, role?);
            reference(
                row,
                d,
                "consortium_id",
                &cid,
                &known.consortia,
                "医联体",
                "consortium",
            )?;
            reference(
                row,
                d,
                "institution_id",
                &iid,
                &known.institutions,
                "机构",
                "institution",
            )?;
            if role == MemberRole::Lead
                && let Some(c) = consortia.iter().find(|c| c.id == cid)
                && c.lead != iid
            {
                return Err(row.error(
                    d,
                    Some("role"),
                    Why::new(
                        format!(
                            "医联体 {cid} 的牵头单位是 {}，一个医联体只有一个牵头单位",
                            c.lead
                        ),
                        format!(
                            "consortium {cid} is led by {}; a consortium has exactly one lead",
                            c.lead
                        ),
                    ),
                ));
            }
            let validity = Validity::new(from?, to?).map_err(|e| {
                row.error(d, Some("effective_to"), Why::invalid(&e.to.to_string(), &e))
            })?;
            Ok(Membership {
                consortium_id: cid,
                institution_id: iid,
                role,
                validity,
            })
        },
    );
    for c in consortia {
        if !rows
            .iter()
            .any(|m| m.consortium_id == c.id && m.role == MemberRole::Lead)
        {
            rows.push(Membership {
                consortium_id: c.id.clone(),
                institution_id: c.lead.clone(),
                role: MemberRole::Lead,
                validity: Validity {
                    from: c.founded_on,
                    to: None,
                },
            });
        }
    }
    rows
}

fn read_teams(dir: &Path, known: &Known, d: &mut Diagnostics) -> Vec<Team> {
    read_table(
        dir,
        Spec {
            file: files::TEAMS,
            required_file: false,
            required: &["team_id", "institution_id"],
            optional: &["name", "members"],
        },
        d,
        |t: &Team| t.id.to_string(),
        |row, d| {
            let id = row.req(d, "team_id", cell::with(TeamId::parse));
            let iid = row.req(d, "institution_id", cell::with(InstitutionId::parse));
            let name = row.opt(d, "name", cell::text);
            let members = row.opt(d, "members", cell::count);
            let (id, iid) = (id?, iid?);
            reference(
                row,
                d,
                "institution_id",
                &iid,
                &known.institutions,
                "机构",
                "institution",
            )?;
            let name = name?.unwrap_or_else(|| id.to_string());
            Ok(Team {
                id,
                institution_id: iid,
                name,
                members: members?.unwrap_or(0),
            })
        },
    )
}

/// `residents.csv` exists but cannot be read at all (reported in the diagnostics).
#[derive(Debug, Clone, Copy)]
pub struct Unreadable;

/// Streams `residents.csv` in batches, checking each row; duplicate ids are caught with a
/// set of 64-bit hashes (8 bytes per resident, so ten million residents cost 80 MB, not
/// the gigabytes their ids would).
pub struct ResidentReader {
    table: CsvTable,
    teams: BTreeSet<TeamId>,
    seen: HashSet<u64>,
    total_bytes: u64,
}

impl ResidentReader {
    /// Opens the file; `Ok(None)` when the folder has no residents.
    pub fn open(
        dir: &Path,
        known: &Known,
        d: &mut Diagnostics,
    ) -> Result<Option<ResidentReader>, Unreadable> {
        let total_bytes = std::fs::metadata(dir.join(files::RESIDENTS))
            .map(|m| m.len())
            .unwrap_or(0);
        match CsvTable::open(
            dir,
            files::RESIDENTS,
            RESIDENT_REQUIRED,
            RESIDENT_OPTIONAL,
            d,
        ) {
            Ok(Some(table)) => Ok(Some(ResidentReader {
                table,
                teams: known.teams.clone(),
                seen: HashSet::new(),
                total_bytes,
            })),
            Ok(None) => Ok(None),
            Err(Bad) => Err(Unreadable),
        }
    }

    /// (bytes read, file size), for a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (self.table.bytes_read(), self.total_bytes)
    }

    /// Appends up to `max` good rows to `out` (bad rows are reported and skipped); false at
    /// the end of the file. `grid_id` holds the grid the file declares, if any.
    pub fn next_batch(&mut self, d: &mut Diagnostics, max: usize, out: &mut Vec<Resident>) -> bool {
        while out.len() < max {
            let Some(row) = self.table.next_row(d) else {
                return false;
            };
            let Ok(row) = row else { continue };
            if let Ok(r) = parse_resident(&row, d, &self.teams) {
                let mut h = std::hash::DefaultHasher::new();
                r.id.as_str().hash(&mut h);
                if self.seen.insert(h.finish()) {
                    out.push(r);
                } else {
                    row.error(d, Some("resident_id"), duplicate(r.id.as_str()));
                }
            }
        }
        true
    }
}

fn parse_resident(
    row: &Row<'_>,
    d: &mut Diagnostics,
    teams: &BTreeSet<TeamId>,
) -> Result<Resident, Bad> {
    let id = row.req(d, "resident_id", cell::with(ResidentId::parse));
    let sex = row.req(d, "sex", cell::with(Sex::parse));
    let birth_date = row.opt(d, "birth_date", cell::date);
    let home = location(row, d, true);
    let pregnant = row.opt(d, "pregnant", cell::boolean);
    let grid_id = row.opt(d, "grid_id", cell::with(GridId::parse));
    let team_id = row.opt(d, "team_id", cell::with(TeamId::parse));
    let signed_on = row.opt(d, "signed_on", cell::date);
    let team_id = team_id?;
    if let Some(t) = &team_id {
        reference(row, d, "team_id", t, teams, "家庭医生团队", "team")?;
    }
    Ok(Resident {
        id: id?,
        sex: sex?,
        birth_date: birth_date?,
        home: home?.expect("BUG: a required location is present"),
        conditions: row
            .get("conditions")
            .map(|s| {
                s.split(';')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        pregnant: pregnant?.unwrap_or(false),
        grid_id: grid_id?,
        team_id,
        signed_on: signed_on?,
    })
}
