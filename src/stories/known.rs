//! known: what this process has already read of the stories it compares documents with.
//!
//! A candidate member's story (`story_members.story_id`) and a candidate story's stored samples
//! (its representative and earliest members, their dates and headlines) are read from SQLite
//! the first time a document needs them and kept, because templated briefs bring the same
//! stories back as candidates document after document (FinCUGE: 27,421 reads of 4,923 stories'
//! samples). Every write this process makes to a story (a member joins or leaves, two stories
//! merge) updates or drops what is kept of it, and a commit by any other connection
//! (`PRAGMA data_version`) drops everything, so what is read from here is always what SQLite
//! would answer. It must not be written to except by [`super::assign`] and its helpers, and
//! it holds nothing SQLite does not.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::bands::Map;
use super::sketch;
use crate::error::Result;

/// A member as candidates are compared with it: its stored sample, when it was published, its
/// headline's word pairs.
pub type MemberSample = (sketch::Sample, Option<i64>, Vec<u64>);

/// Sampled hashes kept at most (4 bytes each; a qqnews story's members hold ≈ 2,000, a
/// FinCUGE brief's ≈ 150): past it, all are dropped and read again as needed. (A cap of 4,096
/// stories dropped FinCUGE's every few hundred documents: it brings back 4,923.)
const MAX_HASHES: usize = 1 << 20;
/// Members whose story is kept at most (16 bytes each).
const MAX_MEMBERS: usize = 1 << 20;

/// See the module doc. One per [`super::BandIndex`], emptied with it.
#[derive(Default)]
pub struct Known {
    /// `PRAGMA data_version` when last asked: it changes when another connection commits.
    version: Option<i64>,
    /// Member (`story_members` rowid, as the band index holds it) → its story, or `None` when it
    /// has none (it left).
    story_of: Map<u32, Option<i64>>,
    /// Story → the story it merged into, for members read before the merge.
    merged: Map<i64, i64>,
    /// Story → its samples as [`samples`](Known::samples) returns them.
    samples: Map<i64, Arc<[MemberSample]>>,
    /// Sampled hashes in `samples`.
    hashes: usize,
}

impl Known {
    /// Drops everything when another connection has committed since the last call; called
    /// before anything kept is read (what this process writes meanwhile may be recorded in a
    /// stale copy: it goes with it). `conn` is the writing transaction: nothing else commits
    /// while it is open.
    pub fn follow(&mut self, conn: &Connection) -> Result<()> {
        let version: i64 = conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        if self.version != Some(version) {
            *self = Known { version: Some(version), ..Known::default() };
        }
        Ok(())
    }

    /// The story of a member, `None` when it has left its story.
    pub fn story_of(&mut self, conn: &Connection, member: u32) -> Result<Option<i64>> {
        let story = match self.story_of.get(&member) {
            Some(&story) => story,
            None => {
                let story = conn
                    .prepare_cached("SELECT story_id FROM story_members WHERE rowid = ?1")?
                    .query_row([i64::from(member)], |r| r.get::<_, i64>(0))
                    .optional()?;
                if self.story_of.len() >= MAX_MEMBERS {
                    self.story_of.clear();
                }
                self.story_of.insert(member, story);
                story
            }
        };
        Ok(story.map(|s| self.current(s)))
    }

    /// The story `story` is now, following merges.
    fn current(&self, mut story: i64) -> i64 {
        while let Some(&into) = self.merged.get(&story) {
            story = into;
        }
        story
    }

    /// A story's stored samples: its representative first (or, when the representative has
    /// left the story, its earliest member), then the other members earliest first, at most
    /// `limit` in all.
    pub fn samples(&mut self, conn: &Connection, story: i64, limit: usize) -> Result<Arc<[MemberSample]>> {
        if let Some(kept) = self.samples.get(&story) {
            return Ok(Arc::clone(kept));
        }
        let rows: Vec<(Vec<u8>, Option<i64>, String)> = conn
            .prepare_cached(
                "SELECT m.sample, d.published_at, d.title FROM story_members m JOIN documents d ON d.id = m.doc_id
                 WHERE m.story_id = ?1
                 ORDER BY m.doc_id = (SELECT rep FROM stories WHERE id = ?1) DESC, d.seq LIMIT ?2",
            )?
            .query_map(params![story, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let read: Arc<[MemberSample]> = rows
            .iter()
            .filter_map(|(b, at, title)| sketch::Sample::from_blob(b).map(|s| (s, *at, sketch::headline_pairs(title))))
            .collect();
        if self.hashes + hashes_in(&read) > MAX_HASHES {
            self.samples.clear();
            self.hashes = 0;
        }
        self.hashes += hashes_in(&read);
        self.samples.insert(story, Arc::clone(&read));
        Ok(read)
    }

    /// A member (rowid `member`) joined `story`.
    pub fn joined(&mut self, member: i64, story: i64) {
        self.forget_samples(story);
        self.set(member, Some(story));
    }

    /// A member left `story` (its row is gone).
    pub fn left(&mut self, member: i64, story: i64) {
        self.forget_samples(story);
        self.set(member, None);
    }

    fn forget_samples(&mut self, story: i64) {
        if let Some(kept) = self.samples.remove(&story) {
            self.hashes -= hashes_in(&kept);
        }
    }

    fn set(&mut self, member: i64, story: Option<i64>) {
        match u32::try_from(member) {
            Ok(member) => {
                self.story_of.insert(member, story);
            }
            // Beyond the band index's 32-bit member ids: its lookups go to SQLite.
            Err(_) => self.story_of.clear(),
        }
    }

    /// Story `other`'s members moved to `into`, and `other` is gone.
    pub fn merged(&mut self, other: i64, into: i64) {
        self.forget_samples(other);
        self.forget_samples(into);
        self.merged.insert(other, into);
    }
}

fn hashes_in(samples: &[MemberSample]) -> usize {
    samples.iter().map(|(s, _, _)| s.hashes.len()).sum()
}
