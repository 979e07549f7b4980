//! Errors of the library: one enum, split into mistakes a user can fix (bad input, bad query,
//! bad configuration, a stale on-disk format) and internal faults (I/O, SQLite, tantivy).
//! Every user-facing variant says what was wrong, where, and what to do; this module must not
//! print or exit — that is the binary's job.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found: a file and, when known, a line (1-based) or record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<u64>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file.display(), line),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- mistakes a user can fix ----
    /// One input record could not be turned into a document.
    #[error("{location}: {message}")]
    BadInput { location: Location, message: String },

    /// A search query that cannot be parsed.
    #[error("bad query {query:?}: {message}")]
    BadQuery { query: String, message: String },

    /// A date option or field that is not in a supported form.
    #[error("cannot parse date {value:?}: {hint}")]
    BadDate { value: String, hint: String },

    /// Configuration (file, environment or flag) that is invalid.
    #[error("configuration: {0}")]
    Config(String),

    /// Something the user asked for that does not exist (a document id, a workflow name).
    #[error("{what} not found: {name}")]
    NotFound { what: &'static str, name: String },

    /// A named thing (a workflow) that exists already where a new one was asked for.
    #[error("{what} {name:?} already exists: {remedy}")]
    AlreadyExists { what: &'static str, name: String, remedy: &'static str },

    /// A field of a request or definition (a workflow's query, a date window) that is invalid.
    #[error("{field}: {message}")]
    BadField { field: String, message: String },

    /// A persisted format written by another version of dossier.
    #[error(
        "{what} at {path} has format version {found}, this dossier expects {expected}: {remedy}"
    )]
    FormatVersion {
        what: &'static str,
        path: PathBuf,
        found: String,
        expected: String,
        remedy: &'static str,
    },

    // ---- failures outside dossier (exit 2 like user mistakes: nothing in dossier is broken) ----
    /// A request to an LLM endpoint failed after retries, or its answer was unusable.
    #[error("LLM: {0}")]
    Llm(String),

    /// Another dossier process holds what this one needs (the data directory's write lock)
    /// for longer than this one may wait.
    #[error("{what} is busy: {detail}; {remedy}")]
    Busy { what: String, detail: String, remedy: &'static str },

    // ---- internal faults ----
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("database: {0}")]
    Sqlite(rusqlite::Error),

    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),

    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    #[error("interrupted")]
    Interrupted,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            // The busy timeout ran out: another process held SQLite's write lock all along.
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => Error::Busy {
                what: "the database".into(),
                detail: format!("another dossier process kept it locked ({e})"),
                remedy: "try again when it has finished",
            },
            _ => Error::Sqlite(e),
        }
    }
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// True for errors caused by what the user gave us or by something outside dossier (an
    /// LLM endpoint, another process holding the data directory), as opposed to internal
    /// faults; the binary uses it to choose an exit status.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Llm(_) | Error::Busy { .. } |
            Error::BadInput { .. }
                | Error::BadQuery { .. }
                | Error::BadDate { .. }
                | Error::Config(_)
                | Error::NotFound { .. }
                | Error::AlreadyExists { .. }
                | Error::BadField { .. }
                | Error::FormatVersion { .. }
        )
    }
}
