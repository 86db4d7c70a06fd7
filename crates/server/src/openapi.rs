//! The OpenAPI 3.1 document of the API (`/openapi.json`) and the Swagger UI that browses
//! it (`/api/docs/`). The UI's scripts and styles are compiled into the binary
//! (utoipa-swagger-ui's `vendored` feature) and its online spec validator is switched
//! off, so the page loads nothing from outside the intranet.

use crate::routes::{
    self, audit, audit_trail, bookings, capacity, events, feed, follow_ups, persons, pools,
    referral_clocks, referrals, registry, residents, routing, tokens, users, webhooks,
};
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The document. Schemas are collected from the operations' bodies and parameters.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "yilian 医联 API",
        description = "The city registry of grids (网格), institutions and medical consortia (医联体), \
                       its audit against policy profiles, and the event log. Errors share one body: \
                       `{\"error\": {\"code\", \"message_zh\", \"message_en\"}}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        routes::healthz,
        users::get_me,
        registry::list_institutions,
        registry::get_institution,
        registry::list_grids,
        registry::get_grid,
        residents::list_grid_residents,
        registry::list_consortia,
        registry::get_consortium,
        registry::put_consortium,
        audit::get_audit,
        events::list_events,
        persons::get_person,
        persons::break_glass,
        persons::put_identity,
        persons::lookup,
        persons::export_residents,
        follow_ups::record_follow_up,
        follow_ups::get_referral_suggestions,
        pools::list_pools,
        bookings::book,
        capacity::hold,
        capacity::confirm,
        capacity::cancel,
        capacity::no_show,
        capacity::get_pool_view,
        capacity::open_pool,
        referrals::list_referrals,
        referrals::open_referral,
        routing::get_routes,
        referrals::get_referral,
        referrals::act,
        referral_clocks::get_clocks,
        feed::read_feed,
        feed::stream_feed,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::delete_webhook,
        webhooks::list_dead_letters,
        webhooks::retry_dead_letter,
        audit_trail::search_trail,
        users::list_users,
        users::add_user,
        users::disable_user,
        tokens::list_tokens,
        tokens::create_token,
        tokens::revoke_token,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "registry", description = "Grids, institutions and consortia (rules `GRID-*`, `COMP-*`)"),
        (name = "audit", description = "The registry checked against a policy profile"),
        (name = "events", description = "The event log as a feed"),
        (name = "persons", description = "Residents' records: every read is authorised and audited; identifiers masked unless the role needs them"),
        (name = "referral", description = "Two-way referral; booking, holding, cancelling reserved and public slots and beds; the pool view (rules `REF-*`, `QUOTA-*`)"),
        (name = "notices", description = "Each institution's and team's feed of the events that concern it, live or from a cursor, and its webhooks"),
        (name = "access", description = "Who the caller is, accounts, API tokens and the audit trail"),
        (name = "ops", description = "Operations"),
    )
)]
pub struct ApiDoc;

/// Declares how callers sign in: an API token as `Authorization: Bearer yl_…` (systems), or
/// the console's session cookie (with its CSRF token in `X-CSRF-Token` on unsafe methods).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token from `POST /api/v1/tokens` or `yilian token create`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document serialised once: it is fixed at compile time.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .expect("BUG: the OpenAPI document serialises")
});

/// `GET /openapi.json`.
pub(crate) async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

/// The Swagger UI at `/api/docs/`, reading `/openapi.json`.
pub(crate) fn swagger_ui<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Config::new(["/openapi.json"]).validator_url("none");
    Router::from(SwaggerUi::new("/api/docs").config(config))
}
