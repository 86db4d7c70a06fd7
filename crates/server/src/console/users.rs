//! Accounts in the console: commission administrators list, add and disable users; every
//! signed-in staff member manages their own API tokens. Secrets (a generated first
//! password, a new token) are shown once, on the page that answers the form.

use super::escape;
use super::frame::{PageCtx, error_in};
use crate::AppState;
use crate::access::Who;
use crate::error::ApiError;
use crate::extract::{Form, Path};
use crate::i18n::Label;
use crate::routes::tokens::{self, TokenInput};
use crate::routes::users::{self, UserInput};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;

/// A secret shown once, above the list.
fn once(ctx: &PageCtx, label: Label, secret: &str) -> String {
    format!(
        "<div role=\"status\" class=\"notice\"><strong>{}</strong>: <code class=\"secret\">{}</code></div>\n",
        ctx.t(label),
        escape(secret)
    )
}

async fn users_body(
    state: &AppState,
    ctx: &PageCtx,
    who: &Who,
    notice: &str,
) -> Result<Response, ApiError> {
    users::may_manage(state, who, serde_json::json!({"list": true})).await?;
    let list = yilian_service::account::list_users(&state.store).await?;
    let mut body = String::from(notice);
    let _ = writeln!(
        body,
        "<section class=\"panel\"><h2>{}</h2><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th></th></tr></thead><tbody>",
        ctx.t(Label::Users),
        ctx.t(Label::UserName),
        ctx.t(Label::DisplayName),
        ctx.t(Label::YourRoles),
        ctx.t(Label::Status),
    );
    for a in &list {
        let grants: Vec<String> = a
            .grants
            .iter()
            .map(|g| format!("{}@{}", g.role(), g.scope()))
            .collect();
        let action = if a.disabled {
            String::new()
        } else {
            format!(
                "<form method=\"post\" action=\"/users/{}/disable\" class=\"inline\">{}<button type=\"submit\">{}</button></form>",
                escape(a.user_id.as_str()),
                ctx.csrf_field(),
                ctx.t(Label::Disable)
            )
        };
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{action}</td></tr>",
            escape(a.user_id.as_str()),
            escape(&a.display_name),
            escape(&grants.join(", ")),
            ctx.t(if a.disabled {
                Label::Disabled
            } else {
                Label::Active
            }),
        );
    }
    let _ = write!(
        body,
        "</tbody></table></section>\n<section class=\"panel\"><h2>{add}</h2>\
         <form method=\"post\" action=\"/users\">{csrf}\
         <p><label for=\"user_id\">{u}</label><br><input id=\"user_id\" name=\"user_id\" required maxlength=\"64\"></p>\
         <p><label for=\"display_name\">{n}</label><br><input id=\"display_name\" name=\"display_name\" required maxlength=\"100\"></p>\
         <p><label for=\"grant\">{g}</label><br><input id=\"grant\" name=\"grant\" required maxlength=\"200\" placeholder=\"family_doctor@team:T0001\"></p>\
         <p><label for=\"password\">{p}</label><br><input id=\"password\" name=\"password\" type=\"password\" maxlength=\"128\" autocomplete=\"new-password\"></p>\
         <p><button type=\"submit\">{add}</button></p></form></section>\n",
        add = ctx.t(Label::AddUser),
        csrf = ctx.csrf_field(),
        u = ctx.t(Label::UserName),
        n = ctx.t(Label::DisplayName),
        g = ctx.t(Label::Grant),
        p = ctx.t(Label::OptionalPassword),
    );
    Ok(ctx.ok(ctx.t(Label::NavUsers), &body))
}

/// `GET /users`.
pub(crate) async fn users_page(State(state): State<AppState>, ctx: PageCtx, who: Who) -> Response {
    users_body(&state, &ctx, &who, "")
        .await
        .unwrap_or_else(|e| error_in(&ctx, &e))
}

/// The add-user form's fields (one grant; more through the API or the CLI).
#[derive(Debug, Deserialize)]
pub(crate) struct AddUserForm {
    user_id: String,
    display_name: String,
    grant: String,
    password: Option<String>,
}

/// `POST /users`.
pub(crate) async fn add_user_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Form(f): Form<AddUserForm>,
) -> Response {
    let input = UserInput {
        user_id: f.user_id,
        display_name: f.display_name,
        grants: vec![f.grant],
        password: f.password.filter(|p| !p.is_empty()),
    };
    let result = async {
        let made = users::add(&state, &who, &input).await?;
        let notice = made
            .first_password
            .map(|p| once(&ctx, Label::FirstPasswordOnce, &p))
            .unwrap_or_default();
        users_body(&state, &ctx, &who, &notice).await
    };
    result.await.unwrap_or_else(|e| error_in(&ctx, &e))
}

/// `POST /users/{id}/disable`.
pub(crate) async fn disable_user_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Path(id): Path<String>,
) -> Response {
    match users::disable(&state, &who, &id).await {
        Ok(()) => Redirect::to("/users").into_response(),
        Err(e) => error_in(&ctx, &e),
    }
}

async fn tokens_body(
    state: &AppState,
    ctx: &PageCtx,
    who: &Who,
    notice: &str,
) -> Result<Response, ApiError> {
    let list =
        yilian_service::auth::list_tokens(&state.store, &who.signed_in.actor.user_id).await?;
    let mut body = String::from(notice);
    let _ = writeln!(
        body,
        "<section class=\"panel\"><h2>{}</h2>",
        ctx.t(Label::Tokens)
    );
    if list.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", ctx.t(Label::NoTokens));
    } else {
        let _ = writeln!(
            body,
            "<table><thead><tr><th scope=\"col\">ID</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            ctx.t(Label::TokenName),
            ctx.t(Label::Created),
            ctx.t(Label::Expires),
            ctx.t(Label::Status),
        );
        let now = Utc::now();
        for t in &list {
            let status = if t.revoked_at.is_some() {
                ctx.t(Label::Revoked).to_owned()
            } else if t.expires_at <= now {
                ctx.t(Label::Expires).to_owned()
            } else {
                format!(
                    "<form method=\"post\" action=\"/tokens/{}/revoke\" class=\"inline\">{}<button type=\"submit\">{}</button></form>",
                    escape(&t.token_id),
                    ctx.csrf_field(),
                    ctx.t(Label::Revoke)
                )
            };
            let _ = writeln!(
                body,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{status}</td></tr>",
                escape(&t.token_id),
                escape(&t.name),
                yilian_service::china_time(t.created_at),
                t.expires_at.format("%Y-%m-%d"),
            );
        }
        body.push_str("</tbody></table>\n");
    }
    let _ = write!(
        body,
        "</section>\n<section class=\"panel\"><h2>{c}</h2><form method=\"post\" action=\"/tokens\">{csrf}\
         <p><label for=\"name\">{n}</label><br><input id=\"name\" name=\"name\" required maxlength=\"100\"></p>\
         <p><label for=\"days\">{d}</label><br><input id=\"days\" name=\"days\" type=\"number\" min=\"1\" max=\"366\" value=\"90\"></p>\
         <p><button type=\"submit\">{c}</button></p></form></section>\n",
        c = ctx.t(Label::CreateToken),
        csrf = ctx.csrf_field(),
        n = ctx.t(Label::TokenName),
        d = ctx.t(Label::Days),
    );
    Ok(ctx.ok(ctx.t(Label::NavTokens), &body))
}

/// `GET /tokens`.
pub(crate) async fn tokens_page(State(state): State<AppState>, ctx: PageCtx, who: Who) -> Response {
    tokens_body(&state, &ctx, &who, "")
        .await
        .unwrap_or_else(|e| error_in(&ctx, &e))
}

/// `POST /tokens`.
pub(crate) async fn create_token_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Form(input): Form<TokenInput>,
) -> Response {
    let result = async {
        let made = tokens::create(&state, &who, &input).await?;
        let notice = once(&ctx, Label::TokenOnce, &made.secret);
        tokens_body(&state, &ctx, &who, &notice).await
    };
    result.await.unwrap_or_else(|e| error_in(&ctx, &e))
}

/// `POST /tokens/{id}/revoke`.
pub(crate) async fn revoke_token_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Path(id): Path<String>,
) -> Response {
    let user = &who.signed_in.actor.user_id;
    match yilian_service::auth::revoke_token(&state.store, user, &id, Utc::now(), user.as_str())
        .await
    {
        Ok(()) => Redirect::to("/tokens").into_response(),
        Err(e) => error_in(&ctx, &e.into()),
    }
}
