//! The console's message catalogue: every label a page shows, Chinese first, English
//! second, in one table, so a translation is one line to change and no label can exist
//! in one language only. Domain names (institution kinds, severities) come from the
//! domain's own tables.

use yilian_domain::policy::Lang;
use yilian_domain::registry::InstitutionKind;

/// Declares the labels with their two texts.
macro_rules! labels {
    ($($name:ident => ($zh:literal, $en:literal)),+ $(,)?) => {
        /// A label of the console.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Label {
            $($name),+
        }
        impl Label {
            /// Every label, for the catalogue's own test.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Label] = &[$(Label::$name),+];
            /// The text in `lang`.
            pub(crate) fn text(self, lang: Lang) -> &'static str {
                let (zh, en) = match self {
                    $(Label::$name => ($zh, $en)),+
                };
                match lang {
                    Lang::Zh => zh,
                    Lang::En => en,
                }
            }
        }
    };
}

labels! {
    AppName => ("医联", "yilian"),
    ConsoleTitle => ("城市医联体网格总览", "City medical consortia: grid overview"),
    SwitchLanguage => ("English", "中文"),
    LanguageNav => ("语言", "Language"),
    Summary => ("概况", "Summary"),
    Grids => ("网格", "Grids"),
    Institutions => ("医疗卫生机构", "Institutions"),
    Consortia => ("医联体", "Consortia"),
    Residents => ("常住居民", "Residents"),
    Errors => ("错误", "Errors"),
    Warnings => ("警告", "Warnings"),
    Profile => ("政策规范", "Policy profile"),
    AuditDate => ("审核日期", "Audit date"),
    MapHeading => ("网格分布图", "Grid map"),
    MapDescription => (
        "各网格按服务它的城市医疗集团着色；圆点为医疗卫生机构，大小和颜色表示医院等级，带黑圈者为牵头医院。",
        "Grids coloured by the urban medical group serving them; dots are institutions, sized and coloured by level; a black ring marks a lead hospital."
    ),
    NoGrids => ("尚无生效的网格", "No grid is in force"),
    Legend => ("图例", "Legend"),
    MedicalGroups => ("医疗集团", "Medical groups"),
    NoGroup => ("无医疗集团服务", "Served by no group"),
    Levels => ("医院等级", "Hospital level"),
    Tier3 => ("三级", "Tier 3"),
    Tier2 => ("二级", "Tier 2"),
    Tier1 => ("一级", "Tier 1"),
    Tier0 => ("未定级", "Unrated"),
    LeadHospital => ("牵头医院", "Lead hospital"),
    FindingsHeading => ("审核结果", "Audit findings"),
    ColRule => ("规则", "Rule"),
    ColSeverity => ("级别", "Severity"),
    ColSubject => ("对象", "Subject"),
    ColMessage => ("说明", "Message"),
    ColFigures => ("数据", "Figures"),
    NoFindings => ("未发现问题", "No findings"),
    Source => ("依据", "Source"),
    ApiDocs => ("接口文档", "API documentation"),
}

/// The language a `?lang=` asks for: English for `en`, Chinese for anything else.
pub(crate) fn lang_of(param: Option<&str>) -> Lang {
    match param {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// The `lang` attribute of a page in `lang`.
pub(crate) fn html_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

/// An institution kind in `lang`: the domain's Chinese name, or the code read as words.
pub(crate) fn kind_name(kind: InstitutionKind, lang: Lang) -> String {
    match lang {
        Lang::Zh => kind.zh().to_owned(),
        Lang::En => kind.as_str().replace('_', " "),
    }
}

/// A hospital level 0–3 in `lang`.
pub(crate) fn level_name(level: u8, lang: Lang) -> &'static str {
    match level {
        3 => Label::Tier3,
        2 => Label::Tier2,
        1 => Label::Tier1,
        _ => Label::Tier0,
    }
    .text(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages() {
        for l in Label::ALL {
            let (zh, en) = (l.text(Lang::Zh), l.text(Lang::En));
            assert!(!zh.is_empty() && !en.is_empty(), "{l:?}");
            // the switch link is the one label written in the other language on purpose
            if !matches!(l, Label::SwitchLanguage | Label::AppName) {
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{l:?} zh has no Chinese"
                );
                assert!(en.is_ascii(), "{l:?} en is not English");
            }
        }
    }
}
