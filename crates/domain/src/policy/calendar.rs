//! Working days under the official PRC holiday calendar (COMP-8 counts filing deadlines
//! in 工作日). Each year the State Council General Office publishes which days are off
//! (放假) and which weekend days are worked instead (调休上班); no rule derives them, so
//! they are a table (`profiles/calendar-cn.toml`), and a date outside the table is an
//! error rather than a guess that Saturday and Sunday are the only days off.

use super::profile::{ProfileError, parse_toml};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;

/// The builtin calendar's name, as profiles reference it.
pub const CALENDAR_CN: &str = "calendar-cn";

const CALENDAR_CN_TOML: &str = include_str!("../../profiles/calendar-cn.toml");

/// A date the calendar has no table for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{date} is outside the holiday calendar ({first_year}–{last_year}) / {date} 不在节假日表覆盖的年份（{first_year}–{last_year}）内"
)]
pub struct OutsideCalendar {
    /// The date asked about.
    pub date: NaiveDate,
    /// First year the table covers.
    pub first_year: i32,
    /// Last year the table covers.
    pub last_year: i32,
}

/// The official calendar: which dates are off and which weekend dates are worked, for a
/// closed range of years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    first_year: i32,
    last_year: i32,
    off: BTreeSet<NaiveDate>,
    work: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The builtin calendar named `name` (only [`CALENDAR_CN`] so far).
    pub fn builtin(name: &str) -> Option<Calendar> {
        (name == CALENDAR_CN).then(|| {
            Calendar::from_toml_str(CALENDAR_CN_TOML)
                .expect("BUG: the builtin calendar parses (see its tests)")
        })
    }

    /// The text of a builtin calendar file, for an administrator to copy and extend.
    pub fn builtin_toml(name: &str) -> Option<&'static str> {
        (name == CALENDAR_CN).then_some(CALENDAR_CN_TOML)
    }

    /// Parses and checks a calendar file: every year from `first_year` to `last_year`
    /// has its notice, each holiday's range has as many days as the notice says, and
    /// every adjusted working day is a Saturday or Sunday (a weekday can't be "moved" to
    /// work, so anything else is a typo).
    pub fn from_toml_str(text: &str) -> Result<Calendar, ProfileError> {
        let file: CalendarFile = parse_toml(text)?;
        let invalid = |field: String, reason: String| ProfileError::Invalid { field, reason };
        if file.first_year > file.last_year {
            return Err(invalid(
                "first_year".into(),
                format!("{} is after last_year {}", file.first_year, file.last_year),
            ));
        }
        let mut off = BTreeSet::new();
        let mut work = BTreeSet::new();
        for year in file.first_year..=file.last_year {
            if !file.notice.iter().any(|n| n.year == year) {
                return Err(invalid(
                    "notice".into(),
                    format!("no notice for year {year}"),
                ));
            }
        }
        for (k, notice) in file.notice.iter().enumerate() {
            for (h, holiday) in notice.holidays.iter().enumerate() {
                let field = |what: &str| format!("notice[{k}].holidays[{h}].{what}");
                let [first, last] = &holiday.off;
                let (first, last) = (
                    to_date(first, &field("off"))?,
                    to_date(last, &field("off"))?,
                );
                if first > last {
                    return Err(invalid(field("off"), format!("{first} is after {last}")));
                }
                let span = (last - first).num_days() + 1;
                if span != i64::from(holiday.days) {
                    return Err(invalid(
                        field("days"),
                        format!(
                            "{} ({}): {first}..{last} is {span} days, the notice says {}",
                            notice.year, holiday.name_zh, holiday.days
                        ),
                    ));
                }
                if (first.year() - notice.year).abs() > 1 || (last.year() - notice.year).abs() > 1 {
                    return Err(invalid(
                        field("off"),
                        format!(
                            "{first}..{last} is far from the notice year {}",
                            notice.year
                        ),
                    ));
                }
                let mut day = first;
                while day <= last {
                    off.insert(day);
                    day += Duration::days(1);
                }
                for w in &holiday.work {
                    let w = to_date(w, &field("work"))?;
                    if !is_weekend(w) {
                        return Err(invalid(
                            field("work"),
                            format!("{w} is a {:?}, not a weekend day", w.weekday()),
                        ));
                    }
                    work.insert(w);
                }
            }
        }
        if let Some(both) = off.intersection(&work).next() {
            return Err(invalid(
                "notice".into(),
                format!("{both} is both off and a working day"),
            ));
        }
        Ok(Calendar {
            name: file.name,
            first_year: file.first_year,
            last_year: file.last_year,
            off,
            work,
        })
    }

    /// The calendar's name (`calendar-cn`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// First year covered.
    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    /// Last year covered.
    pub fn last_year(&self) -> i32 {
        self.last_year
    }

    fn check(&self, date: NaiveDate) -> Result<(), OutsideCalendar> {
        if (self.first_year..=self.last_year).contains(&date.year()) {
            Ok(())
        } else {
            Err(OutsideCalendar {
                date,
                first_year: self.first_year,
                last_year: self.last_year,
            })
        }
    }

    /// Whether `date` is a working day: a weekday that is not off, or a weekend day the
    /// notice makes a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, OutsideCalendar> {
        self.check(date)?;
        Ok(if self.work.contains(&date) {
            true
        } else {
            !is_weekend(date) && !self.off.contains(&date)
        })
    }

    /// Working days in `(from, to]`: the day of founding does not count, the day of
    /// filing does, so `working_days_between(d, add_working_days(d, n)) == n`. Negative
    /// when `to` comes before `from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, OutsideCalendar> {
        if to < from {
            return self.working_days_between(to, from).map(|n| -n);
        }
        let mut n = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            if self.is_working_day(day)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The `n`-th working day after `from` (`from` itself when `n` is 0): the last day of
    /// a deadline of "within n working days of `from`" (002 §四(三): 成立后15个工作日内).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, OutsideCalendar> {
        self.check(from)?;
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }
}

impl Default for Calendar {
    /// An empty calendar covering no year: every question is an [`OutsideCalendar`]
    /// error, which is the honest answer before a table is loaded.
    fn default() -> Self {
        Calendar {
            name: String::new(),
            first_year: 1,
            last_year: 0,
            off: BTreeSet::new(),
            work: BTreeSet::new(),
        }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn to_date(d: &toml::value::Datetime, field: &str) -> Result<NaiveDate, ProfileError> {
    let bad = || ProfileError::Invalid {
        field: field.to_owned(),
        reason: format!("{d} is not a plain date (YYYY-MM-DD)"),
    };
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        )
        .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// `calendar-cn.toml` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    name: String,
    #[allow(dead_code)] // documentation for the reader of the file
    title_zh: String,
    #[allow(dead_code)]
    title_en: String,
    first_year: i32,
    last_year: i32,
    notice: Vec<Notice>,
}

/// One year's notice (国务院办公厅关于<year>年部分节假日安排的通知).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notice {
    year: i32,
    #[allow(dead_code)]
    source: String,
    holidays: Vec<Holiday>,
}

/// One holiday of a notice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Holiday {
    name_zh: String,
    /// First and last day off, inclusive.
    off: [toml::value::Datetime; 2],
    /// 共N天, checked against `off`.
    days: u32,
    /// Weekend days worked instead (调休上班).
    #[serde(default)]
    work: Vec<toml::value::Datetime>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cn() -> Calendar {
        Calendar::builtin(CALENDAR_CN).unwrap()
    }

    fn working(day: &str) -> bool {
        cn().is_working_day(d(day)).unwrap()
    }

    #[test]
    fn builtin_parses_and_covers_2018_to_2026() {
        let c = Calendar::from_toml_str(CALENDAR_CN_TOML).unwrap();
        assert_eq!(c.name(), CALENDAR_CN);
        assert_eq!((c.first_year(), c.last_year()), (2018, 2026));
        assert!(Calendar::builtin("calendar-xx").is_none());
    }

    #[test]
    fn national_day_2024() {
        for day in 1..=7 {
            assert!(
                !working(&format!("2024-10-0{day}")),
                "2024-10-0{day} is off"
            );
        }
        assert!(working("2024-09-29"), "Sunday 2024-09-29 is worked");
        assert!(working("2024-10-12"), "Saturday 2024-10-12 is worked");
        assert!(working("2024-10-08"));
        assert!(!working("2024-10-13"), "an ordinary Sunday");
    }

    #[test]
    fn spring_festival_2020_was_extended_to_february_2() {
        for day in ["2020-01-24", "2020-01-31", "2020-02-01", "2020-02-02"] {
            assert!(!working(day), "{day} is off");
        }
        // the make-up Saturday 2020-02-01 fell inside the extension and was not worked
        assert!(working("2020-01-19"), "make-up Sunday before the festival");
        assert!(working("2020-02-03"));
    }

    #[test]
    fn spring_festival_and_national_day_of_each_year() {
        // (first day off, last day off, make-up working days)
        let table: &[(&str, &str, &[&str])] = &[
            ("2018-02-15", "2018-02-21", &["2018-02-11", "2018-02-24"]),
            ("2018-10-01", "2018-10-07", &["2018-09-29", "2018-09-30"]),
            ("2019-02-04", "2019-02-10", &["2019-02-02", "2019-02-03"]),
            ("2019-10-01", "2019-10-07", &["2019-09-29", "2019-10-12"]),
            ("2020-10-01", "2020-10-08", &["2020-09-27", "2020-10-10"]),
            ("2021-02-11", "2021-02-17", &["2021-02-07", "2021-02-20"]),
            ("2021-10-01", "2021-10-07", &["2021-09-26", "2021-10-09"]),
            ("2022-01-31", "2022-02-06", &["2022-01-29", "2022-01-30"]),
            ("2022-10-01", "2022-10-07", &["2022-10-08", "2022-10-09"]),
            ("2023-01-21", "2023-01-27", &["2023-01-28", "2023-01-29"]),
            ("2023-09-29", "2023-10-06", &["2023-10-07", "2023-10-08"]),
            ("2024-02-10", "2024-02-17", &["2024-02-04", "2024-02-18"]),
            ("2025-01-28", "2025-02-04", &["2025-01-26", "2025-02-08"]),
            ("2025-10-01", "2025-10-08", &["2025-09-28", "2025-10-11"]),
            ("2026-02-15", "2026-02-23", &["2026-02-14", "2026-02-28"]),
            ("2026-10-01", "2026-10-07", &["2026-09-20", "2026-10-10"]),
        ];
        let c = cn();
        for (first, last, work) in table {
            let (first, last) = (d(first), d(last));
            let mut day = first;
            while day <= last {
                assert!(!c.is_working_day(day).unwrap(), "{day} is off");
                day += Duration::days(1);
            }
            assert!(
                c.is_working_day(last + Duration::days(1)).unwrap()
                    || is_weekend(last + Duration::days(1))
            );
            for w in *work {
                assert!(c.is_working_day(d(w)).unwrap(), "{w} is worked");
            }
        }
    }

    #[test]
    fn fifteen_working_days_across_mid_autumn_and_national_day_2023() {
        let c = cn();
        // founded Monday 2023-09-25: 26, 27, 28 Sep; 29 Sep–6 Oct off; 7, 8 Oct worked
        // (Sat, Sun); 9–13 Oct; 16–20 Oct → the 15th is Friday 2023-10-20.
        assert_eq!(
            c.add_working_days(d("2023-09-25"), 15).unwrap(),
            d("2023-10-20")
        );
        assert_eq!(
            c.working_days_between(d("2023-09-25"), d("2023-10-20"))
                .unwrap(),
            15
        );
        assert_eq!(
            c.working_days_between(d("2023-09-25"), d("2023-10-23"))
                .unwrap(),
            16
        );
        assert_eq!(
            c.working_days_between(d("2023-10-23"), d("2023-09-25"))
                .unwrap(),
            -16
        );
        assert_eq!(
            c.add_working_days(d("2023-09-25"), 0).unwrap(),
            d("2023-09-25")
        );
    }

    #[test]
    fn dates_outside_the_table_are_errors() {
        let c = cn();
        let err = c.is_working_day(d("2017-06-01")).unwrap_err();
        assert_eq!(err.first_year, 2018);
        assert!(c.is_working_day(d("2027-01-04")).is_err());
        // a deadline that runs off the end of the table is an error, not a guess
        assert!(c.add_working_days(d("2026-12-25"), 15).is_err());
        assert!(Calendar::default().is_working_day(d("2024-01-02")).is_err());
    }

    #[test]
    fn calendar_typos_are_caught() {
        let base = |holiday: &str| {
            format!(
                "name = \"t\"\ntitle_zh = \"t\"\ntitle_en = \"t\"\nfirst_year = 2024\nlast_year = 2024\n\
                 [[notice]]\nyear = 2024\nsource = \"s\"\nholidays = [{holiday}]\n"
            )
        };
        let ok = base(
            "{ name_zh = \"国庆节\", off = [2024-10-01, 2024-10-07], days = 7, work = [2024-09-29, 2024-10-12] }",
        );
        assert!(Calendar::from_toml_str(&ok).is_ok());
        let days = base("{ name_zh = \"国庆节\", off = [2024-10-01, 2024-10-07], days = 8 }");
        let err = Calendar::from_toml_str(&days).unwrap_err().to_string();
        assert!(err.contains("notice[0].holidays[0].days"), "{err}");
        let weekday = base(
            "{ name_zh = \"国庆节\", off = [2024-10-01, 2024-10-07], days = 7, work = [2024-10-09] }",
        );
        let err = Calendar::from_toml_str(&weekday).unwrap_err().to_string();
        assert!(err.contains("holidays[0].work"), "{err}");
        let missing = base("{ name_zh = \"国庆节\", off = [2024-10-01, 2024-10-07] }");
        let err = Calendar::from_toml_str(&missing).unwrap_err().to_string();
        assert!(err.contains("days"), "{err}");
    }

    #[test]
    fn every_notice_year_has_the_seven_festivals() {
        let file: CalendarFile = parse_toml(CALENDAR_CN_TOML).unwrap();
        for n in &file.notice {
            let names: String = n.holidays.iter().map(|h| h.name_zh.as_str()).collect();
            for festival in [
                "元旦",
                "春节",
                "清明节",
                "劳动节",
                "端午节",
                "中秋节",
                "国庆节",
            ] {
                assert!(names.contains(festival), "{} lacks {festival}", n.year);
            }
        }
    }

    proptest! {
        #[test]
        fn adding_then_counting_gives_n_back(offset in 0i64..3000, n in 0u32..60) {
            let c = cn();
            let from = d("2018-01-01") + Duration::days(offset);
            if let Ok(to) = c.add_working_days(from, n) {
                prop_assert_eq!(c.working_days_between(from, to).unwrap(), i64::from(n));
                prop_assert!(n == 0 || c.is_working_day(to).unwrap());
            }
        }
    }
}
