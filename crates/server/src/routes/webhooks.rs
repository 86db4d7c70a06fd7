//! An institution's webhooks (issue 4, item 7): its referral desk subscribes the
//! institution's systems to its notices, sees the deliveries that failed for the last
//! time (the dead-letter list) and sends them again. Deliveries themselves run in the
//! background of `yilian serve` (`yilian_service::webhook`).

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yilian_domain::access::{Action, ActionKind, Resource, Scope, grants_for};
use yilian_domain::ids::InstitutionId;
use yilian_domain::notice::WebhookError;
use yilian_store::webhook::{self, DeliveryRow, WebhookRow};

/// Dead letters listed per institution.
const DEAD_LETTERS_LISTED_MAX: i64 = 200;

/// A subscription as listed (the secret is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookDto {
    webhook_id: String,
    institution_id: String,
    url: String,
    /// Event kinds delivered; empty means all.
    kinds: Vec<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookDto {
    fn from(w: WebhookRow) -> Self {
        WebhookDto {
            webhook_id: w.webhook_id,
            institution_id: w.institution_id.to_string(),
            url: w.url,
            kinds: w.kinds,
            created_by: w.created_by,
            created_at: w.created_at,
        }
    }
}

/// A new subscription, with its secret shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedWebhook {
    #[serde(flatten)]
    webhook: WebhookDto,
    /// Keep it: each delivery carries `X-Yilian-Signature: sha256=HMAC-SHA256(secret, body)`.
    secret: String,
}

/// A subscription to make.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct WebhookInput {
    /// `http://host[:port]/path` on the intranet.
    #[schema(min_length = 1, max_length = 2000)]
    url: String,
    /// Event kinds to deliver (`ReferralRejected`, …); none or empty: all.
    #[serde(default)]
    kinds: Vec<String>,
    /// The institution, when the caller acts for more than one.
    #[schema(max_length = 128)]
    institution_id: Option<String>,
}

/// A dead letter.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeadLetterDto {
    delivery_id: i64,
    webhook_id: String,
    notice_id: i64,
    kind: String,
    stream: String,
    attempts: u32,
    /// The receiver's last status, when it answered.
    last_status: Option<u16>,
    last_error: Option<String>,
    /// When it failed for the last time.
    updated_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeadLetterDto {
    fn from(d: DeliveryRow) -> Self {
        DeadLetterDto {
            delivery_id: d.delivery_id,
            webhook_id: d.webhook_id,
            notice_id: d.notice_id,
            kind: d.kind,
            stream: d.stream,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            updated_at: d.updated_at,
        }
    }
}

/// The institutions whose webhooks the caller manages, each through the deep check.
async fn institutions(state: &AppState, who: &Who) -> Result<Vec<InstitutionId>, ApiError> {
    let reg = yilian_store::registry::load_registry(&state.store).await?;
    let mut out = Vec::new();
    for g in grants_for(&who.signed_in.actor, ActionKind::ManageWebhooks) {
        let Scope::Institution(i) = g.scope() else {
            continue;
        };
        let resource = Resource::Feed {
            scope: g.scope().clone(),
        };
        authorize(
            state,
            &reg,
            who,
            Ask::plain(&Action::ManageWebhooks, &resource),
        )
        .await?;
        out.push(i.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn actor(who: &Who) -> String {
    who.signed_in.actor.user_id.to_string()
}

/// The webhooks of the institutions the caller manages.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "notices",
    responses(
        (status = 200, description = "Subscriptions", body = [WebhookDto]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles manage no webhooks", body = ErrorBody),
    )
)]
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    who: Who,
) -> Result<Json<Vec<WebhookDto>>, ApiError> {
    let mut out = Vec::new();
    for i in institutions(&state, &who).await? {
        out.extend(webhook::webhooks_of(&state.store, &i).await?);
    }
    Ok(Json(out.into_iter().map(WebhookDto::from).collect()))
}

/// Subscribes a URL to the notices of the caller's institution; the secret is in the
/// answer this once.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "notices",
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Subscribed", body = CreatedWebhook),
        (status = 400, description = "The URL, the kinds or the institution is invalid", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller does not manage this institution's webhooks", body = ErrorBody),
        (status = 409, description = "The institution has as many webhooks as allowed", body = ErrorBody),
    )
)]
pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    who: Who,
    Json(input): Json<WebhookInput>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let mine = institutions(&state, &who).await?;
    let institution = match (&input.institution_id, mine.as_slice()) {
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(ApiError::invalid(
                "institution_id",
                "您管理多个机构，须指明机构",
                "you manage several institutions: name one",
            ));
        }
        (Some(id), _) => {
            let id = InstitutionId::parse(id)
                .map_err(|e| ApiError::invalid_because("institution_id", &e))?;
            if !mine.contains(&id) {
                return Err(ApiError::Forbidden(
                    yilian_domain::access::DenyReason::OutOfScope,
                ));
            }
            id
        }
    };
    let made = yilian_service::webhook::subscribe(
        &state.store,
        &state.keyring,
        &institution,
        &input.url,
        &input.kinds,
        &actor(&who),
        Utc::now(),
    )
    .await?;
    match made {
        Ok((row, secret)) => Ok((
            StatusCode::CREATED,
            Json(CreatedWebhook {
                webhook: row.into(),
                secret,
            }),
        )),
        Err(e) => {
            let field = match e {
                WebhookError::BadKind(_) | WebhookError::TooManyKinds => "kinds",
                _ => "url",
            };
            Err(ApiError::invalid_because(field, &e))
        }
    }
}

/// Removes a webhook of the caller's institution, with its queued deliveries.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "notices",
    params(("id" = String, Path, description = "Webhook id", min_length = 1, max_length = 128)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles manage no webhooks", body = ErrorBody),
        (status = 404, description = "The caller's institutions have no such webhook", body = ErrorBody),
    )
)]
pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    for i in institutions(&state, &who).await? {
        if yilian_service::webhook::unsubscribe(&state.store, &i, &id, &actor(&who), Utc::now())
            .await?
        {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(ApiError::NotFound {
        what: "webhook",
        id,
    })
}

/// The deliveries to the caller's institutions' webhooks that failed for the last time,
/// newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/dead-letters",
    tag = "notices",
    responses(
        (status = 200, description = "Dead letters", body = [DeadLetterDto]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles manage no webhooks", body = ErrorBody),
    )
)]
pub(crate) async fn list_dead_letters(
    State(state): State<AppState>,
    who: Who,
) -> Result<Json<Vec<DeadLetterDto>>, ApiError> {
    let mut out = Vec::new();
    for i in institutions(&state, &who).await? {
        out.extend(webhook::dead_letters(&state.store, &i, DEAD_LETTERS_LISTED_MAX).await?);
    }
    Ok(Json(out.into_iter().map(DeadLetterDto::from).collect()))
}

/// Sends a dead letter again now, with a fresh round of tries.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/dead-letters/{id}/retry",
    tag = "notices",
    params(("id" = i64, Path, description = "Delivery id", minimum = 1)),
    responses(
        (status = 204, description = "Queued again"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's roles manage no webhooks", body = ErrorBody),
        (status = 404, description = "The caller's institutions have no such dead letter", body = ErrorBody),
    )
)]
pub(crate) async fn retry_dead_letter(
    State(state): State<AppState>,
    who: Who,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let delivery: i64 = id.parse().map_err(|_| {
        ApiError::invalid(
            "id",
            format!("投递编号须为整数，收到 '{id}'"),
            format!("the delivery id is a number, got '{id}'"),
        )
    })?;
    for i in institutions(&state, &who).await? {
        if yilian_service::webhook::retry_now(&state.store, &i, delivery, &actor(&who), Utc::now())
            .await?
        {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(ApiError::NotFound {
        what: "dead letter",
        id,
    })
}
