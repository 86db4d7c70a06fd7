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
//! let (keyring, _created) = yilian_service::identity::Keyring::load_or_create("yilian.key".as_ref())?;
//! serve(AppState::new(store, profile, keyring), "127.0.0.1:8080".parse()?).await?;
//! # Ok(()) }
//! ```

mod access;
mod auth;
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
use yilian_domain::registry::Registry;
use yilian_service::booking::Booker;
use yilian_service::identity::Keyring;
use yilian_service::notice::FeedWatch;
use yilian_service::registry_cache::RegistryCache;
use yilian_store::Store;

/// What every handler shares: the store, the policy profile the city is held to, and the
/// keys that open residents' identifiers. Cloned per request, so the profile and keys sit
/// behind `Arc`s; the store's pools are shared handles already.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The profile writes are checked against and the console audits with.
    pub profile: Arc<Profile>,
    /// The keys of the sealed identifiers (kept outside the database).
    pub keyring: Arc<Keyring>,
    /// Mark cookies `Secure` (the console is served over HTTPS, directly or by a proxy).
    pub secure_cookies: bool,
    /// The group commit every booking goes through.
    pub booker: Booker,
    /// The registry, reloaded only when it changed.
    pub registry: RegistryCache,
    /// The newest notice, watched for the live feeds.
    pub feed: FeedWatch,
}

impl AppState {
    /// State for `store`, holding the city to `profile`, opening identifiers with `keyring`.
    /// Starts the booking task and the feed watch, so it must be called inside a Tokio runtime.
    pub fn new(store: Store, profile: Profile, keyring: Keyring) -> AppState {
        AppState {
            booker: Booker::spawn(store.clone()),
            feed: FeedWatch::spawn(store.clone(), limits::FEED_WATCH_INTERVAL),
            store,
            profile: Arc::new(profile),
            keyring: Arc::new(keyring),
            secure_cookies: false,
            registry: RegistryCache::default(),
        }
    }

    /// The registry as of now (a shared copy, see [`RegistryCache`]).
    pub async fn registry(&self) -> Result<Arc<Registry>, yilian_service::ServiceError> {
        self.registry.get(&self.store).await
    }
}

/// The whole application: API, OpenAPI document, Swagger UI and console, with the body
/// limit (413), panic catching (500 with our error body) and request tracing that
/// carries the matched route only (never a query string, which could hold personal data).
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    let pages = routes::PAGE_ROUTES.iter().map(|r| (r, true));
    for (r, page) in routes::API_ROUTES.iter().map(|r| (r, false)).chain(pages) {
        let guard = auth::RouteGuard {
            app: state.clone(),
            need: r.need,
            page,
        };
        let handler = (r.handler)(r.verb.filter())
            .layer(axum::middleware::from_fn_with_state(guard, auth::guard));
        app = app.route(r.path, handler);
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
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
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
