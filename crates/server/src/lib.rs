//! yilian's HTTP face: the JSON API under `/api/v1` with its OpenAPI document
//! (`/openapi.json`, browsable at `/api/docs`), and the web console (`/`). Everything the
//! browser loads comes out of this binary: hospital networks are closed intranets, so a
//! page that needs a CDN is a page that does not work.
//!
//! Handlers are thin: they parse at the boundary into domain types, call the service
//! layer (the same functions the CLI calls, so a rule holds whichever door a request came
//! through), and turn the answer into a DTO. Every route is listed once, in
//! [`routes::API_ROUTES`] or [`routes::PAGE_ROUTES`]; the router is built from those
//! tables, and a test checks the API table against the OpenAPI document, so an endpoint
//! without a document cannot slip in.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use yilian_domain::policy::Profile;
//! use yilian_server::{AppState, serve};
//! let store = yilian_store::Store::connect("sqlite:yilian.db").await?;
//! let profile = Profile::builtin("national").ok_or("no such profile")?;
//! serve(AppState::new(store, profile), "127.0.0.1:8080".parse()?).await?;
//! # Ok(()) }
//! ```

mod console;
mod dto;
mod error;
mod extract;
mod i18n;
mod limits;
mod openapi;
pub mod routes;

pub use console::audit_page;
pub use error::ApiError;
pub use openapi::ApiDoc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use yilian_domain::policy::Profile;
use yilian_store::Store;

/// What every handler shares: the store and the policy profile the city is held to.
/// Cloned per request, so the profile sits behind an `Arc`; the store's pools are shared
/// handles already.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The profile writes are checked against and the console audits with.
    pub profile: Arc<Profile>,
}

impl AppState {
    /// State for `store`, holding the city to `profile`.
    pub fn new(store: Store, profile: Profile) -> AppState {
        AppState {
            store,
            profile: Arc::new(profile),
        }
    }
}

/// The whole application: API, OpenAPI document, Swagger UI and console, with the body
/// limit (413), panic catching (500 with our error body) and request tracing that
/// carries the matched route only (never a query string, which could hold personal data).
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    for r in routes::API_ROUTES.iter().chain(routes::PAGE_ROUTES) {
        app = app.route(r.path, (r.handler)(r.verb.filter()));
    }
    app.merge(openapi::swagger_ui())
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(limits::BODY_BYTES_MAX))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(error::log_causes))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// A span per request naming the method and the route template (`/api/v1/grids/{id}`),
/// not the URI: ids reach the spans of the handlers that need them, through
/// `#[tracing::instrument]`, and nothing else does.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    tracing::info_span!("http", method = %req.method(), route)
}

/// Serves [`router`] on `addr` until Ctrl-C or SIGTERM, then lets the requests in flight
/// finish before returning.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Resolves on the first Ctrl-C or (on Unix) SIGTERM, the signal a service manager sends.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
