//! Located, bilingual diagnostics for bad input.

use serde::Serialize;
use std::fmt;

/// Most diagnostics kept from one run; past it a run still counts errors but stops
/// collecting, so a 1 GB file full of errors cannot exhaust memory.
pub const DIAGNOSTICS_MAX: usize = 200;

/// Error (the import fails) or warning (it goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The input cannot be taken.
    Error,
    /// Taken, but worth a look (unknown column, declared grid differs …).
    Warning,
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// File name inside the folder.
    pub file: String,
    /// 1-based line of the file (the header is line 1); none for whole-file problems.
    pub row: Option<u64>,
    /// Column or property.
    pub column: Option<String>,
    /// Message in Chinese.
    pub message_zh: String,
    /// Message in English.
    pub message_en: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "错误 error",
            Level::Warning => "警告 warning",
        };
        write!(f, "{level}: {}", self.file)?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        if let Some(col) = &self.column {
            write!(f, " [{col}]")?;
        }
        write!(f, ": {} / {}", self.message_zh, self.message_en)
    }
}

/// The diagnostics of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: u64,
    warnings: u64,
}

impl Diagnostics {
    fn push(&mut self, d: Diagnostic) {
        if self.items.len() < DIAGNOSTICS_MAX {
            self.items.push(d);
        }
    }
    /// Records an error.
    pub fn error(
        &mut self,
        file: &str,
        row: Option<u64>,
        column: Option<&str>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.errors += 1;
        self.record(Level::Error, file, row, column, zh.into(), en.into());
    }
    /// Records a warning.
    pub fn warning(
        &mut self,
        file: &str,
        row: Option<u64>,
        column: Option<&str>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.warnings += 1;
        self.record(Level::Warning, file, row, column, zh.into(), en.into());
    }
    fn record(
        &mut self,
        level: Level,
        file: &str,
        row: Option<u64>,
        column: Option<&str>,
        message_zh: String,
        message_en: String,
    ) {
        self.push(Diagnostic {
            level,
            file: file.to_owned(),
            row,
            column: column.map(str::to_owned),
            message_zh,
            message_en,
        });
    }
    /// Takes in another run's diagnostics (its items up to the cap, all its counts).
    pub fn absorb(&mut self, other: Diagnostics) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        for d in other.items {
            self.push(d);
        }
    }
    /// Errors seen, including those past the cap.
    pub fn error_count(&self) -> u64 {
        self.errors
    }
    /// Warnings seen, including those past the cap.
    pub fn warning_count(&self) -> u64 {
        self.warnings
    }
    /// The kept diagnostics, in the order found.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }
    /// True when more were seen than kept.
    pub fn truncated(&self) -> bool {
        (self.errors + self.warnings) as usize > self.items.len()
    }
}
