//! The OpenAPI 3.1 document of the API (`/openapi.json`) and the Swagger UI that browses
//! it (`/api/docs/`). The UI's scripts and styles are compiled into the binary
//! (utoipa-swagger-ui's `vendored` feature) and its online spec validator is switched
//! off, so the page loads nothing from outside the intranet.

use crate::routes::{self, audit, events, registry, residents};
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
    ),
    tags(
        (name = "registry", description = "Grids, institutions and consortia (rules `GRID-*`, `COMP-*`)"),
        (name = "audit", description = "The registry checked against a policy profile"),
        (name = "events", description = "The event log as a feed"),
        (name = "ops", description = "Operations"),
    )
)]
pub struct ApiDoc;

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
