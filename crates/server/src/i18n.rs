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
    Notices => ("新通知", "New notices"),
    ConsoleTitle => ("城市医联体网格总览", "City medical consortia: grid overview"),
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
    MainNav => ("主导航", "Main navigation"),
    NavHome => ("首页", "Home"),
    NavMap => ("网格总览", "Grid overview"),
    NavPersons => ("居民档案", "Residents"),
    NavAuditTrail => ("审计日志", "Audit trail"),
    NavUsers => ("用户管理", "Users"),
    NavTokens => ("接口令牌", "API tokens"),
    NavMe => ("我的档案", "My record"),
    LoginTitle => ("登录", "Sign in"),
    UserName => ("用户名", "User name"),
    Password => ("密码", "Password"),
    SignIn => ("登录", "Sign in"),
    SignOut => ("退出登录", "Sign out"),
    SignedInAs => ("当前用户", "Signed in as"),
    Welcome => ("欢迎", "Welcome"),
    YourRoles => ("您的角色与授权范围", "Your roles and scopes"),
    YourPages => ("可用功能", "What you can use"),
    ColRole => ("角色", "Role"),
    ColScope => ("范围", "Scope"),
    ErrorTitle => ("无法完成请求", "The request could not be completed"),
    BackHome => ("返回首页", "Back to the home page"),
    FindResident => ("查找居民", "Find a resident"),
    ResidentId => ("居民编号", "Resident id"),
    IdCardNumber => ("身份证号", "ID number"),
    Phone => ("电话", "Phone"),
    Name => ("姓名", "Name"),
    Sex => ("性别", "Sex"),
    BirthDate => ("出生日期", "Date of birth"),
    Team => ("家庭医生团队", "Family-doctor team"),
    SignedOn => ("签约日期", "Contract date"),
    Conditions => ("慢性病", "Chronic conditions"),
    Pregnant => ("孕产期", "Pregnant"),
    Purpose => ("查阅目的", "Purpose"),
    Open => ("查看", "Open"),
    Search => ("查询", "Search"),
    MaskedNote => ("证件号、电话、姓名已按您的角色脱敏显示。", "ID number, phone and name are masked for your role."),
    TeamResidents => ("本团队签约居民", "Residents signed with your team"),
    BreakGlass => ("紧急查看（破窗）", "Emergency access (break-glass)"),
    BreakGlassHelp => ("无诊疗关系时，急救等紧急情况可填写理由后查看；每次均记录并提交审计员复核。", "Without a care relation, in an emergency you may open the record with a typed reason; every access is recorded and reviewed by an auditor."),
    Reason => ("理由", "Reason"),
    FlaggedNote => ("本次为紧急查看，已记录并标记待审计复核。", "This was an emergency access; it is recorded and flagged for review."),
    Actor => ("操作者", "Actor"),
    Action => ("操作", "Action"),
    Person => ("居民", "Person"),
    Outcome => ("结果", "Outcome"),
    Flagged => ("待复核", "Flagged"),
    Time => ("时间（北京时间）", "Time (UTC+8)"),
    From => ("来源", "From"),
    OnlyFlagged => ("只看待复核", "Flagged only"),
    NextPage => ("下一页", "Next page"),
    NoEntries => ("没有记录", "No entries"),
    Users => ("用户", "Users"),
    DisplayName => ("显示名", "Display name"),
    Grant => ("授权（角色@范围）", "Grant (role@scope)"),
    AddUser => ("新增用户", "Add a user"),
    Disable => ("停用", "Disable"),
    Disabled => ("已停用", "Disabled"),
    Status => ("状态", "Status"),
    Active => ("正常", "Active"),
    FirstPasswordOnce => ("初始密码（仅显示一次，请当面交给用户）", "First password (shown once; hand it to the user in person)"),
    OptionalPassword => ("初始密码（留空则自动生成）", "First password (leave empty to generate one)"),
    Tokens => ("接口令牌", "API tokens"),
    TokenName => ("用途", "What it is for"),
    Days => ("有效天数", "Days valid"),
    CreateToken => ("创建令牌", "Create token"),
    TokenOnce => ("令牌（仅显示一次，请立即保存）", "Token (shown once; store it now)"),
    Created => ("创建时间", "Created"),
    Expires => ("到期时间", "Expires"),
    Revoke => ("吊销", "Revoke"),
    Revoked => ("已吊销", "Revoked"),
    NoTokens => ("尚无令牌", "No tokens yet"),
    NavReferrals => ("双向转诊", "Referrals"),
    NewReferral => ("发起转诊", "Refer a person"),
    Refer => ("提交转诊", "Refer"),
    BookPool => ("同时预约号源池（可选）", "Book a slot in pool (optional)"),
    Inbox => ("收到的转诊（待办）", "Referrals received"),
    Outbox => ("发出的转诊", "Referrals sent"),
    ReferralId => ("转诊单号", "Referral"),
    To => ("接收机构", "To"),
    Urgency => ("紧急程度", "Urgency"),
    Direction => ("转诊方向", "Direction"),
    Accept => ("接收", "Accept"),
    Reject => ("拒收", "Reject"),
    Schedule => ("安排就诊", "Schedule"),
    Arrive => ("已到诊", "Arrived"),
    Complete => ("回传结果", "Return the outcome"),
    ConfirmFirstVisit => ("确认首次随访", "Confirm the first visit"),
    Deadline => ("时限", "Due"),
    Overdue1 => ("已超时·已提醒转诊办", "Overdue: desk alerted"),
    Overdue2 => ("已超时·已上报集团", "Overdue: group manager alerted"),
    DownReferral => ("下转（由家庭医生团队接续）", "Down-referral (to a family-doctor team)"),
    Diagnosis => ("诊断", "Diagnosis"),
    Medications => ("用药（每行：药名 | 剂量 | 频次）", "Medications (one per line: name | dose | frequency)"),
    CarePlanText => ("诊疗与照护方案", "Treatment and care plan"),
    FollowUps => ("随访任务（每行：YYYY-MM-DD 任务）", "Follow-up tasks (one per line: YYYY-MM-DD task)"),
    CarePlanShort => ("下转方案", "Care plan"),
    NavReferralClocks => ("转诊时限", "Referral clocks"),
    Priority => ("签约优先（REF-3）", "Signed: priority (REF-3)"),
    ClocksByReceiver => ("各接收机构的转诊时限", "Clocks by receiving institution"),
    ClocksOpen => ("待处理", "Waiting"),
    ClocksOverdue => ("已超时", "Overdue now"),
    ClocksToManager => ("已上报集团", "Escalated to the group"),
    ClocksMissed => ("近30天超时（上报集团）", "Deadlines missed in 30 days (to the group)"),
    ClocksOverdueList => ("超时的转诊（最久的在前）", "Overdue referrals, longest first"),
    Yes => ("是", "yes"),
    No => ("否", "no"),
    Receivers => ("推荐接收机构", "Proposed receivers"),
    Capability => ("所需能力", "Capability"),
    FindReceivers => ("查找", "Find"),
    Tier => ("与医联体关系", "Tier"),
    FreeReserved => ("7天内空余预留号", "Free reserved (7 days)"),
    FreePublic => ("7天内空余公开号", "Free public (7 days)"),
    ReferralSuggestion => ("慢病转诊建议（REF-2）", "Chronic-disease referral suggestion (REF-2)"),
    NoSuggestion => ("随访读数未达到转诊标准", "no criterion met"),
    NavPools => ("号源与床位", "Slots and beds"),
    PoolView => ("号源床位使用情况：预留、使用、回流、浪费", "Pool view: reserved, used, returned, wasted"),
    Institution => ("机构", "Institution"),
    FromDay => ("开始日期", "From"),
    ToDay => ("结束日期", "To"),
    Department => ("科室/病区", "Department or ward"),
    Day => ("日期", "Day"),
    Kind => ("类别", "Kind"),
    Session => ("时段", "Session"),
    Capacity => ("总数", "Capacity"),
    Reserved => ("预留", "Reserved"),
    UsedByReferrals => ("转诊使用", "Used by referrals"),
    Returned => ("回流公开", "Returned to the public"),
    Wasted => ("浪费（未用或爽约）", "Wasted (unused or no-show)"),
    PublicBooked => ("公众预约", "Booked by the public"),
    OpenPool => ("开放号源或床位", "Open slots or beds"),
    OpenPoolHelp => (
        "按标准放号：预留部分提前 14 天向基层开放，公开部分提前 7 天，未用预留于开始前 12 小时回流公开。牵头医院须预留至少 1/3 门诊号源（QUOTA-1）、1/4 床位（QUOTA-2）。",
        "Standard release: reserved capacity opens to primary care 14 days ahead, public 7 days ahead, unused reserved returns 12 hours before the start. A lead hospital reserves at least 1/3 of slots (QUOTA-1) and 1/4 of beds (QUOTA-2)."
    ),
}

/// The language a `?lang=` asks for: English for `en`, Chinese for anything else.
pub(crate) fn lang_of(param: Option<&str>) -> Lang {
    match param {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// The language of a console request: `?lang=` when given, else the language cookie,
/// else Chinese.
pub(crate) fn lang_of_request(headers: &axum::http::HeaderMap, param: Option<&str>) -> Lang {
    match param {
        Some(p) => lang_of(Some(p)),
        None => lang_of(crate::auth::cookie(headers, crate::auth::LANG_COOKIE)),
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
            // the app's name is the one label that is the same in both
            if !matches!(l, Label::AppName) {
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{l:?} zh has no Chinese"
                );
                assert!(en.is_ascii(), "{l:?} en is not English");
            }
        }
    }
}
