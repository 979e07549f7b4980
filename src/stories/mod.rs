//! stories: which documents tell the same story?
//!
//! Chinese financial news is reposted and lightly rewritten by many outlets. Every stored
//! document belongs to exactly one story (a document with no copy is a story of one). At ingest,
//! inside the same transaction that stores the document, its body is sketched
//! ([`sketch::Sketch`]), its LSH band keys look up candidate documents already stored, each
//! candidate is confirmed on the exact shingle sets ([`same_story`]) and the document joins the
//! confirmed story — or, when it confirms several, they merge into the one with the smallest id
//! (the oldest), so the outcome depends only on the order documents arrive, never on timing.
//!
//! Tables (`stories`, `story_members`, `story_bands`) belong to this module; the store's
//! migrations create them. An updated document leaves its story and is assigned afresh; a story
//! it bridged stays merged (its other members still came together through it once, and a story
//! id someone linked to must not split under them). A deleted document leaves its story through
//! the foreign key; band rows pointing at it are skipped because it has no membership.
//! Documents stored with `ingest.stories = false` (or before this module existed) get their
//! stories from [`backfill`], which ingest runs first.

pub mod collapse;
pub mod figures;
pub mod page;
pub mod sketch;

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;

use crate::document::{Document, Lang};
use crate::error::Result;
pub use sketch::Sketch;

/// Two sketches tell the same story when the smaller shares at least this share of its
/// shingles with the larger. Tuned on the labelled pairs (BENCHMARKS.md, "Stories").
pub const SAME_STORY_OVERLAP: f64 = 0.5;
/// …and is at least this share of the larger's size: a round-up quoting a brief whole is not
/// the brief's story (and would otherwise bridge every story it quotes).
pub const MIN_SIZE_RATIO: f64 = 0.2;
/// Candidates tried per story before giving up on it (the best-matching first).
const TRIES_PER_STORY: usize = 3;

/// A story as a hit or page entry shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoryRef {
    pub id: i64,
    pub size: u64,
}

/// The decision on two sketches (see [`SAME_STORY_OVERLAP`], [`MIN_SIZE_RATIO`]).
pub fn same_story(a: &Sketch, b: &Sketch) -> bool {
    if !a.is_usable() || !b.is_usable() {
        return false;
    }
    let (shared, ratio) = sketch::overlap(&a.shingles, &b.shingles);
    shared >= SAME_STORY_OVERLAP && ratio >= MIN_SIZE_RATIO
}

/// Puts a just-stored document into its story (see the module doc) and returns the story id.
/// `conn` is the transaction that stored the document.
pub fn assign(conn: &Connection, doc: &Document) -> Result<i64> {
    unassign(conn, &doc.id)?;
    let sketch = Sketch::of(doc);
    let keys = if sketch.is_usable() { sketch.band_keys() } else { Vec::new() };
    let mut confirmed: BTreeSet<i64> = BTreeSet::new();
    if !keys.is_empty() {
        let candidates: Vec<(String, i64)> = {
            let mut stmt = conn.prepare_cached(&candidates_sql())?;
            let mut values: Vec<rusqlite::types::Value> = keys.iter().map(|&k| k.into()).collect();
            values.push(doc.id.clone().into());
            stmt.query_map(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut tried: HashMap<i64, usize> = HashMap::new();
        for (other, story) in candidates {
            let n = tried.entry(story).or_default();
            if confirmed.contains(&story) || *n >= TRIES_PER_STORY {
                continue;
            }
            *n += 1;
            if let Some(other_doc) = load_text(conn, &other)?
                && same_story(&sketch, &Sketch::of(&other_doc))
            {
                confirmed.insert(story);
            }
        }
    }
    let story = match confirmed.first() {
        Some(&first) => {
            for &other in confirmed.iter().skip(1) {
                conn.prepare_cached("UPDATE story_members SET story_id = ?1 WHERE story_id = ?2")?
                    .execute(params![first, other])?;
                conn.prepare_cached("DELETE FROM stories WHERE id = ?1")?.execute([other])?;
                tracing::debug!(into = first, merged = other, via = %doc.id, "stories merged");
            }
            first
        }
        None => conn
            .prepare_cached("INSERT INTO stories (created_at) VALUES (?1) RETURNING id")?
            .query_row([chrono::Utc::now().timestamp()], |r| r.get(0))?,
    };
    let blob: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    conn.prepare_cached("INSERT INTO story_members (doc_id, story_id, band_keys) VALUES (?1, ?2, ?3)")?
        .execute(params![doc.id, story, blob])?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO story_bands (key, doc_id) VALUES (?1, ?2)")?;
    for k in &keys {
        insert.execute(params![k, doc.id])?;
    }
    Ok(story)
}

fn candidates_sql() -> String {
    let marks = vec!["?"; sketch::BANDS].join(", ");
    format!(
        "SELECT b.doc_id, m.story_id FROM story_bands b JOIN story_members m ON m.doc_id = b.doc_id
         WHERE b.key IN ({marks}) AND b.doc_id <> ?{}
         GROUP BY b.doc_id ORDER BY COUNT(*) DESC, m.story_id, b.doc_id",
        sketch::BANDS + 1
    )
}

/// Takes a document out of its story (before it is assigned again); a story left empty goes.
pub fn unassign(conn: &Connection, doc_id: &str) -> Result<()> {
    let found: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT story_id, band_keys FROM story_members WHERE doc_id = ?1")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((story, blob)) = found else {
        return Ok(());
    };
    let mut delete = conn.prepare_cached("DELETE FROM story_bands WHERE key = ?1 AND doc_id = ?2")?;
    for chunk in blob.chunks_exact(8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        delete.execute(params![i64::from_le_bytes(b), doc_id])?;
    }
    conn.prepare_cached("DELETE FROM story_members WHERE doc_id = ?1")?.execute([doc_id])?;
    conn.prepare_cached(
        "DELETE FROM stories WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM story_members WHERE story_id = ?1)",
    )?
    .execute([story])?;
    Ok(())
}

/// Whether a document has a story yet.
pub fn has_story(conn: &Connection, doc_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM story_members WHERE doc_id = ?1")?
        .query_row([doc_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Assigns a story to every document that has none, in the order they were stored. Returns how
/// many it assigned.
pub fn backfill(conn: &Connection) -> Result<u64> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM story_members) ORDER BY seq")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        if let Some(doc) = load_text(conn, id)? {
            assign(conn, &doc)?;
        }
    }
    if !ids.is_empty() {
        tracing::info!(documents = ids.len(), "stories assigned to documents that had none");
    }
    Ok(ids.len() as u64)
}

/// The text of a stored document, enough to sketch it.
fn load_text(conn: &Connection, id: &str) -> Result<Option<Document>> {
    let row: Option<(String, String, String)> = conn
        .prepare_cached("SELECT title, lang, paragraphs FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((title, lang, paragraphs)) = row else {
        return Ok(None);
    };
    Ok(Some(Document {
        id: id.to_string(),
        title,
        source: String::new(),
        published_at: None,
        published_precision: None,
        url: None,
        lang: Lang::parse(&lang).unwrap_or(Lang::Zh),
        paragraphs: serde_json::from_str(&paragraphs)?,
        meta: serde_json::Value::Null,
    }))
}

/// The story and its size of each of `ids` that has one.
pub fn stories_of(conn: &Connection, ids: &[String]) -> Result<HashMap<String, StoryRef>> {
    let mut out = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT m.story_id, (SELECT COUNT(*) FROM story_members s WHERE s.story_id = m.story_id)
         FROM story_members m WHERE m.doc_id = ?1",
    )?;
    for id in ids {
        if let Some((sid, size)) =
            stmt.query_row([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).optional()?
        {
            out.insert(id.clone(), StoryRef { id: sid, size: size as u64 });
        }
    }
    Ok(out)
}

/// One member of a story, as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    pub title: String,
    pub source: String,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip)]
    pub published_precision: Option<crate::document::DatePrecision>,
    pub text_bytes: u64,
    #[serde(skip)]
    pub seq: i64,
}

/// The members of a story, best first: the most complete text, the earliest when equal.
pub fn members(conn: &Connection, story: i64) -> Result<Vec<Member>> {
    let rows = conn
        .prepare_cached(
            "SELECT d.id, d.title, d.source, d.meta, d.published_at, d.text_bytes, d.seq, d.date_precision
             FROM story_members m JOIN documents d ON d.id = m.doc_id WHERE m.story_id = ?1
             ORDER BY d.text_bytes DESC, COALESCE(d.published_at, 9223372036854775807), d.seq",
        )?
        .query_map([story], |r| {
            let source: String = r.get(2)?;
            let meta: Option<String> = r.get(3)?;
            let outlet = meta
                .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
                .and_then(|m| m.get("outlet").and_then(|o| o.as_str()).map(str::to_string));
            let published: Option<i64> = r.get(4)?;
            Ok(Member {
                id: r.get(0)?,
                title: r.get(1)?,
                source: crate::document::source_label(&source, outlet.as_deref().filter(|o| *o != source)),
                published_at: published.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
                published_precision: r
                    .get::<_, Option<String>>(7)?
                    .and_then(|p| crate::document::DatePrecision::parse(&p)),
                text_bytes: r.get::<_, i64>(5)? as u64,
                seq: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Counts for `dossier stats` and the benchmarks: stories, the largest, documents without one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoryStats {
    pub stories: u64,
    pub multi_member: u64,
    pub largest: Option<StoryRef>,
    pub unassigned: u64,
}

pub fn stats(conn: &Connection) -> Result<StoryStats> {
    let (stories, multi): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(n > 1), 0) FROM (SELECT COUNT(*) AS n FROM story_members GROUP BY story_id)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let largest = conn
        .query_row(
            "SELECT story_id, COUNT(*) AS n FROM story_members GROUP BY story_id ORDER BY n DESC, story_id LIMIT 1",
            [],
            |r| Ok(StoryRef { id: r.get(0)?, size: r.get::<_, i64>(1)? as u64 }),
        )
        .optional()?;
    let unassigned: i64 = conn.query_row(
        "SELECT COUNT(*) FROM documents WHERE id NOT IN (SELECT doc_id FROM story_members)",
        [],
        |r| r.get(0),
    )?;
    Ok(StoryStats { stories: stories as u64, multi_member: multi as u64, largest, unassigned: unassigned as u64 })
}

#[cfg(test)]
mod tests;
