//! stories: which documents tell the same story?
//!
//! Chinese financial news is reposted and lightly rewritten by many outlets. Every stored
//! document belongs to exactly one story (a document with no copy is a story of one). At ingest,
//! inside the same transaction that stores the document, its body is sketched
//! ([`sketch::Sketch`]), its LSH band keys and anchors look up candidate members published
//! within three days of it ([`bands::BandIndex`], in memory, loaded by day), and the document
//! joins a story only when it matches the story's representative (the member that founded it)
//! or most of its earliest members, compared on stored shingle samples ([`sketch::Sample`])
//! without the shingles many stories share ([`STOP_DF`]); stories it matches fully by their
//! representatives merge into the one with the smallest id (the oldest), so the outcome depends
//! only on the order documents arrive, never on timing. A brief held by a longer article under
//! a like headline ([`CONTAINED_OVERLAP`]) joins its story but never merges two.
//!
//! Tables (`stories`, `story_members`) belong to this module; the store's
//! migrations create them. An updated document leaves its story and is assigned afresh; a story
//! it bridged stays merged (its other members still came together through it once, and a story
//! id someone linked to must not split under them). A deleted document leaves its story through
//! the foreign key; band entries still pointing at it find no membership and are skipped.
//! Documents stored with `ingest.stories = false` (or before this module existed) get their
//! stories from [`backfill`], which ingest runs first.

pub mod bands;
pub mod collapse;
pub mod figures;
mod known;
pub mod page;
pub mod sketch;

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::document::{Document, Lang};
use crate::error::Result;
pub use bands::BandIndex;
pub use sketch::Sketch;

/// Two sketches tell the same story when the smaller shares at least this share of its
/// shingles with the larger. Tuned on the labelled pairs (BENCHMARKS.md, "Stories").
pub const SAME_STORY_OVERLAP: f64 = 0.5;
/// …and is at least this share of the larger's size, unless it is contained (below).
pub const MIN_SIZE_RATIO: f64 = 0.2;
/// A smaller text this much of which the larger holds is contained in it whatever their sizes:
/// an announcement and the article built around it (`刘连舸辞去本行董事长等职务` inside `中国银行
/// 突发公告，62岁董事长刘连舸辞职…`). A contained match joins a story but never merges two: a
/// round-up quoting several briefs whole would otherwise bridge every story it quotes.
pub const CONTAINED_OVERLAP: f64 = 0.6;
/// …and whose headlines share this much (of the shorter headline's word pairs): `碧桂园正考虑
/// 于近日公布境外债重组计划` and its longer version do; a market round-up (`港股开盘：…`) holding
/// a 恒大 brief whole does not, and stays a story of its own.
pub const CONTAINED_HEADLINE_OVERLAP: f64 = 0.3;
/// Sampled shingles of the smaller text, at the level the two are compared, needed to call it
/// contained: a brief sampled at a long article's rate keeps few, and a few can agree by chance.
const CONTAINED_MIN_SAMPLED: u32 = 16;
/// A smaller text of fewer shingles than this is short (a brief, an announcement)…
pub const SHORT_TEXT: u32 = 120;
/// …and must share this much: short texts of one template (official announcements, market
/// bulletins) share most of their wording and differ only in who, where and how much.
pub const SHORT_TEXT_OVERLAP: f64 = 0.7;
/// A sampled shingle seen in this many short stories founded within [`MAX_APART_SECS`] of a
/// document is boilerplate or template wording (`…涉嫌严重违纪违法，目前正接受…审查调查`) and counts
/// for no link. Copies joining a story do not count, so a much-reposted story does not stop its
/// own text.
pub const STOP_DF: i64 = 8;
/// Documents with fewer shingles than this count towards [`STOP_DF`].
pub const STOP_COUNT_BELOW: u32 = 300;
/// Members besides the representative a document is checked against (the earliest first);
/// matching more than half of them also joins it.
const MAJORITY_OF: usize = 6;
/// Candidate stories checked, those sharing the most band keys first: a band that template
/// wording fills with hundreds of stories must not make one document cost hundreds of checks.
const MAX_CANDIDATE_STORIES: usize = 16;
/// A copy is published within this many seconds of the member it matches (both dated):
/// statistics releases, weekly bulletins and 挂牌督办 notices repeat most of their wording
/// month after month, and each month is a story of its own.
pub const MAX_APART_SECS: i64 = 3 * 86_400;

/// A story as a hit or page entry shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoryRef {
    pub id: i64,
    pub size: u64,
}

/// The decision on two sketches (see [`SAME_STORY_OVERLAP`], [`MIN_SIZE_RATIO`]), made the way
/// ingest makes it: on their stored samples, without a stop list.
pub fn same_story(a: &Sketch, b: &Sketch) -> bool {
    match_score((&a.sample, &a.headline), (&b.sample, &b.headline), &[]).is_some()
}

/// A stored sample with its headline's word pairs.
type Side<'a> = (&'a sketch::Sample, &'a [u64]);

/// How two texts that tell the same story match.
#[derive(Debug, Clone, Copy)]
struct Match {
    /// The share of the smaller text the larger holds.
    shared: f64,
    /// The smaller is under [`MIN_SIZE_RATIO`] of the larger and held by it (see
    /// [`CONTAINED_OVERLAP`]).
    contained: bool,
}

fn match_score((a, a_head): Side<'_>, (b, b_head): Side<'_>, stop: &[u32]) -> Option<Match> {
    let (shared, ratio) = a.overlap(b, stop)?;
    let smaller = a.shingles.min(b.shingles);
    let needed = if smaller < SHORT_TEXT { SHORT_TEXT_OVERLAP } else { SAME_STORY_OVERLAP };
    if ratio >= MIN_SIZE_RATIO {
        return (shared >= needed).then_some(Match { shared, contained: false });
    }
    // Windows actually sampled at the level compared (the counts are estimates, kept × 2^pick).
    let sampled = smaller >> (u32::from(a.level.max(b.level)) + u32::from(a.pick.max(b.pick))).min(31);
    let (headlines, _) = sketch::overlap(a_head, b_head);
    (shared >= CONTAINED_OVERLAP && sampled >= CONTAINED_MIN_SAMPLED && headlines >= CONTAINED_HEADLINE_OVERLAP)
        .then_some(Match { shared, contained: true })
}

/// Puts a just-stored document into its story (see the module doc) and returns the story id.
/// `conn` is the transaction that stored the document.
///
/// No single-link chains: a document joins a story only when it matches the story's
/// representative (the member that founded it) or more than half of its earliest members, and
/// two stories merge only when the document matches both representatives.
pub fn assign(conn: &Connection, bands: &mut BandIndex, doc: &Document, seq: i64, stored_at: i64) -> Result<i64> {
    unassign(conn, &mut bands.known, &doc.id)?;
    let sketch = Sketch::of(doc);
    let (sample, keys) = (&sketch.sample, &sketch.keys);
    let probe = if sketch.is_usable() { bands::probe_keys(keys, Some(sample)) } else { bands::Probe::default() };
    let day = bands::bucket_of(doc.published_at.map(|t| t.timestamp()), seq);
    // (story, matched its representative, how) for each story the document could join.
    let mut confirmed: Vec<(i64, bool, Match)> = Vec::new();
    if !probe.keys.is_empty() {
        let stories = candidate_stories(conn, bands, day, &probe)?;
        if !stories.is_empty() {
            let stop = bands.stop_list(conn, day, &sample.hashes)?;
            for story in stories {
                let members = bands.known.samples(conn, story, MAJORITY_OF + 1)?;
                let when = doc.published_at.map(|t| t.timestamp());
                let near = |m: &Option<i64>| match (when, *m) {
                    (Some(a), Some(b)) => (a - b).abs() <= MAX_APART_SECS,
                    _ => true,
                };
                let Some(((rep, rep_at, rep_head), rest)) = members.split_first() else { continue };
                let me = (sample, sketch.headline.as_slice());
                if let Some(m) = match_score(me, (rep, rep_head), &stop).filter(|_| near(rep_at)) {
                    confirmed.push((story, true, m));
                    continue;
                }
                let others = &rest[..rest.len().min(MAJORITY_OF)];
                let agree = others
                    .iter()
                    .filter(|(m, at, head)| near(at) && match_score(me, (m, head), &stop).is_some())
                    .count();
                if agree * 2 > members.len().min(MAJORITY_OF + 1) {
                    confirmed.push((story, false, Match { shared: 0.0, contained: false }));
                }
            }
        }
    }
    // The best-matching story (by its representative and not by containment; the closest; the
    // oldest when equal) takes the document; others merge into it only when their
    // representative matched it fully too.
    let merges = |c: &(i64, bool, Match)| c.1 && !c.2.contained;
    confirmed.sort_by(|a, b| {
        merges(b).cmp(&merges(a)).then(b.1.cmp(&a.1)).then(b.2.shared.total_cmp(&a.2.shared)).then(a.0.cmp(&b.0))
    });
    let story = match confirmed.first() {
        Some(first) => {
            let into = if merges(first) {
                confirmed.iter().filter(|c| merges(c)).map(|c| c.0).min().unwrap_or(first.0)
            } else {
                first.0
            };
            for &(other, _, _) in confirmed.iter().filter(|c| merges(c) && c.0 != into) {
                conn.prepare_cached("UPDATE story_members SET story_id = ?1 WHERE story_id = ?2")?
                    .execute(params![into, other])?;
                conn.prepare_cached("DELETE FROM stories WHERE id = ?1")?.execute([other])?;
                bands.known.merged(other, into);
                tracing::debug!(into, merged = other, via = %doc.id, "stories merged");
            }
            into
        }
        None => {
            // `last_insert_rowid` rather than RETURNING, which buffers its rows in a temporary
            // table: measurable on every document ingested.
            conn.prepare_cached("INSERT INTO stories (created_at, rep) VALUES (?1, ?2)")?
                .execute(params![stored_at, doc.id])?;
            conn.last_insert_rowid()
        }
    };
    // Only short texts founding a story are counted: template wording lives in briefs and
    // notices, and copies joining a story must not stop its own text.
    let stop_counted = confirmed.is_empty() && sketch.is_usable() && sample.shingles < STOP_COUNT_BELOW;
    let blob = key_blob(keys);
    conn.prepare_cached(
        "INSERT INTO story_members (doc_id, story_id, band_keys, sample, day, stop_counted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![doc.id, story, blob, sample.to_blob(), day, stop_counted])?;
    let member = conn.last_insert_rowid();
    bands.known.joined(member, story);
    bands.add(day, member, &probe, stop_counted.then_some(sample.hashes.as_slice()));
    Ok(story)
}

/// Band keys as `story_members.band_keys` stores them: the index uses 32 bits of a key
/// (`bands::probe_keys`), so only those are kept.
fn key_blob(keys: &[i64]) -> Vec<u8> {
    keys.iter().flat_map(|&k| (k as u32).to_le_bytes()).collect()
}

/// The stories of the members sharing band keys with a document, those sharing the most first
/// (the oldest story when equal), at most [`MAX_CANDIDATE_STORIES`].
fn candidate_stories(conn: &Connection, bands: &mut BandIndex, day: i64, probe: &bands::Probe) -> Result<Vec<i64>> {
    let mut by_story: HashMap<i64, u32> = HashMap::new();
    let members = bands.candidates(conn, day, probe)?;
    if !members.is_empty() {
        // Before anything kept is read (most documents have no candidate, and need not ask).
        bands.known.follow(conn)?;
    }
    for (member, n) in members {
        // A member that has since left (updated, deleted) is no candidate.
        if let Some(story) = bands.known.story_of(conn, member)? {
            *by_story.entry(story).or_default() += n;
        }
    }
    let mut ranked: Vec<(i64, u32)> = by_story.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ranked.into_iter().take(MAX_CANDIDATE_STORIES).map(|(s, _)| s).collect())
}

/// Takes a document out of its story (before it is assigned again); a story left empty goes.
fn unassign(conn: &Connection, known: &mut known::Known, doc_id: &str) -> Result<()> {
    let found: Option<(i64, i64)> = conn
        .prepare_cached("SELECT rowid, story_id FROM story_members WHERE doc_id = ?1")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((member, story)) = found else {
        return Ok(());
    };
    known.left(member, story);
    conn.prepare_cached("DELETE FROM story_members WHERE doc_id = ?1")?.execute([doc_id])?;
    conn.prepare_cached(
        "DELETE FROM stories WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM story_members WHERE story_id = ?1)",
    )?
    .execute([story])?;
    Ok(())
}

/// The store seq of a stored document (0 when it is not stored).
pub fn stored_seq(conn: &Connection, doc_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT seq FROM documents WHERE id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
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
pub fn backfill(conn: &Connection, bands: &mut BandIndex) -> Result<u64> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM story_members) ORDER BY seq")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        if let Some((doc, seq, stored_at)) = load_text(conn, id)? {
            assign(conn, bands, &doc, seq, stored_at)?;
        }
    }
    if !ids.is_empty() {
        tracing::info!(documents = ids.len(), "stories assigned to documents that had none");
    }
    Ok(ids.len() as u64)
}

/// Sketches again every member whose stored sample an earlier sketch made (store migration 11
/// cleared them and left the meta key `stories_resketch`): stories and memberships stay, only
/// what later documents are compared with is renewed. Returns how many it sketched; after a
/// change, `bands` is cleared (it may hold those members without keys).
pub fn resketch(conn: &Connection, bands: &mut BandIndex) -> Result<u64> {
    let pending = conn
        .prepare_cached("SELECT 1 FROM meta WHERE key = 'stories_resketch'")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some();
    if !pending {
        return Ok(0);
    }
    let ids: Vec<String> = conn
        .prepare("SELECT doc_id FROM story_members WHERE length(sample) < 5 ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !ids.is_empty() {
        // Once per directory, after an upgrade: ≈ 25 µs a document (qqnews: 53,601 in 1.3 s).
        tracing::info!(documents = ids.len(), "renewing story sketches stored by an earlier version (once)");
    }
    let mut update =
        conn.prepare_cached("UPDATE story_members SET band_keys = ?2, sample = ?3 WHERE doc_id = ?1")?;
    for id in &ids {
        if let Some((doc, _, _)) = load_text(conn, id)? {
            let sketch = Sketch::of(&doc);
            update.execute(params![id, key_blob(&sketch.keys), sketch.sample.to_blob()])?;
        }
    }
    conn.execute("DELETE FROM meta WHERE key = 'stories_resketch'", [])?;
    if !ids.is_empty() {
        bands.clear();
        tracing::info!(documents = ids.len(), "story sketches renewed");
    }
    Ok(ids.len() as u64)
}

/// Turns a data directory back into one of schema 10, as the earlier sketch left it (samples and
/// band keys it wrote, no `stories_resketch` key): the next open migrates it. For tests of the
/// upgrade.
#[cfg(test)]
pub(crate) fn as_written_by_the_earlier_sketch(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "UPDATE story_members SET sample = x'4006000002', band_keys = zeroblob(120);
         DELETE FROM meta WHERE key = 'stories_resketch';
         PRAGMA user_version = 10;",
    )?;
    Ok(())
}

/// The text of a stored document, enough to sketch it, and when it was stored.
fn load_text(conn: &Connection, id: &str) -> Result<Option<(Document, i64, i64)>> {
    let row: Option<(String, String, String, Option<i64>, i64, i64)> = conn
        .prepare_cached("SELECT title, lang, paragraphs, published_at, seq, ingested_at FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((title, lang, paragraphs, published, seq, stored_at)) = row else {
        return Ok(None);
    };
    Ok(Some((
        Document {
            id: id.to_string(),
            title,
            source: String::new(),
            published_at: published.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            published_precision: None,
            url: None,
            lang: Lang::parse(&lang).unwrap_or(Lang::Zh),
            paragraphs: serde_json::from_str(&paragraphs)?,
            meta: serde_json::Value::Null,
        },
        seq,
        stored_at,
    )))
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
