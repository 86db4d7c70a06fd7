//! The web console, rendered on the server: plain HTML and inline SVG, no script, every
//! asset compiled into the binary. Staff open it on intranet machines with whatever
//! browser they have; a page that needs a JS framework or a CDN would not load there.
//!
//! The first page (`/`) is the city at a glance: the grid map coloured by medical group
//! with the institutions on it, and beside it the audit's findings. Chinese first;
//! `?lang=en` switches every label through [`crate::i18n`].

mod findings;
mod map;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::{Label, html_lang, lang_of};
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use yilian_domain::ids::GridId;
use yilian_domain::policy::{AuditReport, Lang, audit};
use yilian_domain::registry::Registry;
use yilian_store::registry;

/// The stylesheet, compiled in.
const CONSOLE_CSS: &str = include_str!("../../assets/console.css");

/// Parameters of the console pages.
#[derive(Debug, Deserialize)]
pub(crate) struct ConsoleQuery {
    /// `en` for English; Chinese otherwise.
    lang: Option<String>,
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

/// `GET /`: the grid map and the audit findings.
pub(crate) async fn index(
    State(state): State<AppState>,
    Query(q): Query<ConsoleQuery>,
) -> Result<Html<String>, ApiError> {
    let lang = lang_of(q.lang.as_deref());
    let today = yilian_service::today();
    let reg = registry::load_registry(&state.store).await?;
    let facts = yilian_service::audit::geo_facts(&state.store, &reg, today).await?;
    let report = audit(&reg, &facts, &state.profile, today);
    let view = Overview {
        reg: &reg,
        report: &report,
        residents_per_grid: &facts.residents_per_grid,
        residents: facts.total_residents,
        profile_title: match lang {
            Lang::Zh => &state.profile.title_zh,
            Lang::En => &state.profile.title_en,
        },
        day: today,
        lang,
    };
    Ok(Html(view.render()))
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
    fn render(&self) -> String {
        let lang = self.lang;
        let t = |l: Label| l.text(lang);
        let (switch_href, switch_lang) = match lang {
            Lang::Zh => ("/?lang=en", "en"),
            Lang::En => ("/", "zh-CN"),
        };
        let mut out = String::with_capacity(64 * 1024);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{app} · {title}</title>\n<link rel=\"stylesheet\" href=\"/assets/console.css\">\n</head>\n<body>\n\
             <header class=\"top\">\n<h1><span class=\"app\">{app}</span> {title}</h1>\n\
             <nav aria-label=\"{nav}\"><a href=\"{switch_href}\" lang=\"{switch_lang}\" hreflang=\"{switch_lang}\">{switch}</a></nav>\n\
             </header>\n<main>\n",
            html_lang = html_lang(lang),
            app = t(Label::AppName),
            title = t(Label::ConsoleTitle),
            nav = t(Label::LanguageNav),
            switch = t(Label::SwitchLanguage),
        );
        self.summary(&mut out);
        out.push_str("<div class=\"columns\">\n");
        map::render(&mut out, self);
        findings::render(&mut out, self.report, lang);
        out.push_str("</div>\n</main>\n");
        let _ = write!(
            out,
            "<footer><a href=\"/api/docs/\">{docs}</a> · <a href=\"/openapi.json\">OpenAPI</a></footer>\n</body>\n</html>\n",
            docs = t(Label::ApiDocs)
        );
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
