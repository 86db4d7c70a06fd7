//! The console page: map, findings, both languages, nothing from outside.

use crate::helpers::spawn_app;
use axum::http::StatusCode;
use chrono::Days;
use serde_json::json;

/// Every `href="…"` and `src="…"` value of a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            out.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    out
}

/// Asserts that a page loads nothing from another host.
pub(crate) fn assert_local_only(html: &str) {
    for l in links(html) {
        assert!(!l.contains("//"), "external reference {l}");
    }
    let without_svg_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_svg_ns.contains("http://") && !without_svg_ns.contains("https://"));
}

yilian_store::dbtest!(console_shows_map_and_findings_in_chinese, |store| {
    let app = spawn_app(store).await;
    let reg = app.registry();
    // a consortium with a warning (COMP-4: too few members) and markup in its name
    let today = yilian_service::today();
    let body = json!({
        "name": "<script>alert(1)</script>专科联盟",
        "kind": "specialty_alliance",
        "lead_institution_id": app.groups()[0].lead.as_str(),
        "founded_on": today.checked_sub_days(Days::new(30)).unwrap().to_string(),
        "filed_on": today.checked_sub_days(Days::new(27)).unwrap().to_string(),
        "evaluated_on": today.checked_sub_days(Days::new(5)).unwrap().to_string(),
    });
    let (status, reply) = app.put_json("/api/v1/consortia/C900", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");

    let r = app.get("/map").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/html"));
    let html = r.text();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("<svg class=\"grid-map\""));
    assert!(html.contains("role=\"img\""));
    assert_eq!(
        html.matches("<path class=\"grid\"").count(),
        reg.grids.len()
    );
    let located = reg
        .institutions
        .iter()
        .filter(|i| i.location.is_some())
        .count();
    assert_eq!(html.matches("<g class=\"inst ").count(), located);
    assert!(html.matches("<g class=\"inst level-3 lead\">").count() >= app.groups().len());
    for g in &reg.grids {
        assert!(html.contains(&g.name), "grid label {}", g.name);
    }
    for c in app.groups() {
        assert!(html.contains(&c.name), "legend {}", c.name);
    }
    for label in [
        "网格分布图",
        "审核结果",
        "图例",
        "医疗集团",
        "牵头医院",
        "规则",
        "级别",
        "说明",
    ] {
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains("<table class=\"findings-table\">"));
    assert!(html.contains("<th scope=\"col\">"));
    assert!(html.contains("<tr class=\"sev-warning\"><th scope=\"row\"><code>COMP-4</code>"));
    assert!(html.contains("<span class=\"badge badge-warning\">警告</span>"));
    // the English message sits below the Chinese one
    let row = &html[html.find("<code>COMP-4</code>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.find("<p lang=\"zh-CN\">").unwrap()
            < row.find("<p class=\"alt\" lang=\"en\">").unwrap()
    );
    // names are escaped
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;专科联盟"));
    assert!(
        html.contains(
            "<a href=\"?lang=en\" data-lang=\"en\" lang=\"en\" hreflang=\"en\">English</a>"
        )
    );
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/assets/console.css\">"));
    assert_local_only(&html);
});

yilian_store::dbtest!(console_switches_to_english, |store| {
    let app = spawn_app(store).await;
    let r = app.get("/map?lang=en").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<html lang=\"en\">"));
    for label in [
        "Grid map",
        "Audit findings",
        "Legend",
        "Medical groups",
        "Lead hospital",
        "Residents",
        "Policy profile",
    ] {
        assert!(html.contains(label), "{label}");
    }
    for zh in ["网格分布图", "审核结果", "图例"] {
        assert!(!html.contains(zh), "{zh} left untranslated");
    }
    assert!(html.contains(
        "<a href=\"?lang=zh\" data-lang=\"zh\" lang=\"zh-CN\" hreflang=\"zh-CN\">中文</a>"
    ));
    assert!(
        r.headers[axum::http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("yilian_lang=en"),
        "the choice is remembered"
    );
    assert_eq!(
        html.matches("<path class=\"grid\"").count(),
        app.registry().grids.len()
    );
});

yilian_store::dbtest!(stylesheet_comes_from_the_binary, |store| {
    let app = spawn_app(store).await;
    let r = app.get("/assets/console.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/css"));
    let css = r.text();
    assert!(css.contains(".findings-table"));
    assert!(!css.contains("url("), "no fonts or images fetched");
});
