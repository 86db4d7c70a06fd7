//! The home page (`/`): made for the user's role. It greets them, lists the roles they
//! hold on which scopes, and opens the pages those roles may use; `main` carries the role
//! (`data-home`), so a screen reader and the browser tests know whose home it is.

use super::escape;
use super::frame::PageCtx;
use super::nav::{home_role, pages_of};
use crate::i18n::Label;
use axum::response::Response;
use std::fmt::Write;
use yilian_domain::policy::Lang;

/// `GET /`.
pub(crate) async fn home(ctx: PageCtx) -> Response {
    let Ok(who) = super::frame::signed_in(&ctx) else {
        return axum::response::IntoResponse::into_response(axum::response::Redirect::to("/login"));
    };
    let role = home_role(&who.actor);
    let mut body = String::new();
    let _ = write!(
        body,
        "<section class=\"panel\"><h2>{}，{}</h2>\n<h3>{}</h3>\n<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>\n",
        ctx.t(Label::Welcome),
        escape(&who.display_name),
        ctx.t(Label::YourRoles),
        ctx.t(Label::ColRole),
        ctx.t(Label::ColScope),
    );
    for g in &who.actor.grants {
        let role_name = match ctx.lang {
            Lang::Zh => g.role().zh().to_owned(),
            Lang::En => g.role().as_str().replace('_', " "),
        };
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            escape(&role_name),
            escape(&g.scope().to_string())
        );
    }
    let _ = write!(
        body,
        "</tbody></table>\n<h3>{}</h3>\n<ul class=\"cards\">\n",
        ctx.t(Label::YourPages)
    );
    for p in pages_of(&who.actor) {
        let _ = writeln!(
            body,
            "<li><a href=\"{}\">{}</a></li>",
            p.href,
            ctx.t(p.label)
        );
    }
    body.push_str("</ul></section>\n");
    ctx.page(
        axum::http::StatusCode::OK,
        ctx.t(Label::NavHome),
        Some(role.map_or("none", |r| r.as_str())),
        &body,
    )
}
