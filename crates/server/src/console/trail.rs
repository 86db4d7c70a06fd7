//! The auditors' page: the audit trail searched by actor, person, action and flag, with
//! break-glass accesses marked for review. The search itself is recorded in the trail.

use super::escape;
use super::frame::{PageCtx, error_in};
use crate::AppState;
use crate::access::Who;
use crate::extract::Query;
use crate::i18n::Label;
use crate::routes::audit_trail::{TrailQuery, search};
use axum::extract::State;
use axum::response::Response;
use std::fmt::Write;
use yilian_domain::access::ActionKind;
use yilian_domain::policy::Lang;

/// An action code in the page's language (codes the policy does not know, such as
/// `login`, as they are).
fn action_name(code: &str, lang: Lang) -> String {
    match (ActionKind::parse(code), lang) {
        (Ok(kind), Lang::Zh) => format!("{} <code>{code}</code>", kind.zh()),
        _ => escape(code),
    }
}

/// `GET /audit-trail`.
pub(crate) async fn trail_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Query(q): Query<TrailQuery>,
) -> Response {
    let page = match search(&state, &who, &q).await {
        Ok(p) => p,
        Err(e) => return error_in(&ctx, &e),
    };
    let val = |s: &Option<String>| escape(s.as_deref().unwrap_or(""));
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<section class=\"panel\"><form method=\"get\" action=\"/audit-trail\" class=\"filters\">\
         <label>{a} <input name=\"actor\" maxlength=\"128\" value=\"{actor}\"></label> \
         <label>{p} <input name=\"person\" maxlength=\"128\" value=\"{person}\"></label> \
         <label>{act} <input name=\"action\" maxlength=\"64\" value=\"{action}\"></label> \
         <label><input type=\"checkbox\" name=\"flagged\" value=\"true\"{checked}> {only}</label> \
         <button type=\"submit\">{search}</button></form>",
        a = ctx.t(Label::Actor),
        p = ctx.t(Label::Person),
        act = ctx.t(Label::Action),
        only = ctx.t(Label::OnlyFlagged),
        search = ctx.t(Label::Search),
        actor = val(&q.actor),
        person = val(&q.person),
        action = val(&q.action),
        checked = if q.flagged == Some(true) {
            " checked"
        } else {
            ""
        },
    );
    if page.items.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", ctx.t(Label::NoEntries));
    } else {
        let _ = write!(body, "<table class=\"trail\"><thead><tr>");
        for l in [
            Label::Time,
            Label::Actor,
            Label::ColRole,
            Label::ColScope,
            Label::Action,
            Label::Person,
            Label::Purpose,
            Label::Outcome,
            Label::Flagged,
            Label::Reason,
            Label::From,
        ] {
            let _ = write!(body, "<th scope=\"col\">{}</th>", ctx.t(l));
        }
        body.push_str("</tr></thead><tbody>\n");
        for e in &page.items {
            let x = &e.entry;
            let _ = writeln!(
                body,
                "<tr class=\"{cls}\"><td title=\"#{seq}\">{at}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&x.actor),
                escape(&x.role),
                escape(&x.scope),
                action_name(&x.action, ctx.lang),
                x.person
                    .as_ref()
                    .map(|p| escape(p.as_str()))
                    .unwrap_or_default(),
                escape(&x.purpose),
                x.outcome.as_str(),
                if x.flagged { "⚑" } else { "" },
                x.reason.as_deref().map(escape).unwrap_or_default(),
                escape(&x.source),
                cls = if x.flagged {
                    "flagged"
                } else {
                    x.outcome.as_str()
                },
                seq = e.seq,
                at = yilian_service::china_time(x.at),
            );
        }
        body.push_str("</tbody></table>\n");
        let mut next = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &q.actor),
            ("person", &q.person),
            ("action", &q.action),
        ] {
            if let Some(v) = v {
                next.append_pair(k, v);
            }
        }
        if q.flagged == Some(true) {
            next.append_pair("flagged", "true");
        }
        next.append_pair("after", &page.next.to_string());
        let _ = writeln!(
            body,
            "<p><a href=\"/audit-trail?{}\">{}</a></p>",
            escape(&next.finish()),
            ctx.t(Label::NextPage)
        );
    }
    body.push_str("</section>\n");
    ctx.ok(ctx.t(Label::NavAuditTrail), &body)
}
