//! The city registry (GRID-*, COMP-*): institutions, grids and consortia, read from the
//! store; consortia changed through the service layer, which checks the change against
//! the same rules as the audit before anything is stored.

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::dto::audit::FindingDto;
use crate::dto::registry::{
    ConsortiumDetail, ConsortiumDto, ConsortiumInput, GridCollection, GridFeature,
    InstitutionDetail, InstitutionDto, PutConsortiumResponse,
};
use crate::error::{ApiError, ErrorBody, RejectionBody};
use crate::extract::{GeoJson, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::IntoParams;
use yilian_domain::access::{Action, Resource};
use yilian_domain::ids::{ConsortiumId, GridId, InstitutionId};
use yilian_domain::registry::InstitutionKind;
use yilian_domain::registry::Registry;
use yilian_store::{Store, registry};

/// Filters of `GET /institutions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InstitutionFilter {
    /// Only institutions sitting in this grid.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    grid: Option<String>,
    /// Only institutions of this kind (`general_hospital`, `community_health_center` …).
    #[param(schema_with = crate::dto::registry::institution_kind_schema)]
    kind: Option<String>,
}

fn grid_id(field: &str, s: &str) -> Result<GridId, ApiError> {
    GridId::parse(s).map_err(|e| ApiError::invalid_because(field, &e))
}

/// Loads the registry and checks that the caller may read all of it.
pub(crate) async fn readable_registry(
    state: &AppState,
    who: &Who,
) -> Result<Arc<Registry>, ApiError> {
    let reg = state.registry().await?;
    let ask = Ask::plain(&Action::ReadRegistry, &Resource::Registry);
    authorize(state, &reg, who, ask).await?;
    Ok(reg)
}

/// Residents per grid id, from the store's count.
pub(crate) async fn residents_by_grid(store: &Store) -> Result<BTreeMap<String, u64>, ApiError> {
    Ok(registry::residents_per_grid(store)
        .await?
        .into_iter()
        .filter_map(|(g, n)| Some((g?, n.max(0) as u64)))
        .collect())
}

/// Institutions, by id, optionally of one grid and one kind.
#[utoipa::path(
    get,
    path = "/api/v1/institutions",
    tag = "registry",
    params(InstitutionFilter),
    responses(
        (status = 200, description = "Institutions by id", body = [InstitutionDto]),
        (status = 400, description = "A filter does not parse", body = ErrorBody),
        (status = 404, description = "The grid does not exist", body = ErrorBody),
    )
)]
pub(crate) async fn list_institutions(
    State(state): State<AppState>,
    who: Who,
    Query(filter): Query<InstitutionFilter>,
) -> Result<Json<Vec<InstitutionDto>>, ApiError> {
    let grid = filter
        .grid
        .as_deref()
        .map(|g| grid_id("grid", g))
        .transpose()?;
    let kind = filter
        .kind
        .as_deref()
        .map(InstitutionKind::parse)
        .transpose()
        .map_err(|e| ApiError::invalid_code("kind", &e))?;
    let reg = readable_registry(&state, &who).await?;
    if let Some(g) = &grid
        && reg.grid(g).is_none()
    {
        return Err(ApiError::NotFound {
            what: "grid",
            id: g.to_string(),
        });
    }
    let list = reg
        .institutions
        .iter()
        .filter(|i| grid.is_none() || i.grid_id == grid)
        .filter(|i| kind.is_none_or(|k| i.kind == k))
        .map(InstitutionDto::from)
        .collect();
    Ok(Json(list))
}

/// One institution with the consortia it belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/institutions/{id}",
    tag = "registry",
    params(("id" = String, Path, description = "Institution id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    responses(
        (status = 200, description = "The institution", body = InstitutionDetail),
        (status = 400, description = "The id is not an id", body = ErrorBody),
        (status = 404, description = "No such institution", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(institution = %id))]
pub(crate) async fn get_institution(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<Json<InstitutionDetail>, ApiError> {
    let iid = InstitutionId::parse(&id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let reg = readable_registry(&state, &who).await?;
    let inst = reg.institution(&iid).ok_or(ApiError::NotFound {
        what: "institution",
        id,
    })?;
    Ok(Json(InstitutionDetail::of(&reg, inst)))
}

/// Every grid as a GeoJSON FeatureCollection, with its residents and its group.
#[utoipa::path(
    get,
    path = "/api/v1/grids",
    tag = "registry",
    responses((status = 200, description = "Grids by id", body = GridCollection, content_type = "application/geo+json"))
)]
pub(crate) async fn list_grids(
    State(state): State<AppState>,
    who: Who,
) -> Result<GeoJson<GridCollection>, ApiError> {
    let reg = readable_registry(&state, &who).await?;
    let residents = residents_by_grid(&state.store).await?;
    let features = reg
        .grids
        .iter()
        .map(|g| GridFeature::of(&reg, g, &residents))
        .collect();
    Ok(GeoJson(GridCollection::new(features)))
}

/// One grid as a GeoJSON Feature.
#[utoipa::path(
    get,
    path = "/api/v1/grids/{id}",
    tag = "registry",
    params(("id" = String, Path, description = "Grid id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    responses(
        (status = 200, description = "The grid", body = GridFeature, content_type = "application/geo+json"),
        (status = 400, description = "The id is not an id", body = ErrorBody),
        (status = 404, description = "No such grid", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(grid = %id))]
pub(crate) async fn get_grid(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<GeoJson<GridFeature>, ApiError> {
    let gid = grid_id("id", &id)?;
    let reg = readable_registry(&state, &who).await?;
    let grid = reg
        .grid(&gid)
        .ok_or(ApiError::NotFound { what: "grid", id })?;
    let residents = residents_by_grid(&state.store).await?;
    Ok(GeoJson(GridFeature::of(&reg, grid, &residents)))
}

/// Every consortium, by id.
#[utoipa::path(
    get,
    path = "/api/v1/consortia",
    tag = "registry",
    responses((status = 200, description = "Consortia by id", body = [ConsortiumDto]))
)]
pub(crate) async fn list_consortia(
    State(state): State<AppState>,
    who: Who,
) -> Result<Json<Vec<ConsortiumDto>>, ApiError> {
    let reg = readable_registry(&state, &who).await?;
    Ok(Json(
        reg.consortia
            .iter()
            .map(|c| ConsortiumDto::of(&reg, c))
            .collect(),
    ))
}

/// One consortium with its members.
#[utoipa::path(
    get,
    path = "/api/v1/consortia/{id}",
    tag = "registry",
    params(("id" = String, Path, description = "Consortium id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    responses(
        (status = 200, description = "The consortium", body = ConsortiumDetail),
        (status = 400, description = "The id is not an id", body = ErrorBody),
        (status = 404, description = "No such consortium", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(consortium = %id))]
pub(crate) async fn get_consortium(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<Json<ConsortiumDetail>, ApiError> {
    let cid = ConsortiumId::parse(&id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let reg = state.registry().await?;
    let c = reg
        .consortia
        .iter()
        .find(|c| c.id == cid)
        .ok_or(ApiError::NotFound {
            what: "consortium",
            id,
        })?;
    let resource = Resource::Consortium {
        id: c.id.clone(),
        grid: c.grid_id.clone(),
    };
    authorize(
        &state,
        &reg,
        &who,
        Ask::plain(&Action::ReadRegistry, &resource),
    )
    .await?;
    Ok(Json(ConsortiumDetail::of(&reg, c)))
}

/// Creates or changes a consortium with its complete member list (`COMP-*`, `GRID-3`).
///
/// The change is checked by the rules of the server's policy profile before anything is
/// stored: a broken must-rule answers 422 with the findings and stores nothing; otherwise
/// the change is stored with a `ConsortiumCreated` or `ConsortiumChanged` event, and the
/// warnings come back with it.
#[utoipa::path(
    put,
    path = "/api/v1/consortia/{id}",
    tag = "registry",
    params(("id" = String, Path, description = "Consortium id", min_length = 1, max_length = 128, pattern = "^[^;\\u0000-\\u001f\\u007f-\\u009f]+$")),
    request_body = ConsortiumInput,
    responses(
        (status = 200, description = "Changed", body = PutConsortiumResponse),
        (status = 201, description = "Created", body = PutConsortiumResponse),
        (status = 400, description = "A field does not parse", body = ErrorBody),
        (status = 404, description = "The lead, a member or the grid does not exist", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 422, description = "A must-rule would break; nothing was stored", body = RejectionBody),
    )
)]
#[tracing::instrument(skip_all, fields(consortium = %id))]
pub(crate) async fn put_consortium(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
    Json(body): Json<ConsortiumInput>,
) -> Result<(StatusCode, Json<PutConsortiumResponse>), ApiError> {
    let cid = ConsortiumId::parse(&id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let (consortium, members) = body.parse(&cid)?;
    // the caller must reach the consortium as it is now and as it would be
    let before = state.registry().await?;
    let now_grid = before
        .consortia
        .iter()
        .find(|c| c.id == cid)
        .map(|c| c.grid_id.clone());
    for grid in now_grid.into_iter().chain([consortium.grid_id.clone()]) {
        let resource = Resource::Consortium {
            id: cid.clone(),
            grid,
        };
        let ask = Ask::plain(&Action::ChangeConsortium, &resource);
        authorize(&state, &before, &who, ask).await?;
    }
    let actor = who.signed_in.actor.user_id.to_string();
    let today = yilian_service::today();
    let outcome = yilian_service::consortium::put_consortium(
        &state.store,
        consortium,
        members,
        &state.profile,
        today,
        &actor,
    )
    .await?;
    let reg = state.registry().await?;
    let stored = reg.consortia.iter().find(|c| c.id == cid).ok_or_else(|| {
        ApiError::Internal(format!(
            "consortium {cid} missing right after it was stored"
        ))
    })?;
    let response = PutConsortiumResponse {
        created: outcome.created,
        consortium: ConsortiumDetail::of(&reg, stored),
        warnings: outcome.warnings.into_iter().map(FindingDto::from).collect(),
    };
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(response)))
}
