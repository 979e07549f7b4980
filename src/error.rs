//! Errors of the library: one enum, each variant in one [`ErrorClass`] — mistakes a user can
//! fix (bad input, bad query, bad configuration, a stale on-disk format), failures outside
//! dossier (an LLM endpoint, another process holding the data directory), internal faults
//! (SQLite, tantivy, I/O that is not the user's to fix) and interruption. Every user-facing
//! variant says what was wrong, where, and what to do; this module must not print or exit —
//! that is the binary's job (it maps the class to the exit status).

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

    /// A source (a feed, a page, a webhook receiver) could not be fetched or refused what was
    /// sent; `what` names the source and the URL, `message` the problem and what to do.
    #[error("{what}: {message}")]
    Fetch { what: String, message: String },

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

    /// The user pressed Ctrl-C and the command stopped early, keeping what it had committed.
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

/// Whose problem an error is: decides the exit status and the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Something the user gave (input, query, flag, setting) is wrong; they can fix it.
    User,
    /// Something outside dossier failed or is in the way (an LLM endpoint, another process,
    /// the file system refusing); nothing in dossier is broken and retrying may help.
    External,
    /// A fault in dossier or the data it keeps: a bug report is in order.
    Internal,
    /// The user stopped the command.
    Interrupted,
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Whose problem this is. Exhaustive on purpose: a new variant must be classified.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::BadInput { .. }
            | Error::BadQuery { .. }
            | Error::BadDate { .. }
            | Error::Config(_)
            | Error::NotFound { .. }
            | Error::AlreadyExists { .. }
            | Error::BadField { .. }
            | Error::FormatVersion { .. } => ErrorClass::User,
            Error::Llm(_) | Error::Fetch { .. } | Error::Busy { .. } => ErrorClass::External,
            // A path that vanished, a permission or a full disk is for the user to fix, not a
            // bug; other I/O failures (EIO, a broken pipe mid-write) are treated as faults.
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound
                | std::io::ErrorKind::PermissionDenied
                | std::io::ErrorKind::ReadOnlyFilesystem
                | std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::QuotaExceeded
                | std::io::ErrorKind::FileTooLarge => ErrorClass::External,
                _ => ErrorClass::Internal,
            },
            Error::Sqlite(_) | Error::Index(_) | Error::Json(_) => ErrorClass::Internal,
            Error::Interrupted => ErrorClass::Interrupted,
        }
    }

    /// True for a mistake of the user, an LLM failure or a busy lock: the errors that end one
    /// item of a batch (an eval query, a workflow's digest) without ending the batch. I/O
    /// failures are not among them even when external: the next item would meet them too.
    pub fn is_user_error(&self) -> bool {
        self.class() == ErrorClass::User || matches!(self, Error::Llm(_) | Error::Fetch { .. } | Error::Busy { .. })
    }
}

/// At most `max_chars` characters of `text` (an input excerpt quoted in a message), with `…`
/// when cut, so a message never carries a whole megabyte line.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let missing = Error::io("/x", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(missing.class(), ErrorClass::External);
        let eio = Error::io("/x", std::io::Error::other("EIO"));
        assert_eq!(eio.class(), ErrorClass::Internal);
        assert_eq!(Error::Interrupted.class(), ErrorClass::Interrupted);
        assert_eq!(Error::Llm("down".into()).class(), ErrorClass::External);
        assert_eq!(Error::Config("x".into()).class(), ErrorClass::User);
        assert!(!Error::Interrupted.is_user_error());
        assert!(!missing.is_user_error() && Error::Llm("down".into()).is_user_error());
    }

    #[test]
    fn excerpt_cuts_at_characters() {
        assert_eq!(excerpt("稀土供应链", 2), "稀土…");
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("abc", 3), "abc");
    }
}
