//! The referral clocks page (issue 4, item 2): the group's manager sees which receivers of
//! the group let referrals wait — open, overdue now, escalated to the manager, deadlines
//! missed in the last 30 days — and the overdue referrals, the longest first; the
//! commission sees the city. The same function as the API reads it.

use super::escape;
use super::frame::{PageCtx, or_error};
use crate::AppState;
use crate::access::Who;
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::Label;
use crate::routes::referral_clocks::{ClocksQuery, clocks_of};
use axum::extract::State;
use axum::response::Response;
use std::fmt::Write;

fn header(ctx: &PageCtx, labels: &[Label]) -> String {
    let mut out = String::from("<thead><tr>");
    for l in labels {
        let _ = write!(out, "<th scope=\"col\">{}</th>", ctx.t(*l));
    }
    out.push_str("</tr></thead>");
    out
}

async fn body(
    state: &AppState,
    ctx: &PageCtx,
    who: &Who,
    q: &ClocksQuery,
) -> Result<Response, ApiError> {
    let c = clocks_of(state, who, q).await?;
    let mut out = format!(
        "<section class=\"panel\"><h2>{}</h2><table class=\"clocks\">{}<tbody>\n",
        ctx.t(Label::ClocksByReceiver),
        header(
            ctx,
            &[
                Label::To,
                Label::ClocksOpen,
                Label::ClocksOverdue,
                Label::ClocksToManager,
                Label::ClocksMissed,
            ]
        )
    );
    for r in &c.receivers {
        let _ = writeln!(
            out,
            "<tr data-institution=\"{id}\" data-overdue=\"{o}\"><td>{name} <code>{id}</code></td><td>{open}</td><td>{o}</td><td>{m}</td><td>{missed} ({mm})</td></tr>",
            id = escape(&r.institution_id),
            name = escape(&r.name),
            open = r.open,
            o = r.overdue,
            m = r.to_manager,
            missed = r.missed,
            mm = r.missed_to_manager,
        );
    }
    let _ = write!(
        out,
        "</tbody></table></section>\n<section class=\"panel\"><h2>{}</h2>",
        ctx.t(Label::ClocksOverdueList)
    );
    if c.overdue.is_empty() {
        let _ = write!(out, "<p>{}</p>", ctx.t(Label::NoEntries));
    } else {
        out.push_str("<table class=\"overdue\">");
        out.push_str(&header(
            ctx,
            &[
                Label::ReferralId,
                Label::From,
                Label::To,
                Label::Urgency,
                Label::Status,
                Label::Deadline,
            ],
        ));
        out.push_str("<tbody>\n");
        for r in &c.overdue {
            let _ = writeln!(
                out,
                "<tr data-referral=\"{id}\" data-escalation=\"{e}\"><td><code>{id}</code></td><td>{from}</td><td>{to}</td><td>{u}</td><td>{s}</td><td>{d} <mark class=\"overdue\">{level}</mark></td></tr>",
                id = escape(&r.id),
                e = r.escalation,
                from = escape(&r.from_institution_id),
                to = escape(&r.to_institution_id),
                u = r.urgency,
                s = r.status,
                d = r
                    .deadline
                    .map(yilian_service::china_time)
                    .unwrap_or_default(),
                level = ctx.t(if r.escalation >= 2 {
                    Label::Overdue2
                } else {
                    Label::Overdue1
                }),
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>\n");
    Ok(ctx.ok(ctx.t(Label::NavReferralClocks), &out))
}

/// `GET /referral-clocks[?consortium=]`.
pub(crate) async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Query(q): Query<ClocksQuery>,
) -> Response {
    or_error(&ctx, body(&state, &ctx, &who, &q).await)
}
