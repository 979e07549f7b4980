//! sources: what the web UI needs of polled sources (feeds, watched directories).
//!
//! STUB FOR THE MERGE. The sources module (its store tables, `dossier source …`, polling) is
//! built on another branch. The pages (`/sources` and its forms, in `manage.rs`) are written
//! against this small read-only view and four functions; the merge replaces the bodies of
//! [`list`], [`get`], [`add`], [`edit`] and [`remove`] with calls into that module and nothing
//! else. Until then there are no sources and changing them says so.

use chrono::{DateTime, Utc};

use crate::engine::Engine;
use crate::error::{Error, Result};

/// One source and its health, as the `/sources` page shows it.
#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub name: String,
    /// `feed` or `directory`.
    pub kind: String,
    /// The feed's URL or the watched directory.
    pub location: String,
    /// How often it is polled, as written (`30m`).
    pub every: String,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub items_seen: u64,
    /// Items the last successful poll stored as new.
    pub items_new: u64,
    pub last_error: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
}

/// A source as its add/edit form writes it: the fields of `dossier source add`.
#[derive(Debug, Clone, Default)]
pub struct SourceForm {
    pub name: String,
    /// A feed URL (http/https) or a directory.
    pub location: String,
    /// `30m`, `2h`…; empty for the default.
    pub every: String,
    /// `zh`, `en` or empty.
    pub lang: String,
    /// The source name given to its documents; empty for the default.
    pub source_label: String,
}

fn not_built() -> Error {
    Error::BadField {
        field: "source".into(),
        message: "this dossier was built without sources, so they cannot be managed here".into(),
    }
}

/// Every source with its health. MERGE: the sources module's listing.
pub fn list(_engine: &Engine) -> Result<Vec<SourceHealth>> {
    Ok(Vec::new())
}

/// One source's definition, to fill its edit form. MERGE: the sources module's lookup.
pub fn get(_engine: &Engine, name: &str) -> Result<SourceForm> {
    Err(Error::NotFound {
        what: "source",
        name: name.to_string(),
    })
}

/// Adds a source (validated as `dossier source add` does). MERGE: the sources module's add.
pub fn add(_engine: &Engine, _source: &SourceForm) -> Result<()> {
    Err(not_built())
}

/// Changes source `name` (which may rename it). MERGE: the sources module's edit.
pub fn edit(_engine: &Engine, _name: &str, _source: &SourceForm) -> Result<()> {
    Err(not_built())
}

/// Removes source `name` (its documents stay). MERGE: the sources module's removal.
pub fn remove(_engine: &Engine, _name: &str) -> Result<()> {
    Err(not_built())
}
