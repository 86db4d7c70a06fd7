//! Every route the server answers, listed once. [`crate::router`] is built from these
//! tables and nothing else (plus the Swagger UI's own assets), and the API test compares
//! [`API_ROUTES`] with the paths of the OpenAPI document: an endpoint added here without a
//! `#[utoipa::path]` listed in [`crate::ApiDoc`] fails that test.

pub(crate) mod audit;
pub(crate) mod audit_trail;
pub(crate) mod bookings;
pub(crate) mod capacity;
pub(crate) mod events;
pub(crate) mod feed;
pub(crate) mod follow_ups;
pub(crate) mod persons;
pub(crate) mod pools;
pub(crate) mod referral_clocks;
pub(crate) mod referrals;
pub(crate) mod registry;
pub(crate) mod residents;
pub(crate) mod routing;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod webhooks;

pub use crate::auth::Need;
use crate::error::ApiError;
use crate::{AppState, console, openapi};
use axum::routing::{MethodFilter, MethodRouter, on};
use yilian_domain::access::ActionKind as A;

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET (HEAD is answered too).
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Verb {
    /// The method as written in HTTP and in OpenAPI (lowercase there).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }
    /// The filter that routes it.
    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
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
    /// What the caller must be (checked by [`crate::auth::guard`] before the handler).
    pub need: Need,
    /// Builds the method router for `verb`.
    pub(crate) handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// A table entry: `route!(Get "/path", NEED => handler)`; the macro keeps one route per
/// line and binds the handler to the entry's own method. The need is not optional: a route
/// cannot be written without saying who may call it.
macro_rules! route {
    ($verb:ident $path:literal, $need:expr => $handler:path) => {
        Route {
            verb: Verb::$verb,
            path: $path,
            need: $need,
            handler: |m| on(m, $handler),
        }
    };
}

/// Open to anyone.
const PUBLIC: Need = Need::Public;
/// Any signed-in caller.
const SIGNED_IN: Need = Need::SignedIn;
/// A caller with a role that may do `kind`.
const fn may(kind: A) -> Need {
    Need::Action(kind)
}

/// The JSON API and the health check: each has an entry in the OpenAPI document.
pub static API_ROUTES: &[Route] = &[
    route!(Get "/healthz", PUBLIC => healthz),
    route!(Get "/api/v1/me", SIGNED_IN => users::get_me),
    route!(Get "/api/v1/institutions", may(A::ReadRegistry) => registry::list_institutions),
    route!(Get "/api/v1/institutions/{id}", may(A::ReadRegistry) => registry::get_institution),
    route!(Get "/api/v1/grids", may(A::ReadRegistry) => registry::list_grids),
    route!(Get "/api/v1/grids/{id}", may(A::ReadRegistry) => registry::get_grid),
    route!(Get "/api/v1/grids/{id}/residents", may(A::ReadRegistry) => residents::list_grid_residents),
    route!(Get "/api/v1/consortia", may(A::ReadRegistry) => registry::list_consortia),
    route!(Get "/api/v1/consortia/{id}", may(A::ReadRegistry) => registry::get_consortium),
    route!(Put "/api/v1/consortia/{id}", may(A::ChangeConsortium) => registry::put_consortium),
    route!(Get "/api/v1/audit", may(A::ReadAggregates) => audit::get_audit),
    route!(Get "/api/v1/events", may(A::ReadRegistry) => events::list_events),
    route!(Get "/api/v1/residents/{id}", may(A::ReadPerson) => persons::get_person),
    route!(Post "/api/v1/residents/{id}/break-glass", may(A::BreakGlassReadPerson) => persons::break_glass),
    route!(Put "/api/v1/residents/{id}/identity", may(A::ChangePerson) => persons::put_identity),
    route!(Post "/api/v1/residents/lookup", may(A::ReadPerson) => persons::lookup),
    route!(Post "/api/v1/residents/{id}/follow-ups", may(A::ChangePerson) => follow_ups::record_follow_up),
    route!(Get "/api/v1/residents/{id}/referral-suggestions", may(A::ReadPerson) => follow_ups::get_referral_suggestions),
    route!(Get "/api/v1/exports/residents", may(A::ExportPersons) => persons::export_residents),
    route!(Get "/api/v1/pools", may(A::BookSlot) => pools::list_pools),
    route!(Post "/api/v1/pools", may(A::ManagePools) => capacity::open_pool),
    route!(Post "/api/v1/bookings", may(A::BookSlot) => bookings::book),
    route!(Post "/api/v1/holds", may(A::BookSlot) => capacity::hold),
    route!(Post "/api/v1/bookings/{key}/confirm", may(A::BookSlot) => capacity::confirm),
    route!(Post "/api/v1/bookings/{key}/cancel", may(A::BookSlot) => capacity::cancel),
    route!(Post "/api/v1/bookings/{key}/no-show", may(A::ManagePools) => capacity::no_show),
    route!(Get "/api/v1/pool-view", may(A::ReadPoolView) => capacity::get_pool_view),
    route!(Get "/api/v1/referrals", may(A::Refer) => referrals::list_referrals),
    route!(Post "/api/v1/referrals", may(A::Refer) => referrals::open_referral),
    route!(Get "/api/v1/referrals/routes", may(A::Refer) => routing::get_routes),
    route!(Get "/api/v1/referrals/{id}", may(A::ReadPerson) => referrals::get_referral),
    route!(Post "/api/v1/referrals/{id}/actions", may(A::Refer) => referrals::act),
    route!(Get "/api/v1/referral-clocks", may(A::ReadAggregates) => referral_clocks::get_clocks),
    route!(Get "/api/v1/feed", may(A::ReadFeed) => feed::read_feed),
    route!(Get "/api/v1/feed/stream", may(A::ReadFeed) => feed::stream_feed),
    route!(Get "/api/v1/webhooks", may(A::ManageWebhooks) => webhooks::list_webhooks),
    route!(Post "/api/v1/webhooks", may(A::ManageWebhooks) => webhooks::create_webhook),
    route!(Delete "/api/v1/webhooks/{id}", may(A::ManageWebhooks) => webhooks::delete_webhook),
    route!(Get "/api/v1/webhooks/dead-letters", may(A::ManageWebhooks) => webhooks::list_dead_letters),
    route!(Post "/api/v1/webhooks/dead-letters/{id}/retry", may(A::ManageWebhooks) => webhooks::retry_dead_letter),
    route!(Get "/api/v1/audit-trail", may(A::ReadAuditTrail) => audit_trail::search_trail),
    route!(Get "/api/v1/users", may(A::ManageUsers) => users::list_users),
    route!(Post "/api/v1/users", may(A::ManageUsers) => users::add_user),
    route!(Post "/api/v1/users/{id}/disable", may(A::ManageUsers) => users::disable_user),
    route!(Get "/api/v1/tokens", SIGNED_IN => tokens::list_tokens),
    route!(Post "/api/v1/tokens", SIGNED_IN => tokens::create_token),
    route!(Delete "/api/v1/tokens/{id}", SIGNED_IN => tokens::revoke_token),
];

/// Pages and documents that are not API operations: the console, its stylesheet and the
/// OpenAPI document itself (the Swagger UI at `/api/docs` adds its own routes).
pub static PAGE_ROUTES: &[Route] = &[
    route!(Get "/login", PUBLIC => console::auth::login_form),
    route!(Post "/login", PUBLIC => console::auth::login),
    route!(Post "/logout", SIGNED_IN => console::auth::logout),
    route!(Get "/", SIGNED_IN => console::home::home),
    route!(Get "/map", may(A::ReadRegistry) => console::index),
    route!(Get "/persons", may(A::ReadPerson) => console::persons::persons_page),
    route!(Post "/persons/lookup", may(A::ReadPerson) => console::persons::lookup_page),
    route!(Get "/persons/{id}", may(A::ReadPerson) => console::persons::person_page),
    route!(Post "/persons/{id}/break-glass", may(A::BreakGlassReadPerson) => console::persons::break_glass_page),
    route!(Get "/me", may(A::ReadPerson) => console::persons::me_page),
    route!(Get "/referrals", may(A::Refer) => console::referrals::referrals_page),
    route!(Post "/referrals", may(A::Refer) => console::referrals::open_form),
    route!(Post "/referrals/{id}/actions", may(A::Refer) => console::referrals::act_form),
    route!(Get "/pools", may(A::ReadPoolView) => console::pools::pools_page),
    route!(Post "/pools", may(A::ManagePools) => console::pools::open_form),
    route!(Get "/referral-clocks", may(A::ReadAggregates) => console::referral_clocks::page),
    route!(Get "/audit-trail", may(A::ReadAuditTrail) => console::trail::trail_page),
    route!(Get "/users", may(A::ManageUsers) => console::users::users_page),
    route!(Post "/users", may(A::ManageUsers) => console::users::add_user_form),
    route!(Post "/users/{id}/disable", may(A::ManageUsers) => console::users::disable_user_form),
    route!(Get "/tokens", SIGNED_IN => console::users::tokens_page),
    route!(Post "/tokens", SIGNED_IN => console::users::create_token_form),
    route!(Post "/tokens/{id}/revoke", SIGNED_IN => console::users::revoke_token_form),
    route!(Get "/assets/console.css", PUBLIC => console::stylesheet),
    route!(Get "/assets/notices.js", PUBLIC => console::notices_script),
    route!(Get "/openapi.json", PUBLIC => openapi::document),
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
