//! Signing in and out of the console. The login form is protected against CSRF by a
//! double-submit cookie (there is no session yet to hold a token); a success opens a
//! session whose cookie is `HttpOnly` and `SameSite=Strict`. Every attempt, good or bad,
//! is written to the audit trail with the address it came from.

use super::escape;
use super::frame::{PageCtx, set_cookie};
use crate::AppState;
use crate::access::{RequestMeta, record_sign_in};
use crate::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie};
use crate::error::ApiError;
use crate::extract::Form;
use crate::i18n::Label;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use std::fmt::Write;
use yilian_domain::policy::Lang;
use yilian_service::account::login as check_login;
use yilian_service::auth::{SESSION_HOURS, close_session, open_session, random_hex};
use yilian_store::audit_trail::Outcome;

/// Seconds the login form's CSRF cookie lives: long enough to type a password.
const LOGIN_FORM_S: i64 = 3600;

/// The login page, with `error` shown as an alert when a try failed.
fn form_page(
    ctx: &PageCtx,
    status: StatusCode,
    secure: bool,
    error: Option<&str>,
    user: &str,
) -> Response {
    let token = random_hex();
    let mut body = String::from("<section class=\"panel login\">\n");
    if let Some(e) = error {
        let _ = writeln!(
            body,
            "<div role=\"alert\" class=\"alert\">{}</div>",
            escape(e)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"user\">{u}</label><br><input id=\"user\" name=\"user\" autocomplete=\"username\" required maxlength=\"64\" value=\"{user}\"></p>\n\
         <p><label for=\"password\">{p}</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"128\"></p>\n\
         <p><button type=\"submit\">{s}</button></p>\n</form>\n</section>\n",
        csrf = token.reveal(),
        u = ctx.t(Label::UserName),
        p = ctx.t(Label::Password),
        s = ctx.t(Label::SignIn),
        user = escape(user),
    );
    let mut response = ctx.page(status, ctx.t(Label::LoginTitle), None, &body);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_CSRF_COOKIE,
            token.reveal(),
            LOGIN_FORM_S,
            true,
            secure,
        ),
    );
    response
}

/// `GET /login`; a signed-in user goes home instead.
pub(crate) async fn login_form(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if ctx.caller.is_some() {
        return Redirect::to("/").into_response();
    }
    form_page(&ctx, StatusCode::OK, state.secure_cookies, None, "")
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginInput {
    user: String,
    password: String,
}

/// `POST /login`: checks the password (with lock-out), opens a session, goes home.
pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    meta: RequestMeta,
    Form(input): Form<LoginInput>,
) -> Response {
    let now = Utc::now();
    let user = input.user.trim();
    let attempt = async {
        let result = check_login(&state.store, user, &input.password, now).await?;
        let (outcome, why) = match &result {
            Ok(_) => (Outcome::Allowed, "ok".to_owned()),
            Err(e) => (Outcome::Denied, format!("{e:?}")),
        };
        // the id as typed may be anything: record it only when it is a plausible id
        let who = yilian_domain::ids::UserId::parse(user)
            .map_or("invalid-user-id".to_owned(), |u| u.to_string());
        record_sign_in(&state, &meta, &who, "password", outcome, &why).await?;
        Ok::<_, ApiError>(result)
    };
    match attempt.await {
        Ok(Ok(actor)) => match open_session(&state.store, &actor.user_id, now).await {
            Ok(s) => {
                let mut response = Redirect::to("/").into_response();
                let headers = response.headers_mut();
                headers.append(
                    header::SET_COOKIE,
                    set_cookie(
                        SESSION_COOKIE,
                        s.cookie.reveal(),
                        SESSION_HOURS * 3600,
                        true,
                        state.secure_cookies,
                    ),
                );
                headers.append(
                    header::SET_COOKIE,
                    set_cookie(LOGIN_CSRF_COOKIE, "", 0, true, state.secure_cookies),
                );
                response
            }
            Err(e) => super::frame::error_in(&ctx, &e.into()),
        },
        Ok(Err(e)) => {
            let (zh, en) = crate::error::bilingual(&e);
            let text = match ctx.lang {
                Lang::Zh => zh,
                Lang::En => en,
            };
            form_page(
                &ctx,
                StatusCode::UNAUTHORIZED,
                state.secure_cookies,
                Some(&text),
                user,
            )
        }
        Err(e) => super::frame::error_in(&ctx, &e),
    }
}

/// `POST /logout`: ends the session here and in the database.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(c) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = close_session(&state.store, c).await
    {
        return ApiError::from(e).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, true, state.secure_cookies),
    );
    response
}
