//! The web console, rendered on the server: plain HTML and inline SVG, every asset
//! compiled into the binary, and one small script that is not needed for any page to
//! work (the frame's live notices, `assets/notices.js`). Staff open it on intranet machines with whatever
//! browser they have; a page that needs a JS framework or a CDN would not load there.
//!
//! The first page (`/`) is the city at a glance: the grid map coloured by medical group
//! with the institutions on it, and beside it the audit's findings. Chinese first;
//! `?lang=en` switches every label through [`crate::i18n`].

pub(crate) mod auth;
mod findings;
pub(crate) mod frame;
pub(crate) mod home;
mod map;
pub(crate) mod nav;
pub(crate) mod persons;
pub(crate) mod pools;
pub(crate) mod referral_clocks;
pub(crate) mod referrals;
pub(crate) mod routing;
pub(crate) mod trail;
pub(crate) mod users;

pub(crate) use frame::error_page;
use std::sync::Arc;

use crate::AppState;
use crate::access::{Ask, Who, authorize};
use crate::error::ApiError;
use crate::i18n::{Label, html_lang};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use frame::{PageCtx, or_error};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use yilian_domain::access::{Action, CityTopology, Decision, Resource, can};
use yilian_domain::ids::GridId;
use yilian_domain::policy::{AuditReport, Lang, audit};
use yilian_domain::registry::Registry;

/// The stylesheet, compiled in.
const CONSOLE_CSS: &str = include_str!("../../assets/console.css");

/// The live-notices script, compiled in.
const NOTICES_JS: &str = include_str!("../../assets/notices.js");

/// `GET /assets/notices.js`.
pub(crate) async fn notices_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        NOTICES_JS,
    )
}

/// `GET /assets/console.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CONSOLE_CSS,
    )
}

/// `GET /map`: the grid map and the audit findings, of the whole city for a city-wide
/// grant, else of the consortia the caller's grants reach (a consortium manager sees
/// their own group's grid, members and findings).
pub(crate) async fn index(State(state): State<AppState>, ctx: PageCtx, who: Who) -> Response {
    or_error(&ctx, map_page(&state, &ctx, &who).await)
}

/// The part of the registry the caller may read, and whether it is the whole city.
async fn readable(
    state: &AppState,
    who: &Who,
    reg: Arc<Registry>,
    day: NaiveDate,
) -> Result<(Arc<Registry>, bool), ApiError> {
    let topo = CityTopology::from_registry(&reg, day);
    let actor = &who.signed_in.actor;
    let reaches = |r: &Resource| {
        matches!(
            can(actor, &Action::ReadRegistry, r, &topo),
            Decision::Allow { .. }
        )
    };
    if reaches(&Resource::Registry) {
        return Ok((reg, true));
    }
    let visible: BTreeSet<_> = reg
        .consortia
        .iter()
        .filter(|c| {
            reaches(&Resource::Consortium {
                id: c.id.clone(),
                grid: c.grid_id.clone(),
            })
        })
        .map(|c| c.id.clone())
        .collect();
    if visible.is_empty() {
        // none reachable: refused, and the refusal recorded
        authorize(
            state,
            &reg,
            who,
            Ask::plain(&Action::ReadRegistry, &Resource::Registry),
        )
        .await?;
    }
    let mut part = Registry::clone(&reg);
    part.consortia.retain(|c| visible.contains(&c.id));
    part.memberships
        .retain(|m| visible.contains(&m.consortium_id));
    let members: BTreeSet<_> = part
        .memberships
        .iter()
        .map(|m| m.institution_id.clone())
        .chain(part.consortia.iter().map(|c| c.lead.clone()))
        .collect();
    let grids: BTreeSet<_> = part
        .consortia
        .iter()
        .filter_map(|c| c.grid_id.clone())
        .collect();
    part.institutions.retain(|i| members.contains(&i.id));
    part.grids.retain(|g| grids.contains(&g.id));
    part.teams.retain(|t| members.contains(&t.institution_id));
    Ok((Arc::new(part), false))
}

async fn map_page(state: &AppState, ctx: &PageCtx, who: &Who) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let today = yilian_service::today();
    let full = state.registry().await?;
    let facts = yilian_service::audit::geo_facts(&state.store, &full, today).await?;
    let report = audit(&full, &facts, &state.profile, today);
    let (reg, whole) = readable(state, who, full, today).await?;
    let report = if whole {
        report
    } else {
        let ids: BTreeSet<&str> = reg
            .consortia
            .iter()
            .map(|c| c.id.as_str())
            .chain(reg.grids.iter().map(|g| g.id.as_str()))
            .chain(reg.institutions.iter().map(|i| i.id.as_str()))
            .collect();
        let kept = report
            .findings
            .into_iter()
            .filter(|f| ids.contains(f.subject.id.as_str()))
            .collect();
        AuditReport::new(report.profile, kept)
    };
    let residents_per_grid: BTreeMap<GridId, u64> = facts
        .residents_per_grid
        .iter()
        .filter(|(g, _)| reg.grid(g).is_some())
        .map(|(g, n)| (g.clone(), *n))
        .collect();
    let residents = if whole {
        facts.total_residents
    } else {
        residents_per_grid.values().sum()
    };
    let view = Overview {
        reg: &reg,
        report: &report,
        residents_per_grid: &residents_per_grid,
        residents,
        profile_title: match lang {
            Lang::Zh => &state.profile.title_zh,
            Lang::En => &state.profile.title_en,
        },
        day: today,
        lang,
    };
    Ok(ctx.ok(Label::ConsoleTitle.text(lang), &view.render()))
}

/// Everything the overview page shows.
struct Overview<'a> {
    /// The registry.
    reg: &'a Registry,
    /// The audit on `day`.
    report: &'a AuditReport,
    /// Residents whose home lies in each grid.
    residents_per_grid: &'a BTreeMap<GridId, u64>,
    /// Residents in all, those outside every grid included.
    residents: u64,
    /// The profile's title in `lang`.
    profile_title: &'a str,
    /// The day shown: grids in force on it, audited on it.
    day: NaiveDate,
    /// The page's language.
    lang: Lang,
}

impl Overview<'_> {
    /// The page's body (the frame is drawn around it).
    fn render(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        self.summary(&mut out);
        out.push_str("<div class=\"columns\">\n");
        map::render(&mut out, self);
        findings::render(&mut out, self.report, self.lang);
        out.push_str("</div>\n");
        out
    }

    fn summary(&self, out: &mut String) {
        let lang = self.lang;
        let t = |l: Label| l.text(lang);
        let s = self.report.summary;
        let _ = write!(
            out,
            "<section class=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\" class=\"visually-hidden\">{}</h2>\n<dl>\n",
            t(Label::Summary)
        );
        let items: [(Label, String, &str); 6] = [
            (Label::Grids, self.reg.grids.len().to_string(), ""),
            (
                Label::Institutions,
                self.reg.institutions.len().to_string(),
                "",
            ),
            (Label::Consortia, self.reg.consortia.len().to_string(), ""),
            (Label::Residents, self.residents.to_string(), ""),
            (
                Label::Errors,
                s.errors.to_string(),
                if s.errors > 0 { " sev-error" } else { "" },
            ),
            (
                Label::Warnings,
                s.warnings.to_string(),
                if s.warnings > 0 { " sev-warning" } else { "" },
            ),
        ];
        for (label, value, class) in items {
            let _ = writeln!(
                out,
                "<div class=\"stat{class}\"><dt>{}</dt><dd>{value}</dd></div>",
                t(label)
            );
        }
        let _ = write!(
            out,
            "<div class=\"stat wide\"><dt>{}</dt><dd><code>{}</code> <span class=\"muted\">{}</span></dd></div>\n\
             <div class=\"stat\"><dt>{}</dt><dd><time datetime=\"{day}\">{day}</time></dd></div>\n</dl>\n</section>\n",
            t(Label::Profile),
            escape(&self.report.profile),
            escape(self.profile_title),
            t(Label::AuditDate),
            day = self.day,
        );
    }
}

/// The audit findings as one standalone page (`yilian audit --format html`): the console's
/// table with the stylesheet inlined, so the file opens anywhere, offline, as it is mailed.
pub fn audit_page(report: &AuditReport, lang: Lang) -> String {
    let t = |l: Label| l.text(lang);
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} · {}</title>\n\
         <style>\n{CONSOLE_CSS}</style>\n</head>\n<body>\n<main>\n",
        html_lang(lang),
        t(Label::AppName),
        t(Label::FindingsHeading),
    );
    findings::render(&mut out, report, lang);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("渝中区网格一"), "渝中区网格一");
    }
}
