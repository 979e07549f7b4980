//! workflow: which documents on a standing topic are new, and what does the topic's page say?
//!
//! A workflow is a named, saved search (any Unicode name, e.g. 稀土供应链) with optional source,
//! language and date-window filters, a summarizer choice and an output language. Workflows, the
//! documents each has collected and a record of every run live in the store's database (tables
//! `workflows`, `workflow_runs`, `workflow_documents`, whose schema the store's migrations own;
//! this module reads and writes their rows through the store's transactions). A run asks the
//! engine one question — which documents match this workflow among those stored after its last
//! run's seq — adds them, records itself, then makes the digests its documents lack, one short
//! transaction each and no lock held across a model call. The page lists the collected
//! documents newest first, each with its digest, in the renderings of [`render`] and [`html`].
//! This module must not parse input formats, print, change documents, or build search queries.

pub mod brief;
pub mod html;
pub mod render;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::dates;
use crate::digest::Digest;
use crate::digesting::{DigestOptions, Digester};
use crate::document::{Document, Lang};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::search::{MatchMode, SearchRequest, SortOrder};
use crate::store::Store;

/// How many documents a first run collects when the workflow does not say.
pub const DEFAULT_FIRST_RUN: usize = 20;
/// How many documents a page shows when the caller does not say.
pub const DEFAULT_PAGE_LIMIT: usize = 50;
/// Longest accepted workflow name, in characters.
pub const MAX_NAME_CHARS: usize = 200;


/// Which summarizer makes a workflow's digests (stored in its definition by name).
pub use crate::digesting::SummarizerChoice;

/// The language digests are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OutputLanguage {
    /// English, as on the seed pages.
    #[default]
    En,
    /// The document's own language.
    Source,
}

impl OutputLanguage {
    pub fn to_digest_lang(self) -> crate::digest::OutputLang {
        match self {
            OutputLanguage::En => crate::digest::OutputLang::English,
            OutputLanguage::Source => crate::digest::OutputLang::Source,
        }
    }
}

/// A workflow's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    /// A search in the query language of `dossier search`.
    pub query: String,
    /// Only documents from these sources (any of them); empty for all.
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub lang: Option<Lang>,
    /// Only documents published at or after this instant.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// Only documents published at or before this instant.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Only documents published in the last N days before the run.
    #[serde(default)]
    pub within_days: Option<u32>,
    #[serde(default)]
    pub summarizer: SummarizerChoice,
    #[serde(default)]
    pub output_lang: OutputLanguage,
    /// How many of the newest matching documents the first run collects.
    pub first_run: usize,
}

/// A workflow as a user writes it (CLI flags, API body): dates as text in any form
/// [`crate::dates`] accepts. [`WorkflowInput::validate`] turns it into a [`Workflow`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowInput {
    pub name: String,
    pub query: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub within_days: Option<u32>,
    #[serde(default)]
    pub summarizer: Option<SummarizerChoice>,
    #[serde(default)]
    pub output_lang: Option<OutputLanguage>,
    #[serde(default)]
    pub first_run: Option<usize>,
}

fn bad_field(field: &str, message: impl Into<String>) -> Error {
    Error::BadField {
        field: field.to_string(),
        message: message.into(),
    }
}

impl WorkflowInput {
    /// Checks every field and parses the dates; the error names the field and what to write.
    /// `engine` checks that the query compiles.
    pub fn validate(self, engine: &Engine) -> Result<Workflow> {
        let name = validate_name(&self.name)?;
        let query = self.query.trim().to_string();
        if query.is_empty() {
            return Err(bad_field(
                "query",
                "is empty; give the words to search for, as in `稀土 出口管制`",
            ));
        }
        let lang = match self.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => Some(
                Lang::parse(l)
                    .ok_or_else(|| bad_field("lang", format!("{l:?} is not a language dossier knows; use zh or en")))?,
            ),
            None => None,
        };
        let date = |field: &str, v: &Option<String>, end: bool| -> Result<Option<DateTime<Utc>>> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => dates::parse_bound(s, end)
                    .map(Some)
                    .map_err(|e| bad_field(field, e.to_string())),
                None => Ok(None),
            }
        };
        let since = date("since", &self.since, false)?;
        let until = date("until", &self.until, true)?;
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            return Err(bad_field("until", "is before since; swap them or drop one"));
        }
        if self.within_days == Some(0) {
            return Err(bad_field(
                "within_days",
                "is 0; give a number of days of at least 1, or leave it out",
            ));
        }
        let first_run = self.first_run.unwrap_or(DEFAULT_FIRST_RUN);
        if first_run == 0 || first_run > 1000 {
            return Err(bad_field(
                "first_run",
                format!("is {first_run}; give a number from 1 to 1000"),
            ));
        }
        let mut sources: Vec<String> = self
            .sources
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        sources.dedup();
        let wf = Workflow {
            name,
            query,
            sources,
            lang,
            since,
            until,
            within_days: self.within_days,
            summarizer: self.summarizer.unwrap_or_default(),
            output_lang: self.output_lang.unwrap_or_default(),
            first_run,
        };
        // A query that cannot be parsed is refused now, not at the first run.
        let request = wf.search_request(Utc::now(), 1);
        engine.check_search(&request).map_err(|e| bad_field("query", e.to_string()))?;
        Ok(wf)
    }
}

impl From<&Workflow> for WorkflowInput {
    fn from(w: &Workflow) -> Self {
        WorkflowInput {
            name: w.name.clone(),
            query: w.query.clone(),
            sources: w.sources.clone(),
            lang: w.lang.map(|l| l.as_str().to_string()),
            since: w.since.map(|t| t.to_rfc3339()),
            until: w.until.map(|t| t.to_rfc3339()),
            within_days: w.within_days,
            summarizer: Some(w.summarizer),
            output_lang: Some(w.output_lang),
            first_run: Some(w.first_run),
        }
    }
}

/// A name must be something a person can read and a URL can carry: not blank, no control
/// characters, not too long. Any script is fine.
pub fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(bad_field("name", "is empty; give the workflow a name, e.g. 稀土供应链"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad_field(
            "name",
            "contains control characters (newline, tab, …); remove them",
        ));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(bad_field(
            "name",
            format!("is {n} characters long; the limit is {MAX_NAME_CHARS}"),
        ));
    }
    Ok(name.to_string())
}

impl Workflow {
    /// The search this workflow runs at `now` (the date window is relative to it).
    pub fn search_request(&self, now: DateTime<Utc>, limit: usize) -> SearchRequest {
        let mut since = self.since;
        if let Some(days) = self.within_days {
            let start = now - Duration::days(i64::from(days));
            since = Some(since.map_or(start, |s| s.max(start)));
        }
        SearchRequest {
            query: self.query.clone(),
            sort: SortOrder::Newest,
            match_mode: MatchMode::All,
            since,
            until: self.until,
            sources: self.sources.clone(),
            lang: self.lang,
            limit,
            offset: 0,
            title_only: crate::search::TitleOnly::Show,
            // Every copy is collected (a late one joins its story's page); the page collapses.
            collapse: Some(crate::search::Collapse::None),
            explain: false,
            literal: false,
        }
    }
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub ran_at: DateTime<Utc>,
    /// The highest store seq the run looked at: the next run looks only past it.
    pub max_seq: i64,
    pub new_documents: u64,
    pub digests_made: u64,
    pub digest_failures: u64,
}

/// A workflow with its bookkeeping, for listings.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowInfo {
    #[serde(flatten)]
    pub workflow: Workflow,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Documents collected so far.
    pub documents: u64,
    pub last_run: Option<RunRecord>,
}

/// A digest that could not be made during a run; the document stays on the page without one
/// and the next run tries again.
#[derive(Debug, Clone, Serialize)]
pub struct DigestFailure {
    pub id: String,
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    pub workflow: String,
    /// The run's record (every run is recorded, one that found nothing new with 0 new).
    pub run: RunRecord,
    pub first_run: bool,
    /// Ids of the documents this run collected, newest first.
    pub new_documents: Vec<String>,
    pub digests_made: u64,
    /// How many of the new documents hold only their title (kept, without a digest).
    pub title_only: u64,
    pub digest_failures: Vec<DigestFailure>,
}

impl RunOutcome {
    /// Whether the run collected or digested anything.
    pub fn changed(&self) -> bool {
        self.run.new_documents > 0 || self.run.digests_made > 0
    }
}

/// One document on a workflow's page.
#[derive(Debug, Clone)]
pub struct Entry {
    pub document: Document,
    /// When a run collected it.
    pub added_at: DateTime<Utc>,
    pub digest: Option<Digest>,
    /// Its story and the story's other members (the page shows a story once).
    pub story: crate::stories::collapse::Collapsed,
}

/// A workflow's page: its definition, its last run and its documents newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub workflow: Workflow,
    pub last_run: Option<RunRecord>,
    /// Documents collected in all (the page may show fewer).
    pub total: u64,
    /// How many of the `total` hold only their title (shown as one line, without a digest).
    pub title_only: u64,
    /// The brief of the last run that collected documents.
    pub brief: Option<brief::Brief>,
    pub entries: Vec<Entry>,
}

fn from_unix(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).single().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The workflow tables of one database.
pub struct Workflows<'a> {
    conn: &'a Connection,
    store: &'a Store,
}

impl<'a> Workflows<'a> {
    /// The workflows of `store` (its migrations made the tables).
    pub fn open(store: &'a Store) -> Result<Workflows<'a>> {
        Ok(Workflows { conn: store.connection(), store })
    }

    /// Saves a new workflow; a workflow of the same name is an error.
    pub fn add(&self, wf: &Workflow) -> Result<()> {
        if self.id_of(&wf.name)?.is_some() {
            return Err(Error::AlreadyExists {
                what: "workflow",
                name: wf.name.clone(),
                remedy: "choose another name, or change it with `dossier workflow edit`",
            });
        }
        let now = Utc::now().timestamp();
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO workflows (name, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
            params![wf.name, serde_json::to_string(wf)?, now],
        )?;
        if inserted == 0 {
            // Added by another process between the check and the insert.
            return Err(Error::AlreadyExists {
                what: "workflow",
                name: wf.name.clone(),
                remedy: "choose another name, or change it with `dossier workflow edit`",
            });
        }
        tracing::debug!(workflow = %wf.name, "workflow added");
        Ok(())
    }

    /// Replaces the definition of workflow `name` (which may rename it). Collected documents
    /// and runs stay; a changed query or filter applies from the next run on.
    pub fn update(&self, name: &str, wf: &Workflow) -> Result<()> {
        let id = self.require(name)?;
        if wf.name != name
            && let Some(other) = self.id_of(&wf.name)?
            && other != id
        {
            return Err(Error::AlreadyExists {
                what: "workflow",
                name: wf.name.clone(),
                remedy: "choose another name for the renamed workflow",
            });
        }
        self.conn.execute(
            "UPDATE workflows SET name = ?2, definition = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, wf.name, serde_json::to_string(wf)?, Utc::now().timestamp()],
        )?;
        Ok(())
    }

    /// Deletes a workflow with its runs and collected list (documents and digests stay).
    pub fn remove(&self, name: &str) -> Result<()> {
        let tx = self.store.transaction()?;
        let id = self.require(name)?;
        // Children first: foreign keys may be off on connections opened elsewhere.
        tx.execute("DELETE FROM workflow_documents WHERE workflow_id = ?1", [id])?;
        tx.execute("DELETE FROM workflow_runs WHERE workflow_id = ?1", [id])?;
        tx.execute("DELETE FROM workflow_briefs WHERE workflow_id = ?1", [id])?;
        tx.execute("DELETE FROM workflows WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    fn id_of(&self, name: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM workflows WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn require(&self, name: &str) -> Result<i64> {
        self.id_of(name)?.ok_or_else(|| Error::NotFound {
            what: "workflow",
            name: name.to_string(),
        })
    }

    /// One workflow's definition.
    pub fn get(&self, name: &str) -> Result<Workflow> {
        let json: String = self
            .conn
            .prepare_cached("SELECT definition FROM workflows WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "workflow",
                name: name.to_string(),
            })?;
        Ok(serde_json::from_str(&json)?)
    }

    /// One workflow with its bookkeeping.
    pub fn info(&self, name: &str) -> Result<WorkflowInfo> {
        let id = self.require(name)?;
        self.info_of(id)
    }

    fn info_of(&self, id: i64) -> Result<WorkflowInfo> {
        let (json, created, updated): (String, i64, i64) = self.conn.query_row(
            "SELECT definition, created_at, updated_at FROM workflows WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let documents: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM workflow_documents WHERE workflow_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        Ok(WorkflowInfo {
            workflow: serde_json::from_str(&json)?,
            created_at: from_unix(created),
            updated_at: from_unix(updated),
            documents: documents as u64,
            last_run: self.last_run(id)?,
        })
    }

    /// Every workflow, by name.
    pub fn list(&self) -> Result<Vec<WorkflowInfo>> {
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM workflows ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| self.info_of(id)).collect()
    }

    fn last_run(&self, id: i64) -> Result<Option<RunRecord>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, ran_at, max_seq, new_documents, digests_made, digest_failures
                 FROM workflow_runs WHERE workflow_id = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([id], |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    ran_at: from_unix(r.get(1)?),
                    max_seq: r.get(2)?,
                    new_documents: r.get::<_, i64>(3)? as u64,
                    digests_made: r.get::<_, i64>(4)? as u64,
                    digest_failures: r.get::<_, i64>(5)? as u64,
                })
            })
            .optional()?)
    }

    /// Every run of a workflow, newest first.
    pub fn runs(&self, name: &str) -> Result<Vec<RunRecord>> {
        let id = self.require(name)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, ran_at, max_seq, new_documents, digests_made, digest_failures
             FROM workflow_runs WHERE workflow_id = ?1 ORDER BY id DESC",
        )?;
        let runs = stmt
            .query_map([id], |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    ran_at: from_unix(r.get(1)?),
                    max_seq: r.get(2)?,
                    new_documents: r.get::<_, i64>(3)? as u64,
                    digests_made: r.get::<_, i64>(4)? as u64,
                    digest_failures: r.get::<_, i64>(5)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(runs)
    }

    /// The workflow's page: its newest `limit` documents (published newest first, undated
    /// last), each with its stored digest if it has one. An imported seed page comes after the
    /// real documents published the same day: it restates another tool's digest, it is not news.
    /// (The day is the UTC day, as day-only dates are stored.)
    pub fn page(&self, name: &str, limit: usize) -> Result<Page> {
        let id = self.require(name)?;
        let info = self.info_of(id)?;
        let rows: Vec<(String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT m.doc_id, m.added_at FROM workflow_documents m JOIN documents d ON d.id = m.doc_id
                 WHERE m.workflow_id = ?1
                 ORDER BY d.published_at IS NULL, d.published_at / 86400 DESC,
                          json_extract(d.meta, '$.imported_from') IS NOT NULL,
                          d.published_at DESC, d.seq DESC LIMIT ?2",
            )?
            // Copies fold into one entry per story: read enough to fill the page after folding.
            .query_map(params![id, limit.saturating_mul(4) as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let rows = crate::stories::collapse::collapse(self.conn, rows, |(doc_id, _)| doc_id.as_str())?;
        // A workflow set to the LLM shows its LLM digests; the extractive ones stay stored.
        let want = info.workflow.summarizer;
        let mut entries = Vec::with_capacity(rows.len().min(limit));
        for ((doc_id, added_at), story) in rows.into_iter().take(limit) {
            let Some(stored) = self.store.get(&doc_id)? else {
                continue;
            };
            entries.push(Entry {
                document: stored.doc,
                added_at: from_unix(added_at),
                digest: crate::digesting::stored_digest_of(self.store, &doc_id, want)?,
                story,
            });
        }
        Ok(Page {
            workflow: info.workflow,
            last_run: info.last_run,
            total: info.documents,
            title_only: self.title_only_members(id)?,
            brief: brief::latest(self.store, id)?,
            entries,
        })
    }

    /// Collected documents that hold only their title. SQL picks the candidates (first
    /// paragraph a heading or the title again) so only those are decoded and checked.
    fn title_only_members(&self, id: i64) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.title, d.paragraphs FROM workflow_documents m JOIN documents d ON d.id = m.doc_id
             WHERE m.workflow_id = ?1 AND (d.paragraphs LIKE '[\"#%' OR d.paragraphs LIKE '[' || json_quote(d.title) || '%')",
        )?;
        let mut rows = stmt.query([id])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let (title, paragraphs): (String, String) = (r.get(0)?, r.get(1)?);
            let paragraphs: Vec<String> = serde_json::from_str(&paragraphs)?;
            if crate::document::title_only(&title, &paragraphs) {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The brief of the workflow's last run that collected documents.
    pub fn latest_brief(&self, name: &str) -> Result<Option<brief::Brief>> {
        brief::latest(self.store, self.require(name)?)
    }

    /// Which summarizer made the stored digests of the workflow's documents, in which language.
    pub fn digests_made_by(&self, name: &str) -> Result<Vec<render::MadeBy>> {
        let id = self.require(name)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.summarizer, json_extract(g.digest, '$.lang'), COUNT(*) FROM workflow_documents m
             JOIN digests g ON g.doc_id = m.doc_id WHERE m.workflow_id = ?1
             GROUP BY 1, 2 ORDER BY 3 DESC, 1",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (summarizer, lang, count) = row?;
            // A digest without a readable language is counted under Chinese, the corpus default.
            let lang = lang.as_deref().and_then(Lang::parse).unwrap_or(Lang::Zh);
            out.push(render::MadeBy { summarizer, lang, count: count as u64 });
        }
        Ok(out)
    }

    /// Collected documents without a stored digest of `family` (an imported digest counts as
    /// any: it is not ours to remake).
    fn members_without_digest(&self, id: i64, family: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare(
                "SELECT m.doc_id FROM workflow_documents m
                 JOIN documents d ON d.id = m.doc_id
                 WHERE m.workflow_id = ?1 AND NOT EXISTS (SELECT 1 FROM digests g WHERE g.doc_id = m.doc_id
                       AND (g.family = ?2 OR g.cache_key = 'imported'))
                 ORDER BY d.published_at IS NULL, d.published_at DESC, d.seq DESC",
            )?
            .query_map(params![id, family], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}

/// The stored digest of a document, if it has one.
pub fn stored_digest(store: &Store, id: &str) -> Result<Option<Digest>> {
    match store.digest_json(id)? {
        Some((_, json)) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

/// How one digest should be made.
#[derive(Debug, Clone, Default)]
pub struct DigestChoice {
    pub summarizer: SummarizerChoice,
    pub lang: OutputLanguage,
    pub query: Option<String>,
}

/// Returns the document's stored digest of the chosen summarizer's family (whatever query it
/// was made for), or makes, stores and returns one through [`Digester::digest`]. Taking a stored
/// digest first keeps a document's digest stable when a workflow (with its query) and the UI
/// (without) both show it.
pub fn ensure_digest(digester: &Digester<'_>, id: &str, choice: &DigestChoice) -> Result<Digest> {
    if let Some(d) = digester.stored_digests(id)?.remove(choice.summarizer.family()) {
        return Ok(d);
    }
    let opts = DigestOptions {
        summarizer: choice.summarizer,
        lang: Some(choice.lang.to_digest_lang()),
        query: choice.query.clone(),
        force: false,
    };
    digester.digest(id, &opts)
}

/// Runs workflow `name`: collects the matching documents that are new since its last run (on
/// the first run, the newest `first_run`), records the run, then makes the digests its
/// documents lack. A run with nothing new is recorded too (0 new, the cursor where it was), so
/// "last run" says when the workflow last looked; it collects nothing and changes no page entry.
///
/// It needs no write lock and holds no transaction while a digest is made: collecting is one
/// short transaction, each digest another. Any number of processes may run workflows while
/// others ingest: the engine answers only for documents the index holds, and the run's cursor
/// (`max_seq`) moves only over those, so every matching document is collected exactly once.
pub fn run(engine: &Engine, name: &str) -> Result<RunOutcome> {
    let now = Utc::now();
    let (id, wf, last) = {
        let w = Workflows::open(engine.store())?;
        let id = w.require(name)?;
        (id, w.get(name)?, w.last_run(id)?)
    };
    let matches = engine.matching_after(&wf.search_request(now, wf.first_run), last.as_ref().map(|r| r.max_seq))?;

    // Collect. Inside the transaction the last run is read again: a run in another process may
    // have recorded itself meanwhile; members are keyed by (workflow, document), so documents
    // both runs found are collected once, and the cursor never moves back.
    let store = engine.store();
    let tx = store.transaction()?;
    let prev = Workflows::open(store)?.last_run(id)?;
    let first_run = prev.is_none();
    let mut new_ids = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO workflow_documents (workflow_id, doc_id, run_id, added_at) VALUES (?1, ?2, 0, ?3)",
        )?;
        // A copy of a story the workflow already holds is collected (its story page lists it)
        // but is not new: a run counts stories, not copies.
        let mut known = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM story_members m JOIN story_members o ON o.story_id = m.story_id
                JOIN workflow_documents w ON w.doc_id = o.doc_id AND w.workflow_id = ?1
                WHERE m.doc_id = ?2 AND o.doc_id <> ?2)",
        )?;
        for doc_id in &matches.ids {
            let copy: bool = known.query_row(params![id, doc_id], |r| r.get(0))?;
            if stmt.execute(params![id, doc_id, now.timestamp()])? > 0 && !copy {
                new_ids.push(doc_id.clone());
            }
        }
    }
    let max_seq = prev.as_ref().map_or(matches.upto, |p| p.max_seq.max(matches.upto));
    let run_id = record_run(&tx, id, now, max_seq, new_ids.len())?;
    tx.commit()?;

    // Digests, each stored as it is made (a failure or a hang loses none made before it).
    let lacking = Workflows::open(store)?.members_without_digest(id, wf.summarizer.family())?;
    let choice = DigestChoice {
        summarizer: wf.summarizer,
        lang: wf.output_lang,
        query: Some(wf.query.clone()),
    };
    let digester = engine.digester();
    let mut digests_made = 0u64;
    let mut title_only = 0u64;
    let mut failures = Vec::new();
    for doc_id in &lacking {
        // Title-only items stay on the page as one line; they have nothing to digest.
        if digester.is_title_only(doc_id)? {
            title_only += u64::from(new_ids.contains(doc_id));
            continue;
        }
        match ensure_digest(&digester, doc_id, &choice) {
            Ok(_) => digests_made += 1,
            Err(e) if e.is_user_error() => {
                tracing::warn!(workflow = %wf.name, doc = %doc_id, error = %e, "digest failed; the next run retries");
                if wf.summarizer == SummarizerChoice::Llm {
                    // The page shows the extractive digest meanwhile, saying why.
                    store.note_digest_failure(doc_id, "llm", &e.to_string())?;
                    let fallback = DigestChoice { summarizer: SummarizerChoice::Extractive, ..choice.clone() };
                    if let Err(e) = ensure_digest(&digester, doc_id, &fallback) {
                        tracing::warn!(doc = %doc_id, error = %e, "no extractive digest either");
                    }
                }
                failures.push(DigestFailure {
                    id: doc_id.clone(),
                    message: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }

    store.connection().execute(
        "UPDATE workflow_runs SET digests_made = ?2, digest_failures = ?3 WHERE id = ?1",
        params![run_id, digests_made as i64, failures.len() as i64],
    )?;
    // After the digests, so the brief quotes them; made from stored rows only, no model call.
    brief::make_and_store(store, id, run_id, from_unix(now.timestamp()), &wf.query)?;
    let run = RunRecord {
        id: run_id,
        ran_at: from_unix(now.timestamp()),
        max_seq,
        new_documents: new_ids.len() as u64,
        digests_made,
        digest_failures: failures.len() as u64,
    };
    // The CLI and the API report the outcome; the log only adds it for -v.
    tracing::debug!(workflow = %wf.name, new = new_ids.len(), digests = digests_made, failed = failures.len(), "workflow run");
    Ok(RunOutcome {
        workflow: wf.name,
        run,
        first_run,
        new_documents: new_ids,
        digests_made,
        title_only,
        digest_failures: failures,
    })
}

/// Records a run and gives it the documents collected without one; returns its id.
fn record_run(tx: &rusqlite::Transaction<'_>, workflow_id: i64, now: DateTime<Utc>, max_seq: i64, new: usize) -> Result<i64> {
    tx.execute(
        "INSERT INTO workflow_runs (workflow_id, ran_at, max_seq, new_documents, digests_made, digest_failures)
         VALUES (?1, ?2, ?3, ?4, 0, 0)",
        params![workflow_id, now.timestamp(), max_seq, new as i64],
    )?;
    let run_id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE workflow_documents SET run_id = ?2 WHERE workflow_id = ?1 AND run_id = 0",
        params![workflow_id, run_id],
    )?;
    Ok(run_id)
}

#[cfg(test)]
mod tests;
