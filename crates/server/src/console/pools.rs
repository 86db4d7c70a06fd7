//! The pool view in the console (issue 4, item 8; QUOTA-3): an institution's slots and
//! beds per department (or ward) and day, reserved, used by referrals, returned to the
//! public, wasted, and booked by the public; and, for the institution's desk, the form that
//! opens pools on the standard release, refusing a reserved share below QUOTA-1 (slots)
//! or QUOTA-2 (beds). Both go through the same functions as the API.

use super::escape;
use super::frame::{PageCtx, error_in};
use crate::AppState;
use crate::access::Who;
use crate::extract::{Form, Query};
use crate::i18n::Label;
use crate::routes::capacity::{PoolInput, ViewQuery, open_for, view_for};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use std::fmt::Write;
use yilian_domain::access::{ActionKind, Actor, Scope, can_attempt, grants_for};
use yilian_domain::capacity::{PoolKind, Session};
use yilian_domain::policy::Lang;
use yilian_domain::registry::Registry;
use yilian_service::capacity::ViewLine;

/// The page's query: the view's, all optional (the institution defaults to the caller's).
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    institution: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The institution a caller most likely means: their desk's, or their group's lead.
fn own_institution(actor: &Actor, reg: &Registry) -> Option<String> {
    grants_for(actor, ActionKind::ReadPoolView).find_map(|g| match g.scope() {
        Scope::Institution(i) => Some(i.to_string()),
        Scope::Consortium(c) => reg
            .consortia
            .iter()
            .find(|x| &x.id == c)
            .map(|x| x.lead.to_string()),
        Scope::City | Scope::Grid(_) | Scope::Team(_) | Scope::Person(_) => None,
    })
}

fn options(lang: Lang, codes: &[(&str, &str)]) -> String {
    codes
        .iter()
        .map(|(code, zh)| {
            let text = match lang {
                Lang::Zh => format!("{zh} {code}"),
                Lang::En => (*code).to_owned(),
            };
            format!("<option value=\"{code}\">{text}</option>")
        })
        .collect()
}

fn table(ctx: &PageCtx, lines: &[ViewLine]) -> String {
    if lines.is_empty() {
        return format!("<p>{}</p>\n", ctx.t(Label::NoEntries));
    }
    let mut out = String::from("<table class=\"pool-view\"><thead><tr>");
    for l in [
        Label::Day,
        Label::Department,
        Label::Kind,
        Label::Capacity,
        Label::Reserved,
        Label::UsedByReferrals,
        Label::Returned,
        Label::Wasted,
        Label::PublicBooked,
    ] {
        let _ = write!(out, "<th scope=\"col\">{}</th>", ctx.t(l));
    }
    out.push_str("</tr></thead><tbody>\n");
    for l in lines {
        let f = &l.figures;
        let kind = match ctx.lang {
            Lang::Zh => l.kind.zh(),
            Lang::En => l.kind.as_str(),
        };
        let _ = writeln!(
            out,
            "<tr data-kind=\"{k}\"><td>{day}</td><td>{dept}</td><td>{kind}</td><td>{}</td><td>{}</td><td data-figure=\"used\">{}</td><td data-figure=\"returned\">{}</td><td data-figure=\"wasted\">{}</td><td data-figure=\"public\">{}</td></tr>",
            f.capacity,
            f.reserved,
            f.used_by_referrals,
            f.returned,
            f.wasted,
            f.public_booked,
            k = l.kind.as_str(),
            day = l.day,
            dept = escape(&l.department),
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

fn open_panel(ctx: &PageCtx, institution: &str) -> String {
    let sessions: Vec<(&str, &str)> = Session::ALL.iter().map(|s| (s.as_str(), s.zh())).collect();
    let kinds: Vec<(&str, &str)> = PoolKind::ALL.iter().map(|k| (k.as_str(), k.zh())).collect();
    format!(
        "<section class=\"panel\"><h2>{title}</h2><p>{help}</p>\
         <form method=\"post\" action=\"/pools\">{csrf}\
         <p><label>{inst} <input name=\"institution_id\" required maxlength=\"128\" value=\"{institution}\"></label> \
         <label>{dept} <input name=\"department\" required maxlength=\"100\"></label> \
         <label>{day} <input type=\"date\" name=\"day\" required></label></p>\
         <p><label>{kind} <select name=\"kind\">{kinds}</select></label> \
         <label>{session} <select name=\"session\">{sessions}</select></label> \
         <label>{cap} <input type=\"number\" name=\"capacity\" min=\"0\" required></label> \
         <label>{res} <input type=\"number\" name=\"reserved\" min=\"0\" required></label></p>\
         <p><button type=\"submit\">{title}</button></p></form></section>\n",
        title = ctx.t(Label::OpenPool),
        help = ctx.t(Label::OpenPoolHelp),
        csrf = ctx.csrf_field(),
        inst = ctx.t(Label::Institution),
        dept = ctx.t(Label::Department),
        day = ctx.t(Label::Day),
        kind = ctx.t(Label::Kind),
        session = ctx.t(Label::Session),
        cap = ctx.t(Label::Capacity),
        res = ctx.t(Label::Reserved),
        institution = escape(institution),
        kinds = options(ctx.lang, &kinds),
        sessions = options(ctx.lang, &sessions),
    )
}

/// `GET /pools`.
pub(crate) async fn pools_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Query(q): Query<PageQuery>,
) -> Response {
    let actor = &who.signed_in.actor;
    let institution = match q.institution.filter(|s| !s.trim().is_empty()) {
        Some(i) => Some(i.trim().to_owned()),
        None => match yilian_store::registry::load_registry(&state.store).await {
            Ok(reg) => own_institution(actor, &reg),
            Err(e) => return error_in(&ctx, &crate::error::ApiError::from(e)),
        },
    };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<section class=\"panel\"><h2>{h}</h2><form method=\"get\" action=\"/pools\" class=\"filters\">\
         <label>{i} <input name=\"institution\" required maxlength=\"128\" value=\"{inst}\"></label> \
         <label>{f} <input type=\"date\" name=\"from\" value=\"{from}\"></label> \
         <label>{t} <input type=\"date\" name=\"to\" value=\"{to}\"></label> \
         <button type=\"submit\">{s}</button></form>",
        h = ctx.t(Label::PoolView),
        i = ctx.t(Label::Institution),
        f = ctx.t(Label::FromDay),
        t = ctx.t(Label::ToDay),
        s = ctx.t(Label::Search),
        inst = escape(institution.as_deref().unwrap_or("")),
        from = q.from.map(|d| d.to_string()).unwrap_or_default(),
        to = q.to.map(|d| d.to_string()).unwrap_or_default(),
    );
    if let Some(inst) = &institution {
        let vq = ViewQuery {
            institution: inst.clone(),
            from: q.from,
            to: q.to,
        };
        match view_for(&state, &who, &vq).await {
            Ok(lines) => body.push_str(&table(&ctx, &lines)),
            Err(e) => return error_in(&ctx, &e),
        }
    }
    body.push_str("</section>\n");
    if can_attempt(actor, ActionKind::ManagePools).is_ok() {
        body.push_str(&open_panel(&ctx, institution.as_deref().unwrap_or("")));
    }
    ctx.ok(ctx.t(Label::NavPools), &body)
}

/// `POST /pools`: opens the pool, then shows its day.
pub(crate) async fn open_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Form(input): Form<PoolInput>,
) -> Response {
    match open_for(&state, &who, &input).await {
        Ok(row) => {
            let mut to = form_urlencoded::Serializer::new(String::from("/pools?"));
            to.append_pair("institution", row.institution_id.as_str());
            to.append_pair("from", &row.day.to_string());
            Redirect::to(&to.finish()).into_response()
        }
        Err(e) => error_in(&ctx, &e),
    }
}
