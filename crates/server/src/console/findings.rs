//! The audit findings as a table: rule and its source, severity (in words and colour,
//! never colour alone), subject, the message in the page's language with the other one
//! smaller below, and the figures behind it.

use super::escape;
use crate::i18n::Label;
use std::fmt::Write;
use yilian_domain::policy::{AuditReport, Lang, Severity};

/// Writes the findings section.
pub(super) fn render(out: &mut String, report: &AuditReport, lang: Lang) {
    let t = |l: Label| l.text(lang);
    let _ = write!(
        out,
        "<section class=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">{}</h2>\n\
         <table class=\"findings-table\">\n<caption>{} <code>{}</code> · {} {} · {} {}</caption>\n<thead><tr>",
        t(Label::FindingsHeading),
        t(Label::Profile),
        escape(&report.profile),
        t(Label::Errors),
        report.summary.errors,
        t(Label::Warnings),
        report.summary.warnings,
    );
    for col in [
        Label::ColRule,
        Label::ColSeverity,
        Label::ColSubject,
        Label::ColMessage,
        Label::ColFigures,
    ] {
        let _ = write!(out, "<th scope=\"col\">{}</th>", t(col));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"5\" class=\"none\">{}</td></tr>",
            t(Label::NoFindings)
        );
    }
    for f in &report.findings {
        let (class, severity) = match (f.severity, lang) {
            (Severity::Error, Lang::Zh) => ("error", Severity::Error.zh()),
            (Severity::Error, Lang::En) => ("error", "error"),
            (Severity::Warning, Lang::Zh) => ("warning", Severity::Warning.zh()),
            (Severity::Warning, Lang::En) => ("warning", "warning"),
        };
        let kind = match lang {
            Lang::Zh => f.subject.kind.zh(),
            Lang::En => f.subject.kind.as_str(),
        };
        let ((main, main_lang), (alt, alt_lang)) = match lang {
            Lang::Zh => ((&f.message_zh, "zh-CN"), (&f.message_en, "en")),
            Lang::En => ((&f.message_en, "en"), (&f.message_zh, "zh-CN")),
        };
        let _ = write!(
            out,
            "<tr class=\"sev-{class}\">\
             <th scope=\"row\"><code>{rule}</code><small title=\"{source_label}\">{source}</small></th>\
             <td><span class=\"badge badge-{class}\">{severity}</span></td>\
             <td>{kind} <code>{id}</code><br>{name}</td>\
             <td><p lang=\"{main_lang}\">{main}</p><p class=\"alt\" lang=\"{alt_lang}\">{alt}</p></td><td>",
            rule = f.rule.as_str(),
            source_label = t(Label::Source),
            source = escape(&f.source),
            id = escape(&f.subject.id),
            name = escape(&f.subject.name),
            main = escape(main),
            alt = escape(alt),
        );
        if !f.figures.is_empty() {
            out.push_str("<ul class=\"figures\">");
            for (k, v) in &f.figures {
                let value = figure(v);
                let _ = write!(
                    out,
                    "<li><code>{}</code> {}</li>",
                    escape(k),
                    escape(&value)
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// A figure as a reader wants it: text unquoted, lists joined, numbers as JSON has them.
fn figure(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::Array(items) => items.iter().map(figure).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use serde_json::{Map, Value};
    use yilian_domain::policy::{Finding, RuleId, Subject, SubjectKind};

    fn report() -> AuditReport {
        let mut figures = Map::new();
        figures.insert("consortia".into(), Value::from(vec!["C01", "C02"]));
        figures.insert("area_km2".into(), Value::from(1.5));
        AuditReport::new(
            "national",
            vec![Finding {
                rule: RuleId::Grid3,
                severity: Severity::Error,
                subject: Subject {
                    kind: SubjectKind::Grid,
                    id: "G01".into(),
                    name: "样例区<网格>一".into(),
                },
                message_zh: "网格由 2 个医联体同时负责".into(),
                message_en: "2 consortia serve this grid".into(),
                figures,
                source: "001 §三(一)1".into(),
            }],
        )
    }

    #[test]
    fn findings_table_markup_is_pinned() {
        let mut out = String::new();
        render(&mut out, &report(), Lang::Zh);
        insta::assert_snapshot!(out, @r#"
        <section class="findings" aria-labelledby="findings-h">
        <h2 id="findings-h">审核结果</h2>
        <table class="findings-table">
        <caption>政策规范 <code>national</code> · 错误 1 · 警告 0</caption>
        <thead><tr><th scope="col">规则</th><th scope="col">级别</th><th scope="col">对象</th><th scope="col">说明</th><th scope="col">数据</th></tr></thead>
        <tbody>
        <tr class="sev-error"><th scope="row"><code>GRID-3</code><small title="依据">001 §三(一)1</small></th><td><span class="badge badge-error">错误</span></td><td>网格 <code>G01</code><br>样例区&lt;网格&gt;一</td><td><p lang="zh-CN">网格由 2 个医联体同时负责</p><p class="alt" lang="en">2 consortia serve this grid</p></td><td><ul class="figures"><li><code>area_km2</code> 1.5</li><li><code>consortia</code> C01, C02</li></ul></td></tr>
        </tbody>
        </table>
        </section>
        "#);
    }

    #[test]
    fn english_puts_english_first() {
        let mut out = String::new();
        render(&mut out, &report(), Lang::En);
        let en = out
            .find("<p lang=\"en\">2 consortia serve this grid</p>")
            .unwrap();
        let zh = out
            .find("<p class=\"alt\" lang=\"zh-CN\">网格由 2 个医联体同时负责</p>")
            .unwrap();
        assert!(en < zh);
        assert!(out.contains("<span class=\"badge badge-error\">error</span>"));
        let mut empty = String::new();
        render(
            &mut empty,
            &AuditReport::new("national", Vec::new()),
            Lang::En,
        );
        assert!(empty.contains("<td colspan=\"5\" class=\"none\">No findings</td>"));
    }
}
