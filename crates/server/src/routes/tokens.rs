//! API tokens (issue 3, item 1): a signed-in user creates tokens for the systems that act
//! with their grants, sees them listed (never their secrets), and revokes them.

use crate::AppState;
use crate::access::Who;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yilian_service::auth::{self, TOKEN_DAYS_DEFAULT};
use yilian_store::session::ApiToken;

/// A token as listed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenDto {
    /// Public id (the first part of the token).
    pub(crate) id: String,
    /// What it is for.
    pub(crate) name: String,
    /// When created.
    pub(crate) created_at: DateTime<Utc>,
    /// When it stops working.
    pub(crate) expires_at: DateTime<Utc>,
    /// When revoked, if it was.
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.token_id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TokenInput {
    /// What it is for (1–100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub(crate) name: String,
    /// Days it lives, 1–366 (default 90).
    #[schema(minimum = 1, maximum = 366)]
    pub(crate) days: Option<i64>,
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewTokenDto {
    /// The token as listed from now on.
    pub(crate) token: TokenDto,
    /// `yl_<id>_<secret>`: send as `Authorization: Bearer …`. Not shown again.
    pub(crate) secret: String,
}

/// Creates a token for the caller; the error is bilingual, the secret shown once.
pub(crate) async fn create(
    state: &AppState,
    who: &Who,
    input: &TokenInput,
) -> Result<NewTokenDto, ApiError> {
    let user = &who.signed_in.actor.user_id;
    let days = input.days.unwrap_or(TOKEN_DAYS_DEFAULT);
    let made = auth::create_token(
        &state.store,
        user,
        &input.name,
        days,
        Utc::now(),
        user.as_str(),
    )
    .await?
    .map_err(|e| ApiError::invalid_because("token", &e))?;
    Ok(NewTokenDto {
        token: made.token.into(),
        secret: made.secret.reveal().to_owned(),
    })
}

/// The caller's tokens, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "access",
    responses(
        (status = 200, description = "The caller's tokens", body = [TokenDto]),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    who: Who,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let list = auth::list_tokens(&state.store, &who.signed_in.actor.user_id).await?;
    Ok(Json(list.into_iter().map(TokenDto::from).collect()))
}

/// Creates a token acting with the caller's grants.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "access",
    request_body = TokenInput,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = NewTokenDto),
        (status = 400, description = "Bad name or lifetime", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<TokenInput>,
) -> Result<(StatusCode, Json<NewTokenDto>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(create(&state, &who, &input).await?),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "access",
    params(("id" = String, Path, description = "Token id", max_length = 64)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No live token of the caller has this id", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = &who.signed_in.actor.user_id;
    auth::revoke_token(&state.store, user, &id, Utc::now(), user.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}
