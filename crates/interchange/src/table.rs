//! A streamed CSV table: checks the header against the columns a file may have, then yields
//! rows whose fields are already UTF-8-checked and located (file, line, column).

use crate::diag::Diagnostics;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::fmt::Display;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Why a cell is bad, in both languages.
pub(crate) struct Why {
    pub(crate) zh: String,
    pub(crate) en: String,
}

impl Why {
    pub(crate) fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Why {
            zh: zh.into(),
            en: en.into(),
        }
    }
    /// Wraps an error whose text is already bilingual ("english / 中文").
    pub(crate) fn invalid(value: &str, e: impl Display) -> Self {
        Why::new(
            format!("取值 '{value}' 无效：{e}"),
            format!("invalid value '{value}': {e}"),
        )
    }
}

/// A marker that a cell was bad and already reported.
pub(crate) struct Bad;

pub(crate) struct CsvTable {
    pub(crate) file: &'static str,
    reader: csv::Reader<BufReader<File>>,
    /// Position in the record of each known column, by name.
    index: HashMap<&'static str, usize>,
    record: csv::ByteRecord,
}

pub(crate) struct Row<'a> {
    pub(crate) file: &'static str,
    pub(crate) line: u64,
    cells: HashMap<&'static str, &'a str>,
}

impl CsvTable {
    /// Opens `dir/file` and checks its header. `None` (with the errors recorded) when the
    /// file cannot be used at all; `Ok(None)` means the optional file is absent.
    pub(crate) fn open(
        dir: &Path,
        file: &'static str,
        required: &[&'static str],
        optional: &[&'static str],
        d: &mut Diagnostics,
    ) -> Result<Option<CsvTable>, Bad> {
        let path = dir.join(file);
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                d.error(
                    file,
                    None,
                    None,
                    format!("无法打开文件：{e}"),
                    format!("cannot open the file: {e}"),
                );
                return Err(Bad);
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(BufReader::with_capacity(1 << 20, f));
        let header = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                d.error(
                    file,
                    Some(1),
                    None,
                    format!("无法读取表头：{e}"),
                    format!("cannot read the header: {e}"),
                );
                return Err(Bad);
            }
        };
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            d.error(
                file,
                None,
                None,
                "文件为空：缺少表头行",
                "the file is empty: no header row",
            );
            return Err(Bad);
        }
        let mut index = HashMap::new();
        for (k, name) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(name) else {
                d.error(
                    file,
                    Some(1),
                    None,
                    "表头含非 UTF-8 字节",
                    "the header has bytes that are not UTF-8",
                );
                return Err(Bad);
            };
            let name = name.trim_start_matches('\u{feff}');
            match required.iter().chain(optional).find(|c| **c == name) {
                Some(known) => {
                    if index.insert(*known, k).is_some() {
                        d.error(
                            file,
                            Some(1),
                            Some(name),
                            "列名重复",
                            "the column appears twice",
                        );
                        return Err(Bad);
                    }
                }
                None => d.warning(
                    file,
                    Some(1),
                    Some(name),
                    "未知列，已忽略",
                    "unknown column, ignored",
                ),
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !index.contains_key(c))
            .collect();
        for col in &missing {
            d.error(
                file,
                Some(1),
                Some(col),
                "缺少必需的列",
                "a required column is missing",
            );
        }
        if !missing.is_empty() {
            return Err(Bad);
        }
        Ok(Some(CsvTable {
            file,
            reader,
            index,
            record: csv::ByteRecord::new(),
        }))
    }

    /// Bytes read so far, for a progress bar.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row, `Some(Err(Bad))` for a row that could not be read (reported), `None` at
    /// the end.
    pub(crate) fn next_row(&mut self, d: &mut Diagnostics) -> Option<Result<Row<'_>, Bad>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                let mut cells = HashMap::with_capacity(self.index.len());
                let mut bad = false;
                for (name, k) in &self.index {
                    let raw = self.record.get(*k).unwrap_or_default();
                    match std::str::from_utf8(raw) {
                        Ok(s) => {
                            cells.insert(*name, s);
                        }
                        Err(e) => {
                            bad = true;
                            d.error(
                                self.file,
                                Some(line),
                                Some(name),
                                format!("含非 UTF-8 字节（第 {} 字节处）", e.valid_up_to()),
                                format!("bytes that are not UTF-8 (at byte {})", e.valid_up_to()),
                            );
                        }
                    }
                }
                Some(if bad {
                    Err(Bad)
                } else {
                    Ok(Row {
                        file: self.file,
                        line,
                        cells,
                    })
                })
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                d.error(
                    self.file,
                    Some(line),
                    None,
                    format!("无法读取该行：{e}"),
                    format!("cannot read the row: {e}"),
                );
                // A wrong field count or bad UTF-8 leaves the reader usable; an I/O error does not.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    None
                } else {
                    Some(Err(Bad))
                }
            }
        }
    }
}

impl Row<'_> {
    /// The cell's text; an empty cell is absent.
    pub(crate) fn get(&self, col: &str) -> Option<&str> {
        self.cells.get(col).copied().filter(|s| !s.is_empty())
    }

    fn report(&self, d: &mut Diagnostics, col: &str, why: Why) -> Bad {
        d.error(self.file, Some(self.line), Some(col), why.zh, why.en);
        Bad
    }

    /// An optional cell parsed by `parse`.
    pub(crate) fn opt<T>(
        &self,
        d: &mut Diagnostics,
        col: &str,
        parse: impl FnOnce(&str) -> Result<T, Why>,
    ) -> Result<Option<T>, Bad> {
        match self.get(col) {
            None => Ok(None),
            Some(s) => parse(s).map(Some).map_err(|w| self.report(d, col, w)),
        }
    }

    /// A required cell parsed by `parse`.
    pub(crate) fn req<T>(
        &self,
        d: &mut Diagnostics,
        col: &str,
        parse: impl FnOnce(&str) -> Result<T, Why>,
    ) -> Result<T, Bad> {
        match self.get(col) {
            None => Err(self.report(
                d,
                col,
                Why::new("缺少必填值", "a required value is missing"),
            )),
            Some(s) => parse(s).map_err(|w| self.report(d, col, w)),
        }
    }

    /// Reports a problem with the row as a whole or one of its cells.
    pub(crate) fn error(&self, d: &mut Diagnostics, col: Option<&str>, why: Why) -> Bad {
        d.error(self.file, Some(self.line), col, why.zh, why.en);
        Bad
    }
}

/// Parsers for cells, each with a bilingual reason.
pub(crate) mod cell {
    use super::*;

    pub(crate) fn text(s: &str) -> Result<String, Why> {
        Ok(s.to_owned())
    }
    pub(crate) fn with<T, E: Display>(
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> impl FnOnce(&str) -> Result<T, Why> {
        move |s| f(s).map_err(|e| Why::invalid(s, e))
    }
    pub(crate) fn date(s: &str) -> Result<NaiveDate, Why> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            Why::new(
                format!("日期 '{s}' 应为 YYYY-MM-DD"),
                format!("date '{s}' is not YYYY-MM-DD"),
            )
        })
    }
    pub(crate) fn count(s: &str) -> Result<u32, Why> {
        s.parse().map_err(|_| {
            Why::new(
                format!("'{s}' 不是非负整数"),
                format!("'{s}' is not a non-negative integer"),
            )
        })
    }
    pub(crate) fn int(s: &str) -> Result<i64, Why> {
        s.parse().map_err(|_| {
            Why::new(
                format!("'{s}' 不是整数"),
                format!("'{s}' is not an integer"),
            )
        })
    }
    pub(crate) fn float(s: &str) -> Result<f64, Why> {
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(Why::new(
                format!("'{s}' 不是有限的数"),
                format!("'{s}' is not a finite number"),
            )),
        }
    }
    pub(crate) fn boolean(s: &str) -> Result<bool, Why> {
        match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Why::new(
                format!("'{s}' 应为 true 或 false"),
                format!("'{s}' is not true or false"),
            )),
        }
    }
}
