//! Who is calling, checked once per request before any handler runs (issue 3, item 1).
//!
//! Every route in [`crate::routes`] names its [`Need`]; [`guard`] is layered on each route
//! with that need, so a route cannot exist without one and no handler checks sign-in or
//! roles on its own. The guard:
//!
//! 1. finds the caller: an `Authorization: Bearer yl_…` token (systems) or the session
//!    cookie (the console);
//! 2. answers 401 (the API) or a redirect to `/login` (the console) when the route needs a
//!    caller and there is none;
//! 3. runs the shallow policy check ([`can_attempt`]) for the route's action, and audits
//!    and refuses (403) when no role of the caller may ever do it;
//! 4. checks the CSRF token of every unsafe request that came with the session cookie:
//!    the `X-CSRF-Token` header or the `csrf` field of a form must equal the session's
//!    (a token-authenticated request carries no cookie, so cannot be forged by a page).
//!    The login form, which has no session yet, uses a double-submit cookie instead.
//!
//! The deep check (is this person, this consortium, within the caller's scope?) needs the
//! resource's row, so it runs in the handler through [`crate::access::authorize`].

use crate::AppState;
use crate::access::{self, RequestMeta};
use crate::error::ApiError;
use crate::limits::BODY_BYTES_MAX;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use yilian_domain::access::{ActionKind, can_attempt};
use yilian_service::auth::{self, CredentialError, SignedIn, Via};

/// The console session's cookie.
pub(crate) const SESSION_COOKIE: &str = "yilian_session";
/// The login form's double-submit CSRF cookie.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "yilian_login_csrf";
/// The console language's cookie.
pub(crate) const LANG_COOKIE: &str = "yilian_lang";
/// The form field and header that carry a CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";
/// The header that carries the CSRF token of an API call made from a console session.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: the health check, the login page, the stylesheet, the API description.
    Public,
    /// A signed-in caller of any role (their own tokens, logout, the home page).
    SignedIn,
    /// A signed-in caller with a role that may do this (the shallow check); the handler
    /// runs the deep check on the resource.
    Action(ActionKind),
}

/// The signed-in caller of a request, put there by [`guard`].
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthenticated(None))
    }
}

/// The caller when there is one (public pages that look different when signed in).
#[derive(Debug, Clone)]
pub(crate) struct MaybeCaller(pub(crate) Option<SignedIn>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(MaybeCaller(
            parts.extensions.get::<Caller>().map(|c| c.0.clone()),
        ))
    }
}

/// What the guard layer of one route knows: the application, the route's need, and
/// whether it is a console page (redirects and HTML) or the API (JSON).
#[derive(Clone, Debug)]
pub(crate) struct RouteGuard {
    pub(crate) app: AppState,
    pub(crate) need: Need,
    pub(crate) page: bool,
}

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The credential a request presents, and what it resolved to.
async fn resolve(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Result<SignedIn, CredentialError>>, ApiError> {
    let now = Utc::now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let bearer = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        return Ok(Some(match bearer {
            Some(token) => auth::token_caller(&app.store, token, now).await?,
            None => Err(CredentialError::Unknown),
        }));
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(c) => Ok(Some(auth::session_caller(&app.store, c, now).await?)),
        None => Ok(None),
    }
}

/// The layer every route runs behind (module docs).
pub(crate) async fn guard(State(g): State<RouteGuard>, req: Request, next: Next) -> Response {
    let lang = crate::i18n::lang_of_request(req.headers(), None);
    match inner_check(&g, req).await {
        Ok(req) => next.run(req).await,
        Err(Refusal::Login) => Redirect::to("/login").into_response(),
        Err(Refusal::Error(e)) if g.page => crate::console::error_page(&e, lang),
        Err(Refusal::Error(e)) => e.into_response(),
    }
}

/// A refusal of the guard: an error, or (a console page without a session) the way to
/// the login form.
enum Refusal {
    Error(ApiError),
    Login,
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Error(e)
    }
}

async fn inner_check(g: &RouteGuard, req: Request) -> Result<Request, Refusal> {
    let (mut parts, body) = req.into_parts();
    let meta = RequestMeta::of(&parts);
    let resolved = resolve(&g.app, &parts.headers).await?;
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    // a form or JSON body is read once here (bounded) when a CSRF token must be found in it
    let mut body = Some(body);
    if g.need == Need::Public {
        if unsafe_method && g.page {
            let bytes = read_body(body.take().unwrap_or_default()).await?;
            let sent = csrf_of(&parts.headers, &bytes);
            let expected = cookie(&parts.headers, LOGIN_CSRF_COOKIE);
            if sent.is_none() || sent.as_deref() != expected {
                return Err(ApiError::Csrf.into());
            }
            body = Some(Body::from(bytes));
        }
        if let Some(Ok(who)) = resolved {
            parts.extensions.insert(Caller(who));
        }
        return Ok(Request::from_parts(parts, body.unwrap_or_default()));
    }
    let who = match resolved {
        Some(Ok(who)) => who,
        None if g.page => return Err(Refusal::Login),
        Some(Err(_)) if g.page => return Err(Refusal::Login),
        None => return Err(ApiError::Unauthenticated(None).into()),
        Some(Err(cause)) => {
            access::record_credential_refusal(&g.app, &meta, cause).await?;
            return Err(ApiError::Unauthenticated(Some(cause)).into());
        }
    };
    if let Need::Action(kind) = g.need
        && let Err(reason) = can_attempt(&who.actor, kind)
    {
        access::record_shallow_refusal(&g.app, &meta, &who, kind, reason).await?;
        return Err(ApiError::Forbidden(reason).into());
    }
    if unsafe_method && let Via::Session { csrf } = &who.via {
        let bytes = read_body(body.take().unwrap_or_default()).await?;
        let sent = csrf_of(&parts.headers, &bytes);
        if sent.as_deref() != Some(csrf.reveal()) {
            return Err(ApiError::Csrf.into());
        }
        body = Some(Body::from(bytes));
    }
    parts.extensions.insert(Caller(who));
    parts.extensions.insert(meta);
    Ok(Request::from_parts(parts, body.unwrap_or_default()))
}

/// Reads a body whole, up to the limit (413 beyond it).
async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_BYTES_MAX)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)
}

/// The CSRF token a request carries: its header, else the `csrf` field of a form body.
fn csrf_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.to_owned());
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    form_urlencoded::parse(body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
}
