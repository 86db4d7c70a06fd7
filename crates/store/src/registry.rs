//! The registry's current-state tables: grids, institutions, consortia, memberships, teams
//! and residents. Writes are batched upserts that touch only rows whose content changed.

use crate::sql::{Cell, TableShape, update_column, upsert};
use crate::{Store, StoreError, Tx, with_pool};
use chrono::NaiveDate;
use sqlx::AssertSqlSafe;
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId, ResidentId, TeamId};
use yilian_domain::registry::{
    Capability, Consortium, ConsortiumKind, Grade, Grid, Institution, InstitutionKind, Level,
    LonLat, MemberRole, Membership, Ownership, Registry, Resident, Sex, Team, Validity,
};

const GRID: TableShape = TableShape {
    table: "grid",
    columns: &[
        "grid_id",
        "name",
        "division_code",
        "population",
        "geometry",
        "effective_from",
        "effective_to",
    ],
    key_len: 1,
};
const INSTITUTION: TableShape = TableShape {
    table: "institution",
    columns: &[
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
    key_len: 1,
};
const CONSORTIUM: TableShape = TableShape {
    table: "consortium",
    columns: &[
        "consortium_id",
        "name",
        "kind",
        "grid_id",
        "lead_institution_id",
        "founded_on",
        "filed_on",
        "evaluated_on",
    ],
    key_len: 1,
};
const MEMBERSHIP: TableShape = TableShape {
    table: "membership",
    columns: &[
        "consortium_id",
        "institution_id",
        "role",
        "effective_from",
        "effective_to",
    ],
    key_len: 3,
};
const TEAM: TableShape = TableShape {
    table: "team",
    columns: &["team_id", "institution_id", "name", "members"],
    key_len: 1,
};
const RESIDENT: TableShape = TableShape {
    table: "resident",
    columns: &[
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
    ],
    key_len: 1,
};

fn text(s: &str) -> Cell {
    Cell::Text(Some(s.to_owned()))
}
fn opt_text<T: AsRef<str>>(s: Option<T>) -> Cell {
    Cell::Text(s.map(|s| s.as_ref().to_owned()))
}
fn int(v: impl Into<i64>) -> Cell {
    Cell::Int(Some(v.into()))
}

/// Serialises a grid's geometry as GeoJSON text, the form stored and exported.
pub fn geometry_json(grid: &Grid) -> String {
    geojson::Geometry::new(geojson::GeometryValue::from(&grid.geometry)).to_string()
}

fn grid_cells(g: &Grid) -> Vec<Cell> {
    vec![
        text(g.id.as_str()),
        text(&g.name),
        opt_text(g.division_code.as_ref()),
        Cell::Int(g.population.map(|p| p as i64)),
        Cell::Text(Some(geometry_json(g))),
        Cell::Date(g.validity.from),
        Cell::Date(g.validity.to),
    ]
}

fn institution_cells(i: &Institution) -> Vec<Cell> {
    let caps: Vec<&str> = i.capabilities.iter().map(|c| c.as_str()).collect();
    vec![
        text(i.id.as_str()),
        text(&i.name),
        text(i.kind.as_str()),
        int(i.level.get()),
        opt_text(i.grade.map(|g| g.as_str())),
        text(i.ownership.as_str()),
        opt_text(i.grid_id.as_ref()),
        Cell::Real(i.location.map(|l| l.lon())),
        Cell::Real(i.location.map(|l| l.lat())),
        int(i.beds),
        int(i.icu_beds),
        int(i.outpatient_slots_per_day),
        text(&caps.join(";")),
    ]
}

fn consortium_cells(c: &Consortium) -> Vec<Cell> {
    vec![
        text(c.id.as_str()),
        text(&c.name),
        text(c.kind.as_str()),
        opt_text(c.grid_id.as_ref()),
        text(c.lead.as_str()),
        Cell::Date(c.founded_on),
        Cell::Date(c.filed_on),
        Cell::Date(c.evaluated_on),
    ]
}

fn membership_cells(m: &Membership) -> Vec<Cell> {
    vec![
        text(m.consortium_id.as_str()),
        text(m.institution_id.as_str()),
        text(m.role.as_str()),
        Cell::Date(m.validity.from),
        Cell::Date(m.validity.to),
    ]
}

fn team_cells(t: &Team) -> Vec<Cell> {
    vec![
        text(t.id.as_str()),
        text(t.institution_id.as_str()),
        text(&t.name),
        int(t.members),
    ]
}

fn resident_cells(r: &Resident) -> Vec<Cell> {
    vec![
        text(r.id.as_str()),
        text(r.sex.as_str()),
        Cell::Date(r.birth_date),
        Cell::Real(Some(r.home.lon())),
        Cell::Real(Some(r.home.lat())),
        text(&r.conditions.join(";")),
        Cell::Bool(r.pregnant),
        opt_text(r.grid_id.as_ref()),
        opt_text(r.team_id.as_ref()),
        Cell::Date(r.signed_on),
    ]
}

/// Rows inserted or changed per table by one write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// grids
    pub grids: u64,
    /// institutions
    pub institutions: u64,
    /// consortia
    pub consortia: u64,
    /// memberships
    pub memberships: u64,
    /// teams
    pub teams: u64,
    /// residents
    pub residents: u64,
}

impl Changes {
    /// Nothing changed at all.
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// Upserts everything in `registry` (not residents), in reference order.
pub async fn upsert_registry(tx: &mut Tx, registry: &Registry) -> Result<Changes, StoreError> {
    let rows = |cells: Vec<Vec<Cell>>| cells;
    Ok(Changes {
        grids: upsert(
            tx,
            &GRID,
            &rows(registry.grids.iter().map(grid_cells).collect()),
        )
        .await?,
        institutions: upsert(
            tx,
            &INSTITUTION,
            &registry
                .institutions
                .iter()
                .map(institution_cells)
                .collect::<Vec<_>>(),
        )
        .await?,
        consortia: upsert(
            tx,
            &CONSORTIUM,
            &registry
                .consortia
                .iter()
                .map(consortium_cells)
                .collect::<Vec<_>>(),
        )
        .await?,
        memberships: upsert(
            tx,
            &MEMBERSHIP,
            &registry
                .memberships
                .iter()
                .map(membership_cells)
                .collect::<Vec<_>>(),
        )
        .await?,
        teams: upsert(
            tx,
            &TEAM,
            &registry.teams.iter().map(team_cells).collect::<Vec<_>>(),
        )
        .await?,
        residents: 0,
    })
}

/// Upserts one consortium and replaces its memberships with `members` (those of other
/// consortia are untouched). Returns rows changed.
pub async fn put_consortium(
    tx: &mut Tx,
    c: &Consortium,
    members: &[Membership],
) -> Result<u64, StoreError> {
    let mut changed = upsert(tx, &CONSORTIUM, &[consortium_cells(c)]).await?;
    let id = c.id.as_str();
    let kept: Vec<String> = members
        .iter()
        .map(|m| format!("{}|{}", m.institution_id, m.role))
        .collect();
    let existing: Vec<(String, String)> = crate::with_tx!(tx, conn => sqlx::query_as(
        "SELECT institution_id, role FROM membership WHERE consortium_id = $1")
        .bind(id).fetch_all(&mut *conn).await?);
    for (inst, role) in existing {
        if !kept.contains(&format!("{inst}|{role}")) {
            changed += crate::with_tx!(tx, conn => sqlx::query(
                "DELETE FROM membership WHERE consortium_id = $1 AND institution_id = $2 AND role = $3")
                .bind(id).bind(&inst).bind(&role).execute(&mut *conn).await?.rows_affected());
        }
    }
    changed += upsert(
        tx,
        &MEMBERSHIP,
        &members.iter().map(membership_cells).collect::<Vec<_>>(),
    )
    .await?;
    Ok(changed)
}

/// Upserts a batch of residents; returns rows inserted or changed.
pub async fn upsert_residents(tx: &mut Tx, residents: &[Resident]) -> Result<u64, StoreError> {
    upsert(
        tx,
        &RESIDENT,
        &residents.iter().map(resident_cells).collect::<Vec<_>>(),
    )
    .await
}

/// Sets residents' grids; returns how many changed.
pub async fn set_resident_grids(
    tx: &mut Tx,
    grids: &[(String, Option<String>)],
) -> Result<u64, StoreError> {
    update_column(tx, "resident", "resident_id", "grid_id", grids).await
}

fn corrupt<'a, E: std::fmt::Display>(
    table: &'static str,
    id: &'a str,
) -> impl Fn(E) -> StoreError + 'a {
    move |e| StoreError::corrupt(table, id, e)
}

fn parse_list<T, E: std::fmt::Display>(
    s: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    table: &'static str,
    id: &str,
) -> Result<Vec<T>, StoreError> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(|p| parse(p).map_err(corrupt(table, id)))
        .collect()
}

type GridRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
);
type InstitutionRow = (
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<f64>,
    Option<f64>,
    i64,
    i64,
    i64,
    String,
);
type ConsortiumRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);
type MembershipRow = (String, String, String, Option<NaiveDate>, Option<NaiveDate>);
type TeamRow = (String, String, String, i64);
type ResidentRow = (
    String,
    String,
    Option<NaiveDate>,
    f64,
    f64,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

fn select(shape: &TableShape, order: &str) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY {order}",
        shape.columns.join(", "),
        shape.table
    )
}

fn u32_of(v: i64, table: &'static str, id: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(corrupt(table, id))
}

fn grid_from_row(r: GridRow) -> Result<Grid, StoreError> {
    let (id, name, division_code, population, geometry, from, to) = r;
    let geom: geojson::Geometry = geometry.parse().map_err(corrupt("grid", &id))?;
    let geometry = match geo_types::Geometry::<f64>::try_from(geom).map_err(corrupt("grid", &id))? {
        geo_types::Geometry::MultiPolygon(mp) => mp,
        geo_types::Geometry::Polygon(p) => geo_types::MultiPolygon(vec![p]),
        other => {
            return Err(StoreError::corrupt(
                "grid",
                &id,
                format!("not a polygon: {other:?}"),
            ));
        }
    };
    Ok(Grid {
        id: GridId::parse(&id).map_err(corrupt("grid", &id))?,
        name,
        division_code,
        population: population.map(|p| p.max(0) as u64),
        geometry,
        validity: Validity::new(from, to).map_err(corrupt("grid", &id))?,
    })
}

fn institution_from_row(r: InstitutionRow) -> Result<Institution, StoreError> {
    let (id, name, kind, level, grade, ownership, grid_id, lon, lat, beds, icu, slots, caps) = r;
    let c = |e| corrupt::<String>("institution", &id)(e);
    let location = match (lon, lat) {
        (Some(lon), Some(lat)) => Some(LonLat::new(lon, lat).map_err(|e| c(e.to_string()))?),
        _ => None,
    };
    Ok(Institution {
        id: InstitutionId::parse(&id).map_err(|e| c(e.to_string()))?,
        name,
        kind: InstitutionKind::parse(&kind).map_err(|e| c(e.to_string()))?,
        level: Level::new(level).map_err(|e| c(e.to_string()))?,
        grade: grade
            .map(|g| Grade::parse(&g))
            .transpose()
            .map_err(|e| c(e.to_string()))?,
        ownership: Ownership::parse(&ownership).map_err(|e| c(e.to_string()))?,
        grid_id: grid_id
            .map(|g| GridId::parse(&g))
            .transpose()
            .map_err(|e| c(e.to_string()))?,
        location,
        beds: u32_of(beds, "institution", &id)?,
        icu_beds: u32_of(icu, "institution", &id)?,
        outpatient_slots_per_day: u32_of(slots, "institution", &id)?,
        capabilities: parse_list(&caps, Capability::parse, "institution", &id)?,
    })
}

fn consortium_from_row(r: ConsortiumRow) -> Result<Consortium, StoreError> {
    let (id, name, kind, grid_id, lead, founded_on, filed_on, evaluated_on) = r;
    let c = |e: String| StoreError::corrupt("consortium", &id, e);
    Ok(Consortium {
        id: ConsortiumId::parse(&id).map_err(|e| c(e.to_string()))?,
        name,
        kind: ConsortiumKind::parse(&kind).map_err(|e| c(e.to_string()))?,
        grid_id: grid_id
            .map(|g| GridId::parse(&g))
            .transpose()
            .map_err(|e| c(e.to_string()))?,
        lead: InstitutionId::parse(&lead).map_err(|e| c(e.to_string()))?,
        founded_on,
        filed_on,
        evaluated_on,
    })
}

fn membership_from_row(r: MembershipRow) -> Result<Membership, StoreError> {
    let (cid, iid, role, from, to) = r;
    let key = format!("{cid}/{iid}");
    let c = |e: String| StoreError::corrupt("membership", &key, e);
    Ok(Membership {
        consortium_id: ConsortiumId::parse(&cid).map_err(|e| c(e.to_string()))?,
        institution_id: InstitutionId::parse(&iid).map_err(|e| c(e.to_string()))?,
        role: MemberRole::parse(&role).map_err(|e| c(e.to_string()))?,
        validity: Validity::new(from, to).map_err(|e| c(e.to_string()))?,
    })
}

fn team_from_row(r: TeamRow) -> Result<Team, StoreError> {
    let (id, inst, name, members) = r;
    Ok(Team {
        id: TeamId::parse(&id).map_err(corrupt("team", &id))?,
        institution_id: InstitutionId::parse(&inst).map_err(corrupt("team", &id))?,
        name,
        members: u32_of(members, "team", &id)?,
    })
}

fn resident_from_row(r: ResidentRow) -> Result<Resident, StoreError> {
    let (id, sex, birth_date, lon, lat, conditions, pregnant, grid_id, team_id, signed_on) = r;
    let c = |e: String| StoreError::corrupt("resident", &id, e);
    Ok(Resident {
        id: ResidentId::parse(&id).map_err(|e| c(e.to_string()))?,
        sex: Sex::parse(&sex).map_err(|e| c(e.to_string()))?,
        birth_date,
        home: LonLat::new(lon, lat).map_err(|e| c(e.to_string()))?,
        conditions: conditions
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        pregnant,
        grid_id: grid_id
            .map(|g| GridId::parse(&g))
            .transpose()
            .map_err(|e| c(e.to_string()))?,
        team_id: team_id
            .map(|t| TeamId::parse(&t))
            .transpose()
            .map_err(|e| c(e.to_string()))?,
        signed_on,
    })
}

/// Loads the whole registry but the residents, sorted by key.
pub async fn load_registry(store: &Store) -> Result<Registry, StoreError> {
    let grids: Vec<GridRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(select(&GRID, "grid_id"))).fetch_all(p).await?);
    let insts: Vec<InstitutionRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(select(&INSTITUTION, "institution_id"))).fetch_all(p).await?);
    let cons: Vec<ConsortiumRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(select(&CONSORTIUM, "consortium_id"))).fetch_all(p).await?);
    let mems: Vec<MembershipRow> = with_pool!(store, p => sqlx::query_as(
        AssertSqlSafe(select(&MEMBERSHIP, "consortium_id, institution_id, role"))).fetch_all(p).await?);
    let teams: Vec<TeamRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(select(&TEAM, "team_id"))).fetch_all(p).await?);
    let mut registry = Registry {
        grids: grids
            .into_iter()
            .map(grid_from_row)
            .collect::<Result<_, _>>()?,
        institutions: insts
            .into_iter()
            .map(institution_from_row)
            .collect::<Result<_, _>>()?,
        consortia: cons
            .into_iter()
            .map(consortium_from_row)
            .collect::<Result<_, _>>()?,
        memberships: mems
            .into_iter()
            .map(membership_from_row)
            .collect::<Result<_, _>>()?,
        teams: teams
            .into_iter()
            .map(team_from_row)
            .collect::<Result<_, _>>()?,
    };
    registry.sort();
    Ok(registry)
}

/// The registry's version: the last event that changed it (an import, a located grid, a
/// consortium's change), 0 before any. A cached registry older than this is stale, on any
/// server of the database.
pub async fn registry_version(store: &Store) -> Result<i64, StoreError> {
    let sql = "SELECT COALESCE(MAX(event_id), 0) FROM event \
               WHERE stream = 'registry' OR (stream >= 'consortium/' AND stream < 'consortium0')";
    let (v,): (i64,) = with_pool!(store, p => sqlx::query_as(sql).fetch_one(p).await?);
    Ok(v)
}

/// Which residents a page lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResidentFilter<'a> {
    /// Only those living in this grid.
    pub grid: Option<&'a GridId>,
    /// Only those signed with this family-doctor team.
    pub team: Option<&'a TeamId>,
}

/// A page of residents ordered by id, after `after` (keyset paging), filtered.
pub async fn residents_page(
    store: &Store,
    filter: ResidentFilter<'_>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Resident>, StoreError> {
    let sql = format!(
        "SELECT {} FROM resident WHERE ($1 IS NULL OR grid_id = $1) AND ($2 IS NULL OR resident_id > $2) \
         AND ($4 IS NULL OR team_id = $4) ORDER BY resident_id LIMIT $3",
        RESIDENT.columns.join(", ")
    );
    let grid = filter.grid.map(|g| g.as_str().to_owned());
    let team = filter.team.map(|t| t.as_str().to_owned());
    let after = after.map(str::to_owned);
    let rows: Vec<ResidentRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(grid.clone()).bind(after.clone()).bind(i64::from(limit)).bind(team.clone()).fetch_all(p).await?);
    rows.into_iter().map(resident_from_row).collect()
}

/// One resident.
pub async fn get_resident(store: &Store, id: &ResidentId) -> Result<Option<Resident>, StoreError> {
    let sql = format!(
        "SELECT {} FROM resident WHERE resident_id = $1",
        RESIDENT.columns.join(", ")
    );
    let row: Option<ResidentRow> = with_pool!(store, p => sqlx::query_as(AssertSqlSafe(sql.clone()))
        .bind(id.as_str()).fetch_optional(p).await?);
    row.map(resident_from_row).transpose()
}

/// Every resident's id, home and stored grid, ordered by id (for re-assignment).
pub async fn resident_points(
    store: &Store,
) -> Result<Vec<(String, f64, f64, Option<String>)>, StoreError> {
    let sql = "SELECT resident_id, lon, lat, grid_id FROM resident ORDER BY resident_id";
    Ok(with_pool!(store, p => sqlx::query_as(sql).fetch_all(p).await?))
}

/// Residents per grid (`None` for those outside every grid).
pub async fn residents_per_grid(store: &Store) -> Result<Vec<(Option<String>, i64)>, StoreError> {
    let sql = "SELECT grid_id, COUNT(*) FROM resident GROUP BY grid_id ORDER BY grid_id";
    Ok(with_pool!(store, p => sqlx::query_as(sql).fetch_all(p).await?))
}

/// Up to `limit` ids of residents outside every grid.
pub async fn uncovered_residents(store: &Store, limit: u32) -> Result<Vec<String>, StoreError> {
    let sql =
        "SELECT resident_id FROM resident WHERE grid_id IS NULL ORDER BY resident_id LIMIT $1";
    Ok(with_pool!(store, p => sqlx::query_scalar(sql).bind(i64::from(limit)).fetch_all(p).await?))
}
