//! The frame every console page sits in: the header with the menu the user's roles may
//! use ([`super::nav`]), the language switch, who is signed in and the sign-out button;
//! and the error page. The language comes from `?lang=` (which also sets the language
//! cookie, so it sticks) or the cookie; Chinese by default.

use crate::auth::{LANG_COOKIE, MaybeCaller};
use crate::error::ApiError;
use crate::i18n::{Label, html_lang, lang_of_request};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write;
use yilian_domain::access::{ActionKind, can_attempt};
use yilian_domain::policy::Lang;
use yilian_service::auth::{SignedIn, Via};

use super::escape;

/// What every page handler needs to draw the frame: the language, whether the request
/// asked to change it, and the caller when signed in.
#[derive(Debug, Clone)]
pub(crate) struct PageCtx {
    pub(crate) lang: Lang,
    /// `?lang=` was given: remember it in the cookie.
    set_lang: bool,
    pub(crate) caller: Option<SignedIn>,
    /// Keeps the `Secure` attribute consistent with the session cookie's.
    secure: bool,
}

impl FromRequestParts<crate::AppState> for PageCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, ApiError> {
        let param = parts.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        });
        let lang = lang_of_request(&parts.headers, param.as_deref());
        let MaybeCaller(caller) = MaybeCaller::from_request_parts(parts, state).await?;
        Ok(PageCtx {
            lang,
            set_lang: param.is_some(),
            caller,
            secure: state.secure_cookies,
        })
    }
}

impl PageCtx {
    /// A label in the page's language.
    pub(crate) fn t(&self, l: Label) -> &'static str {
        l.text(self.lang)
    }

    /// The CSRF token forms of this page carry (the session's).
    pub(crate) fn csrf(&self) -> &str {
        match self.caller.as_ref().map(|c| &c.via) {
            Some(Via::Session { csrf }) => csrf.reveal(),
            _ => "",
        }
    }

    /// A hidden CSRF field for a form.
    pub(crate) fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            escape(self.csrf())
        )
    }

    /// The whole page: `body` inside the frame, `main` marked with `data-home` when given.
    pub(crate) fn page(
        &self,
        status: StatusCode,
        title: &str,
        home: Option<&str>,
        body: &str,
    ) -> Response {
        let t = |l: Label| l.text(self.lang);
        let mut out = String::with_capacity(body.len() + 4096);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{hl}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{app} · {title}</title>\n<link rel=\"stylesheet\" href=\"/assets/console.css\">\n</head>\n<body>\n\
             <header class=\"top\">\n<h1><a class=\"app\" href=\"/\">{app}</a> {title}</h1>\n",
            hl = html_lang(self.lang),
            app = t(Label::AppName),
            title = escape(title),
        );
        if let Some(who) = &self.caller {
            let _ = write!(
                out,
                "<nav aria-label=\"{}\" class=\"main-nav\"><ul>",
                t(Label::MainNav)
            );
            let _ = write!(out, "<li><a href=\"/\">{}</a></li>", t(Label::NavHome));
            for p in super::nav::pages_of(&who.actor) {
                let _ = write!(
                    out,
                    "<li><a href=\"{}\" data-nav=\"{}\">{}</a></li>",
                    p.href,
                    p.key,
                    t(p.label)
                );
            }
            out.push_str("</ul></nav>\n");
        }
        let _ = write!(
            out,
            "<div class=\"tools\"><span class=\"lang\" aria-label=\"{nav}\">\
             <a href=\"?lang=zh\" data-lang=\"zh\" lang=\"zh-CN\" hreflang=\"zh-CN\">中文</a> · \
             <a href=\"?lang=en\" data-lang=\"en\" lang=\"en\" hreflang=\"en\">English</a></span>",
            nav = t(Label::LanguageNav),
        );
        if let Some(who) = &self.caller {
            let _ = write!(
                out,
                " <span class=\"who\">{}: {} ({})</span>\
                 <form method=\"post\" action=\"/logout\" class=\"inline\">{}<button type=\"submit\">{}</button></form>",
                t(Label::SignedInAs),
                escape(&who.display_name),
                escape(who.actor.user_id.as_str()),
                self.csrf_field(),
                t(Label::SignOut),
            );
            // live notices for those with a feed: a badge the script fills (hidden until
            // the first notice arrives, so the page is the same without the script)
            if can_attempt(&who.actor, ActionKind::ReadFeed).is_ok() {
                let _ = write!(
                    out,
                    " <span id=\"notices\" class=\"notices\" data-feed=\"/api/v1/feed/stream\" hidden>{} <b>0</b></span>\
                     <ul id=\"notice-list\" class=\"notice-list\" hidden></ul>\
                     <script src=\"/assets/notices.js\" defer></script>",
                    t(Label::Notices),
                );
            }
        }
        out.push_str("</div>\n</header>\n");
        match home {
            Some(role) => {
                let _ = writeln!(out, "<main data-home=\"{}\">", escape(role));
            }
            None => out.push_str("<main>\n"),
        }
        out.push_str(body);
        let _ = write!(
            out,
            "</main>\n<footer><a href=\"/api/docs/\">{docs}</a> · <a href=\"/openapi.json\">OpenAPI</a></footer>\n</body>\n</html>\n",
            docs = t(Label::ApiDocs)
        );
        let mut response = (status, Html(out)).into_response();
        if self.set_lang {
            let value = set_cookie(
                LANG_COOKIE,
                html_lang(self.lang),
                365 * 24 * 3600,
                false,
                self.secure,
            );
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }

    /// An OK page.
    pub(crate) fn ok(&self, title: &str, body: &str) -> Response {
        self.page(StatusCode::OK, title, None, body)
    }
}

/// A `Set-Cookie` value: always `Path=/` and `SameSite=Strict` (no other site can make the
/// browser send it), `HttpOnly` unless a script must read it, `Secure` when served over
/// HTTPS. `max_age_s` 0 deletes the cookie.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    max_age_s: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; SameSite=Strict; Max-Age={max_age_s}");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).expect("BUG: cookie names and values are ASCII tokens")
}

/// The page for an error: its status, the message in the page's language under
/// `role="alert"`, and the way home.
pub(crate) fn error_page(e: &ApiError, lang: Lang) -> Response {
    let ctx = PageCtx {
        lang,
        set_lang: false,
        caller: None,
        secure: false,
    };
    error_in(&ctx, e)
}

/// The error page within a page context (keeps the menu when signed in).
pub(crate) fn error_in(ctx: &PageCtx, e: &ApiError) -> Response {
    error_with(ctx, e, "")
}

/// The error page with more below the message (a form that offers a way forward).
pub(crate) fn error_with(ctx: &PageCtx, e: &ApiError, more: &str) -> Response {
    let (zh, en) = e.messages();
    let msg = match ctx.lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    let body = format!(
        "<section class=\"panel\"><div role=\"alert\" class=\"alert\"><strong>{}</strong> ({})<p>{}</p></div>\
         <p><a href=\"/\">{}</a></p></section>\n{more}",
        ctx.t(Label::ErrorTitle),
        e.status().as_u16(),
        escape(&msg),
        ctx.t(Label::BackHome),
    );
    ctx.page(e.status(), ctx.t(Label::ErrorTitle), None, &body)
}

/// Renders an error as a page when a handler fails.
pub(crate) fn or_error(ctx: &PageCtx, r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(|e| error_in(ctx, &e))
}

/// The caller of a page that requires one (the guard put it there).
pub(crate) fn signed_in(ctx: &PageCtx) -> Result<&SignedIn, ApiError> {
    ctx.caller.as_ref().ok_or(ApiError::Unauthenticated(None))
}
