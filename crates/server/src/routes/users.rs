//! Accounts through the API (issue 3, item 1): who the caller is (`/me`), and for
//! commission administrators the list of users, adding one, disabling one.

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use yilian_domain::access::{Action, Grant, Resource, Scope};
use yilian_domain::ids::UserId;
use yilian_domain::registry::Registry;
use yilian_service::account::{self, AddUserError, parse_grant};
use yilian_store::account::Account;

/// A grant as shown.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GrantDto {
    /// Role code (`family_doctor` …).
    pub(crate) role: &'static str,
    /// Role in Chinese.
    pub(crate) role_zh: &'static str,
    /// Scope (`city`, `team:T0001` …).
    pub(crate) scope: String,
}

impl From<&Grant> for GrantDto {
    fn from(g: &Grant) -> Self {
        GrantDto {
            role: g.role().as_str(),
            role_zh: g.role().zh(),
            scope: g.scope().to_string(),
        }
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeDto {
    /// Login name.
    pub(crate) user_id: String,
    /// Display name.
    pub(crate) display_name: String,
    /// What they may do, where.
    pub(crate) grants: Vec<GrantDto>,
    /// The console pages their roles may use (`map`, `persons`, `audit-trail` …).
    pub(crate) pages: Vec<&'static str>,
}

/// Who the caller is, with their grants and the pages open to them.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "access",
    responses(
        (status = 200, description = "The caller", body = MeDto),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn get_me(who: Who) -> Json<MeDto> {
    let s = &who.signed_in;
    Json(MeDto {
        user_id: s.actor.user_id.to_string(),
        display_name: s.display_name.clone(),
        grants: s.actor.grants.iter().map(GrantDto::from).collect(),
        pages: crate::console::nav::pages_of(&s.actor)
            .iter()
            .map(|p| p.key)
            .collect(),
    })
}

/// An account as listed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserDto {
    /// Login name.
    pub(crate) user_id: String,
    /// Display name.
    pub(crate) display_name: String,
    /// Grants.
    pub(crate) grants: Vec<GrantDto>,
    /// Disabled accounts cannot sign in.
    pub(crate) disabled: bool,
    /// Locked after failed logins until then.
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

impl From<&Account> for UserDto {
    fn from(a: &Account) -> Self {
        UserDto {
            user_id: a.user_id.to_string(),
            display_name: a.display_name.clone(),
            grants: a.grants.iter().map(GrantDto::from).collect(),
            disabled: a.disabled,
            locked_until: a.throttle.locked_until,
        }
    }
}

/// Checks that the caller may manage users (commission administrators on the city).
pub(crate) async fn may_manage(
    state: &AppState,
    who: &Who,
    detail: serde_json::Value,
) -> Result<Arc<Registry>, ApiError> {
    let reg = state.registry().await?;
    let ask = Ask {
        action: &Action::ManageUsers,
        resource: &Resource::Users,
        purpose: "management",
        detail,
    };
    authorize(state, &reg, who, ask).await?;
    Ok(reg)
}

/// Every account.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "access",
    responses(
        (status = 200, description = "Accounts by id", body = [UserDto]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a commission administrator", body = ErrorBody),
    )
)]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    who: Who,
) -> Result<Json<Vec<UserDto>>, ApiError> {
    may_manage(&state, &who, serde_json::json!({"list": true})).await?;
    let users = account::list_users(&state.store).await?;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

/// An account to add.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UserInput {
    /// Login name.
    #[schema(min_length = 1, max_length = 64)]
    pub(crate) user_id: String,
    /// Display name.
    #[schema(min_length = 1, max_length = 100)]
    pub(crate) display_name: String,
    /// Grants as `ROLE@KIND[:ID]` (`family_doctor@team:T0001`, `auditor@city`).
    pub(crate) grants: Vec<String>,
    /// A first password; generated (and returned once) when absent.
    pub(crate) password: Option<String>,
}

/// The account added, with its generated first password.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewUserDto {
    /// The account.
    pub(crate) user: UserDto,
    /// The generated first password, shown this once; null when one was given.
    pub(crate) first_password: Option<String>,
}

/// Longest display name, in characters.
const DISPLAY_NAME_CHARS_MAX: usize = 100;
/// Most grants on one account.
const GRANTS_MAX: usize = 20;

/// Parses grants and checks that each scope names something that exists.
pub(crate) fn parse_grants(reg: &Registry, texts: &[String]) -> Result<Vec<Grant>, ApiError> {
    if texts.is_empty() || texts.len() > GRANTS_MAX {
        return Err(ApiError::invalid(
            "grants",
            format!("须授予 1–{GRANTS_MAX} 个角色"),
            format!("give 1–{GRANTS_MAX} grants"),
        ));
    }
    texts
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let field = format!("grants[{k}]");
            let g = parse_grant(t.trim()).map_err(|e| {
                ApiError::invalid(
                    &field,
                    format!("无法解析授权：{e}"),
                    format!("cannot parse the grant: {e}"),
                )
            })?;
            let known = match g.scope() {
                Scope::City => true,
                Scope::Grid(id) => reg.grid(id).is_some(),
                Scope::Consortium(id) => reg.consortia.iter().any(|c| &c.id == id),
                Scope::Institution(id) => reg.institution(id).is_some(),
                Scope::Team(id) => reg.teams.iter().any(|x| &x.id == id),
                // residents are not in the registry's memory; the account row keeps the id
                Scope::Person(_) => true,
            };
            if known {
                Ok(g)
            } else {
                Err(ApiError::invalid(
                    &field,
                    format!("授权范围 {} 不存在", g.scope()),
                    format!("the scope {} does not exist", g.scope()),
                ))
            }
        })
        .collect()
}

/// Adds an account from the API or the console's form.
pub(crate) async fn add(
    state: &AppState,
    who: &Who,
    input: &UserInput,
) -> Result<NewUserDto, ApiError> {
    let reg = may_manage(state, who, serde_json::json!({"add": input.user_id})).await?;
    let user_id = UserId::parse(input.user_id.trim())
        .map_err(|e| ApiError::invalid_because("user_id", &e))?;
    let name = input.display_name.trim();
    if name.is_empty()
        || name.chars().count() > DISPLAY_NAME_CHARS_MAX
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "display_name",
            format!("显示名须为 1–{DISPLAY_NAME_CHARS_MAX} 个可打印字符"),
            format!("a display name is 1–{DISPLAY_NAME_CHARS_MAX} printable characters"),
        ));
    }
    let grants = parse_grants(&reg, &input.grants)?;
    let actor = who.signed_in.actor.user_id.to_string();
    let first = account::add_user(
        &state.store,
        user_id.clone(),
        name.to_owned(),
        grants,
        input.password.as_deref(),
        &actor,
    )
    .await
    .map_err(|e| match e {
        AddUserError::Exists(_) => ApiError::Conflict(e.to_string()),
        AddUserError::Password(p) => ApiError::invalid_because("password", &p),
        AddUserError::Service(s) => s.into(),
        other => ApiError::Internal(other.to_string()),
    })?;
    let stored = yilian_store::account::get(&state.store, &user_id)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!("user {user_id} missing right after it was added"))
        })?;
    Ok(NewUserDto {
        user: UserDto::from(&stored),
        first_password: first,
    })
}

/// Adds an account (commission administrators).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "access",
    request_body = UserInput,
    responses(
        (status = 201, description = "Added; a generated password is shown this once", body = NewUserDto),
        (status = 400, description = "A field does not parse, or the password breaks the rules", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a commission administrator", body = ErrorBody),
        (status = 409, description = "The user id is taken", body = ErrorBody),
    )
)]
pub(crate) async fn add_user(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<UserInput>,
) -> Result<(StatusCode, Json<NewUserDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(add(&state, &who, &input).await?)))
}

/// Disables an account from the API or the console.
pub(crate) async fn disable(state: &AppState, who: &Who, id: &str) -> Result<(), ApiError> {
    may_manage(state, who, serde_json::json!({"disable": id})).await?;
    let user = UserId::parse(id).map_err(|e| ApiError::invalid_because("id", &e))?;
    let actor = who.signed_in.actor.user_id.to_string();
    account::disable_user(&state.store, &user, &actor).await?;
    Ok(())
}

/// Disables an account: it can no longer sign in, and its sessions end at once.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "access",
    params(("id" = String, Path, description = "User id", max_length = 64)),
    responses(
        (status = 204, description = "Disabled"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a commission administrator", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    disable(&state, &who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
