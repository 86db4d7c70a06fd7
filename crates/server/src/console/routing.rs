//! The routing panel of the console's referral form (issue 4, item 3): for a person in the
//! caller's care, the chronic-disease referral suggestion (REF-2) and the receivers
//! proposed in order with why and their free slots, so the referrer picks a receiver
//! knowing where a slot is. It calls the same functions as the API, and a refusal (no care
//! relation, no group) shows inside the panel without losing the page.

use super::escape;
use super::frame::PageCtx;
use crate::AppState;
use crate::access::Who;
use crate::error::ApiError;
use crate::i18n::Label;
use crate::routes::follow_ups::reviews;
use crate::routes::persons::resident_id;
use crate::routes::routing::{RouteQuery, routes};
use serde::Deserialize;
use std::fmt::Write;
use yilian_domain::policy::Lang;
use yilian_domain::referral::Urgency;
use yilian_domain::registry::{Capability, MemberRole};

/// The panel's query on `GET /referrals` (all optional: without a person, an empty form).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PanelQuery {
    route_resident_id: Option<String>,
    department: Option<String>,
    capability: Option<String>,
    urgency: Option<String>,
}

fn bilingual(lang: Lang, zh: &str, en: &str) -> String {
    escape(match lang {
        Lang::Zh => zh,
        Lang::En => en,
    })
}

fn selected(current: Option<&str>, value: &str) -> &'static str {
    if current == Some(value) {
        " selected"
    } else {
        ""
    }
}

fn form(ctx: &PageCtx, q: &PanelQuery) -> String {
    let mut caps = String::from("<option value=\"\">—</option>");
    for c in Capability::ALL {
        let _ = write!(
            caps,
            "<option value=\"{v}\"{s}>{zh} {v}</option>",
            v = c.as_str(),
            s = selected(q.capability.as_deref(), c.as_str()),
            zh = c.zh(),
        );
    }
    let mut urg = String::new();
    for u in Urgency::ALL {
        let _ = write!(
            urg,
            "<option value=\"{v}\"{s}>{zh} {v}</option>",
            v = u.as_str(),
            s = selected(q.urgency.as_deref(), u.as_str()),
            zh = u.zh(),
        );
    }
    format!(
        "<form method=\"get\" action=\"/referrals\" class=\"routing\">\
         <p><label for=\"route_resident_id\">{rid}</label> <input id=\"route_resident_id\" name=\"route_resident_id\" required maxlength=\"128\" value=\"{rv}\"> \
         <label for=\"department\">{dept}</label> <input id=\"department\" name=\"department\" maxlength=\"64\" value=\"{dv}\"> \
         <label for=\"capability\">{cap}</label> <select id=\"capability\" name=\"capability\">{caps}</select> \
         <label for=\"route_urgency\">{u}</label> <select id=\"route_urgency\" name=\"urgency\">{urg}</select> \
         <button type=\"submit\">{find}</button></p></form>\n",
        rid = ctx.t(Label::ResidentId),
        rv = escape(q.route_resident_id.as_deref().unwrap_or_default()),
        dept = ctx.t(Label::Department),
        dv = escape(q.department.as_deref().unwrap_or_default()),
        cap = ctx.t(Label::Capability),
        u = ctx.t(Label::Urgency),
        find = ctx.t(Label::FindReceivers),
    )
}

fn tier_name(tier: &str, lang: Lang) -> String {
    match MemberRole::parse(tier) {
        Ok(r) if lang == Lang::Zh => r.zh().to_owned(),
        _ => tier.to_owned(),
    }
}

async fn results(
    state: &AppState,
    ctx: &PageCtx,
    who: &Who,
    q: &PanelQuery,
    person: &str,
) -> Result<String, ApiError> {
    let rid = resident_id("route_resident_id", person)?;
    let mut out = format!(
        "<h3>{}</h3><ul class=\"suggestions\">",
        ctx.t(Label::ReferralSuggestion)
    );
    for r in reviews(state, who, &rid).await? {
        match r.suggestion {
            Some(s) => {
                let _ = write!(
                    out,
                    "<li data-criterion=\"{}\" data-urgency=\"{}\">{}</li>",
                    s.criterion.as_str(),
                    s.urgency.as_str(),
                    bilingual(ctx.lang, &s.explanation_zh, &s.explanation_en),
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<li>{}: {}</li>",
                    bilingual(ctx.lang, r.condition.zh(), r.condition.as_str()),
                    ctx.t(Label::NoSuggestion),
                );
            }
        }
    }
    out.push_str("</ul>\n");
    let query = RouteQuery {
        resident_id: person.to_owned(),
        department: q.department.clone().filter(|d| !d.trim().is_empty()),
        capability: q.capability.clone().filter(|c| !c.is_empty()),
        urgency: q.urgency.clone(),
    };
    let found = routes(state, who, &query).await?;
    let _ = write!(
        out,
        "<h3>{} · {}</h3><table class=\"routes\"><thead><tr>",
        ctx.t(Label::Receivers),
        escape(&found.consortium_name)
    );
    for l in [
        Label::To,
        Label::Tier,
        Label::Direction,
        Label::FreeReserved,
        Label::FreePublic,
        Label::Reason,
    ] {
        let _ = write!(out, "<th scope=\"col\">{}</th>", ctx.t(l));
    }
    out.push_str("</tr></thead><tbody>\n");
    for p in &found.proposals {
        let _ = writeln!(
            out,
            "<tr data-institution=\"{id}\" data-tier=\"{tier}\"><td>{name} <code>{id}</code></td><td>{tn}</td><td>{dir}</td><td>{r}</td><td>{pu}</td><td>{why}</td></tr>",
            id = escape(&p.institution_id),
            tier = p.tier,
            name = escape(&p.name),
            tn = tier_name(p.tier, ctx.lang),
            dir = p.direction,
            r = p.free_reserved,
            pu = p.free_public,
            why = bilingual(ctx.lang, &p.reason_zh, &p.reason_en),
        );
    }
    out.push_str("</tbody></table>\n");
    Ok(out)
}

/// The panel: the form, and for a named person the suggestion and the proposals (or why
/// there are none).
pub(crate) async fn panel(state: &AppState, ctx: &PageCtx, who: &Who, q: &PanelQuery) -> String {
    let mut out = format!(
        "<section class=\"panel\" id=\"routing\"><h2>{}</h2>\n{}",
        ctx.t(Label::Receivers),
        form(ctx, q)
    );
    if let Some(person) = q
        .route_resident_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match results(state, ctx, who, q, person).await {
            Ok(html) => out.push_str(&html),
            Err(e) => {
                let (zh, en) = e.messages();
                let _ = write!(
                    out,
                    "<div role=\"alert\" class=\"alert\">{}</div>",
                    bilingual(ctx.lang, &zh, &en)
                );
            }
        }
    }
    out.push_str("</section>\n");
    out
}
