//! sources: what the web UI needs of polled sources (feeds, watched directories).
//!
//! A thin view of [`crate::sources`] for the `/sources` page and its forms (in `manage.rs`): it
//! turns the module's listing into display rows and the forms' strings into a
//! [`SourceInput`]. It must not poll or fetch: the server's poller does that.

use chrono::{DateTime, Utc};

use crate::engine::Engine;
use crate::error::Result;
use crate::sources::{self as polled, SourceInfo, SourceInput, Sources};

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

fn health(s: SourceInfo) -> SourceHealth {
    SourceHealth {
        kind: match s.kind {
            polled::Kind::Feed => "feed".into(),
            polled::Kind::Directory => "directory".into(),
        },
        every: polled::format_every(s.every_secs),
        name: s.name,
        location: s.location,
        last_poll: s.last_poll,
        last_success: s.last_success,
        items_seen: s.items_seen,
        items_new: s.items_new,
        last_error: s.last_error,
        next_poll: Some(s.next_poll),
    }
}

/// An empty form field means "not given": the default on add, unchanged on edit.
fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The form as `source add`/`source edit` input. On edit the form shows the current language and
/// label, so an emptied field clears it (as `source edit --lang ""` does).
fn input(form: &SourceForm, editing: bool) -> SourceInput {
    let clearable = |value: &str| if editing { Some(value.trim().to_string()) } else { given(value) };
    SourceInput {
        name: given(&form.name),
        location: given(&form.location),
        every: given(&form.every),
        lang: clearable(&form.lang),
        source_label: clearable(&form.source_label),
    }
}

/// Every source with its health.
pub fn list(engine: &Engine) -> Result<Vec<SourceHealth>> {
    Ok(Sources::open(engine.store()).list()?.into_iter().map(health).collect())
}

/// One source's definition, to fill its edit form.
pub fn get(engine: &Engine, name: &str) -> Result<SourceForm> {
    let s = Sources::open(engine.store()).get(name)?;
    Ok(SourceForm {
        every: polled::format_every(s.every_secs),
        lang: s.lang.map(|l| l.as_str().to_string()).unwrap_or_default(),
        source_label: s.source_label.unwrap_or_default(),
        name: s.name,
        location: s.location,
    })
}

/// Adds a source, validated as `dossier source add` does.
pub fn add(engine: &Engine, source: &SourceForm) -> Result<()> {
    Sources::open(engine.store()).add(&input(source, false)).map(|_| ())
}

/// Changes source `name` (which may rename it).
pub fn edit(engine: &Engine, name: &str, source: &SourceForm) -> Result<()> {
    Sources::open(engine.store()).edit(name, &input(source, true)).map(|_| ())
}

/// Removes source `name` (its documents stay).
pub fn remove(engine: &Engine, name: &str) -> Result<()> {
    Sources::open(engine.store()).remove(name)
}
