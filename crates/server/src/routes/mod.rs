//! Every route the server answers, listed once. [`crate::router`] is built from these
//! tables and nothing else (plus the Swagger UI's own assets), and the API test compares
//! [`API_ROUTES`] with the paths of the OpenAPI document: an endpoint added here without a
//! `#[utoipa::path]` listed in [`crate::ApiDoc`] fails that test.

pub(crate) mod audit;
pub(crate) mod events;
pub(crate) mod registry;
pub(crate) mod residents;

use crate::error::ApiError;
use crate::{AppState, console, openapi};
use axum::routing::{MethodFilter, MethodRouter, on};

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET (HEAD is answered too).
    Get,
    /// PUT.
    Put,
}

impl Verb {
    /// The method as written in HTTP and in OpenAPI (lowercase there).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Put => "PUT",
        }
    }
    /// The filter that routes it.
    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Put => MethodFilter::PUT,
        }
    }
}

/// One route: method, path template (axum's and OpenAPI's `{id}` syntax agree) and the
/// handler, bound to the method by the table itself so the two cannot disagree.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The method.
    pub verb: Verb,
    /// The path template.
    pub path: &'static str,
    /// Builds the method router for `verb`.
    pub(crate) handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// A table entry: `route!(Get "/path" => handler)`; the macro keeps one route per line
/// and binds the handler to the entry's own method.
macro_rules! route {
    ($verb:ident $path:literal => $handler:path) => {
        Route {
            verb: Verb::$verb,
            path: $path,
            handler: |m| on(m, $handler),
        }
    };
}

/// The JSON API and the health check: each has an entry in the OpenAPI document.
pub static API_ROUTES: &[Route] = &[
    route!(Get "/healthz" => healthz),
    route!(Get "/api/v1/institutions" => registry::list_institutions),
    route!(Get "/api/v1/institutions/{id}" => registry::get_institution),
    route!(Get "/api/v1/grids" => registry::list_grids),
    route!(Get "/api/v1/grids/{id}" => registry::get_grid),
    route!(Get "/api/v1/grids/{id}/residents" => residents::list_grid_residents),
    route!(Get "/api/v1/consortia" => registry::list_consortia),
    route!(Get "/api/v1/consortia/{id}" => registry::get_consortium),
    route!(Put "/api/v1/consortia/{id}" => registry::put_consortium),
    route!(Get "/api/v1/audit" => audit::get_audit),
    route!(Get "/api/v1/events" => events::list_events),
];

/// Pages and documents that are not API operations: the console, its stylesheet and the
/// OpenAPI document itself (the Swagger UI at `/api/docs` adds its own routes).
pub static PAGE_ROUTES: &[Route] = &[
    route!(Get "/" => console::index),
    route!(Get "/assets/console.css" => console::stylesheet),
    route!(Get "/openapi.json" => openapi::document),
];

/// Liveness: the process answers. It does not touch the database, so a slow database
/// does not get a healthy process restarted.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    responses((status = 200, description = "The process is up", body = String, content_type = "text/plain"))
)]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Any path no route has.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NoRoute
}

/// A path that exists, with a method it does not allow.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
