//! bands: which stored documents might tell the same story as a new one, and which of its
//! wording is template?
//!
//! The LSH candidate lookup and the stop list, in memory. Every story member's band keys and
//! shingle sample are stored with it (`story_members`, with the `day` it is compared around);
//! this index maps band keys to members for the days a process needs, and counts in how many
//! stories founded on those days each sampled shingle was seen (the stop list,
//! [`STOP_DF`](super::STOP_DF)), loaded from those rows on first use. A copy is
//! published within [`MAX_APART_SECS`](super::MAX_APART_SECS) of the member it matches, so a
//! document only ever needs the members of its own day and the three on either side: a day's
//! keys are read once (one indexed range of `story_members`), ingest in date order touches a
//! handful of days, and the cost per document stays the same however many documents the
//! directory holds. The rows it was built from are the truth: this index only proposes
//! candidates, which are then confirmed on stored samples, so a stale or colliding entry costs
//! a check and never a wrong merge.
//!
//! It must not be the only copy of anything: it is rebuilt from SQLite in every process, and it
//! follows rows other processes add (everything past the highest `story_members` rowid it has
//! seen) before each lookup. Days beyond [`MAX_ENTRIES`] are dropped, least recently used first,
//! so a load in random date order costs re-reads, never unbounded memory.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use rusqlite::{Connection, params};

use super::sketch::{ANCHOR_LEVEL, Sample};
use crate::error::Result;

/// Most band entries held in memory (≈ 15 bytes each in the maps and 1–4 in the day's key
/// filter, 8–32 bits a key: ≈ 65–75 MB). A qqnews article has ≈ 190
/// keys (30 band keys and its anchors), so this holds ≈ 20,000 articles: the week around a
/// document for a few thousand articles a day. Past it, days are dropped and read again when
/// needed — ingest in date order rarely does; a load in scattered date order does often (the
/// 1 M benchmark's interleaved copies: BENCHMARKS.md).
pub const MAX_ENTRIES: usize = 4_000_000;

/// Lookups (documents looking for candidates) after which a day none of them has touched is
/// dropped, however few entries the index holds: ingest in date order never comes back to it,
/// and its memory, and its counts in the stop list's bound ([`CountBound`]), only crowd the
/// processor's caches — which the index threads running beside ingest share. A day needed
/// again is read again.
pub const STALE_AFTER: u64 = 4_096;
/// Lookups after which a day whose stop-list counts no stop list has read has them dropped
/// (keeping its keys, if loaded): in date order a day leaves every later document's window
/// ([`STOP_DAYS_AROUND`]) for good, and the counts of days left behind only raise the stop
/// list's bound ([`CountBound`]), so more shingles are read day by day for nothing.
pub const COUNTS_STALE_AFTER: u64 = 512;
/// Lookups between two sweeps for stale days (a sweep visits every loaded day).
const STALE_SWEEP: u64 = 256;

/// Days on either side of a document's own that hold its candidates.
pub const DAYS_AROUND: i64 = (super::MAX_APART_SECS + 86_399) / 86_400;

/// Days on either side of a document's own whose founded stories count towards its stop list:
/// template wording (press-conference transcripts, 最高检 arrest notices, earthquake bulletins)
/// recurs every few days to weeks; over ±3 days too few are seen to stop it (measured on
/// qqnews: 15 more template merges than over ±30 days).
pub const STOP_DAYS_AROUND: i64 = 30;

/// Seconds since 1970 → the day (UTC) a member is compared around.
pub fn day_of(ts: i64) -> i64 {
    ts.div_euclid(86_400)
}

/// Undated documents are compared with the undated documents stored nearest them: they go in
/// buckets of this many store seqs, far below any day, and look ±[`DAYS_AROUND`] buckets
/// around their own for candidates and stop words alike. (Putting them under the day they were
/// stored in put a whole bulk load of an undated corpus in one bucket, which outgrew
/// [`MAX_ENTRIES`] alone and made every other day reload for each document.)
pub const UNDATED_PER_BUCKET: i64 = 5_000;
const UNDATED: i64 = i64::MIN / 2;

/// The bucket a member is filed and compared under: its publication day, or for an undated
/// document a bucket of its store seq (see [`UNDATED_PER_BUCKET`]).
pub fn bucket_of(published: Option<i64>, seq: i64) -> i64 {
    match published {
        Some(ts) => day_of(ts),
        None => UNDATED + seq.div_euclid(UNDATED_PER_BUCKET),
    }
}

/// The buckets searched for candidates and counted for the stop list around `bucket`.
fn windows(bucket: i64) -> (RangeInclusive<i64>, RangeInclusive<i64>) {
    let stop = if bucket < UNDATED / 2 { DAYS_AROUND } else { STOP_DAYS_AROUND };
    (bucket - DAYS_AROUND..=bucket + DAYS_AROUND, bucket - stop..=bucket + stop)
}

/// In how many short stories founded on one day each sampled shingle was seen (that day's
/// stop-list counts). One map a day rather than one for every loaded day: counting a founding
/// story's ≈ 100 shingles probes a map of one day (a few hundred KB on Reuters, where the caches
/// hold it), a day leaving the window goes whole instead of a shingle at a time, and a stop-list
/// lookup reads the days of its window only for the few shingles [`CountBound`] lets through.
/// (One map shared by every day cost two probes at a random place of a map of two months per
/// shingle counted, one to count it and one to take it out: 16 % of ingest's main thread on
/// Reuters.)
#[derive(Default)]
struct DayCounts {
    counts: Map<u32, u16>,
    /// Shingles counted (with repeats).
    counted: usize,
}

impl DayCounts {
    fn add(&mut self, h: u32) {
        let n = self.counts.entry(h).or_insert(0);
        *n = n.saturating_add(1);
        self.counted += 1;
    }

    fn of(&self, h: u32) -> u16 {
        self.counts.get(&h).copied().unwrap_or(0)
    }
}

/// An upper bound on a shingle's stop-list count over every day whose counts are loaded: one
/// byte per cell, each cell the sum of the counts of the shingles that fall in it, stuck at 255
/// once it gets there (it can then only be too high; all go back to 0 when no day's counts are
/// loaded). A shingle whose cell is under [`STOP_DF`](super::STOP_DF) is no stop word on any
/// window, and most of a document's shingles are seen once: the stop list reads its days'
/// counts only for the rest — one probe of a megabyte a shingle, where it was a probe of each of
/// 61 days (a per-day filter in front of each day's map: 11 % of the main thread on Reuters).
#[derive(Default)]
struct CountBound {
    cells: Vec<u8>,
}

impl CountBound {
    /// 1 M cells (1 MB, as much as the caches hold beside the index threads): the million
    /// shingles Reuters counts over two months put about 2 counts in a cell, and fewer than
    /// 1 in 1,000 cells reach 8 by chance (a 4 MB table measured no better).
    const BITS: u32 = 20;

    fn index(h: u32) -> usize {
        (h.wrapping_mul(0x9e37_79b1) >> (32 - Self::BITS)) as usize
    }

    fn cell(&mut self, h: u32) -> &mut u8 {
        if self.cells.is_empty() {
            self.cells = vec![0; 1 << Self::BITS];
        }
        &mut self.cells[Self::index(h)]
    }

    fn add(&mut self, h: u32) {
        let c = self.cell(h);
        *c = c.saturating_add(1);
    }

    fn at_least(&self, h: u32, n: i64) -> bool {
        self.cells.get(Self::index(h)).is_some_and(|&c| i64::from(c) >= n)
    }

    /// Takes out every count of a day leaving (but of cells stuck at 255).
    fn forget(&mut self, day: &DayCounts) {
        for (&h, &n) in &day.counts {
            let c = self.cell(h);
            if *c != u8::MAX {
                *c = c.saturating_sub(u8::try_from(n).unwrap_or(u8::MAX));
            }
        }
    }
}

/// A member's keys in the index: its LSH band keys, cut to 32 bits with the top bit set, and its
/// anchors ([`Sample::anchors`]: sampled hashes with ≥ 2 leading zero bits, so the top bit is
/// clear). Bands find copies of similar length, anchors a brief inside a longer article. 32 bits
/// only need to tell apart the keys of one day (a stray match per few hundred documents on a
/// heavy day, confirmed on samples and dropped).
pub fn probe_keys(band_keys: &[i64], sample: Option<&Sample>) -> Probe {
    let mut keys: Vec<u32> = band_keys.iter().map(|&k| k as u32 | BAND_BIT).collect();
    let (mut anchors, mut level) = (0u16, ANCHOR_LEVEL);
    if let Some(s) = sample {
        let before = keys.len();
        keys.extend(s.anchors());
        anchors = u16::try_from(keys.len() - before).unwrap_or(u16::MAX);
        level = s.level.max(ANCHOR_LEVEL);
    }
    Probe { keys, size: Size { anchors, level } }
}

/// A member's keys, and how many of them are anchors at what sampling level.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub keys: Vec<u32>,
    pub size: Size,
}

/// How many anchors a member has, sampled at 1 in 2^`level`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub anchors: u16,
    pub level: u8,
}

impl Size {
    /// About how many anchors two texts would share if the smaller were wholly in the larger,
    /// both cut to the sparser of their two levels.
    fn most_shared(self, other: Size) -> f64 {
        let level = self.level.max(other.level);
        let at = |s: Size| f64::from(s.anchors) / f64::from(1u32 << (level - s.level).min(31));
        at(self).min(at(other))
    }
}

/// Anchors shared, as a share of [`Size::most_shared`], for a member to be a candidate without
/// a band in common: a contained copy shares ≥ 60 % ([`CONTAINED_OVERLAP`](super::CONTAINED_OVERLAP)),
/// so a third leaves room for sampling noise, while two long articles sharing a few common
/// phrases are not worth reading their samples for.
const MIN_ANCHOR_SHARE: f64 = 0.33;

/// Whether a member sharing `shared` with a document is worth comparing samples with: a band in
/// common, or anchors enough (see [`MIN_ANCHOR_SHARE`]; never fewer than two: one can be chance).
pub fn is_candidate(shared: Shared, mine: Size, theirs: Size) -> bool {
    shared.bands > 0 || f64::from(shared.anchors) >= (mine.most_shared(theirs) * MIN_ANCHOR_SHARE).max(2.0)
}

const BAND_BIT: u32 = 0x8000_0000;

/// Members sharing more anchors than this with one key's posting on one day are template
/// wording, not a copy: that key is skipped.
const MAX_POSTING: usize = 64;

/// How much a stored member shares with a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shared {
    pub bands: u16,
    pub anchors: u16,
}

impl Shared {
    /// Counts one key in common (see [`probe_keys`]: a band key or an anchor).
    fn count(&mut self, key: u32) {
        if key & BAND_BIT != 0 {
            self.bands = self.bands.saturating_add(1);
        } else {
            self.anchors = self.anchors.saturating_add(1);
        }
    }
}

/// Whether two documents' sketches would make each other a candidate in the index (the rule
/// [`BandIndex::candidates`] applies), for measuring that rule on labelled pairs.
pub fn are_candidates(a: &super::Sketch, b: &super::Sketch) -> bool {
    let probe = |s: &super::Sketch| probe_keys(&s.keys, Some(&s.sample));
    let (mine, theirs) = (probe(a), probe(b));
    let keys: HashSet<u32> = theirs.keys.iter().copied().collect();
    let mut shared = Shared::default();
    mine.keys.iter().filter(|k| keys.contains(k)).for_each(|&k| shared.count(k));
    is_candidate(shared, mine.size, theirs.size)
}

/// A hasher for keys that are hash values already: hashing them again with SipHash (std's default) was a
/// third of the index's time. One multiply spreads a key over the 64 bits the table uses.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_i64(&mut self, v: i64) {
        self.0 = (self.0 ^ v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub type Map<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// One day's keys (see [`probe_keys`]).
#[derive(Default)]
struct Day {
    /// Key → the first member (a `story_members` rowid) that has it.
    first: Map<u32, u32>,
    /// Key → further members with it (rare: copies and template wording): the last added (an
    /// index in `chain`) and how many.
    more: Map<u32, (u32, u32)>,
    /// Further members, each with the index of the one added before it under the same key
    /// ([`NO_LINK`] for the first): one allocation a day where a `Vec` a key cost one each, to
    /// make and to free when the day goes.
    chain: Vec<(u32, u32)>,
    /// Three bits for each key held, in a table of at least eight bits a key ([`KeyFilter`]):
    /// most keys a document looks up are on no day, and this says so from a few kilobytes
    /// instead of probing `first`, ten times its size.
    filter: KeyFilter,
    /// Member → its anchors (for [`Size::most_shared`]).
    sizes: Map<u32, Size>,
    /// Whether `first`/`more` hold the day's members (days only counted for the stop list
    /// do not hold them).
    bands_loaded: bool,
    /// The day's stop-list counts, when read.
    counts: Option<DayCounts>,
    entries: usize,
    /// The clock when a lookup last touched the day (its keys or its counts).
    used: u64,
    /// The clock when a stop list last read its counts.
    counts_used: u64,
}

impl Day {
    fn add_member(&mut self, member: u32, probe: &Probe) {
        for &k in &probe.keys {
            self.add(k, member);
        }
        self.sizes.insert(member, probe.size);
    }

    fn add(&mut self, k: u32, member: u32) {
        match self.first.entry(k) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(member);
                self.filter.insert(k, &self.first);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                let (last, n) = self.more.entry(k).or_insert((NO_LINK, 0));
                self.chain.push((member, *last));
                *last = (self.chain.len() - 1) as u32;
                *n += 1;
            }
        }
        self.entries += 1;
    }

    fn members(&self, k: u32, out: &mut impl FnMut(u32)) {
        if !self.filter.may_hold(k) {
            return;
        }
        if let Some(&m) = self.first.get(&k) {
            match self.more.get(&k) {
                Some(&(_, n)) if n as usize >= MAX_POSTING => {}
                Some(&(last, _)) => {
                    out(m);
                    let mut at = last;
                    while let Some(&(m, before)) = self.chain.get(at as usize) {
                        out(m);
                        at = before;
                    }
                }
                None => out(m),
            }
        }
    }
}

/// The link of the first further member of a key ([`Day::chain`]).
const NO_LINK: u32 = u32::MAX;

/// A set of keys that may answer "held" for a key it does not hold (about one in thirty at
/// most, fewer than one in a hundred typically) but never "not held" for one it does: one
/// multiply picks a 64-bit word and three bits in it, all three set for a key held. (One bit a
/// key let one absent key in eight to sixteen through, each costing two cache misses in the
/// day's map: 45 % of the candidate lookup's own time.)
#[derive(Default)]
struct KeyFilter {
    /// A power of two of 64-bit words (or none).
    bits: Vec<u64>,
}

impl KeyFilter {
    const SLOTS_PER_KEY: usize = 8;

    /// The word and the mask of three bits for `k`.
    fn place(&self, k: u32) -> (usize, u64) {
        // The word from the top bits of a multiply, the three bits from the bits below them
        // (every bit of the key counts in both; keys are hashes already).
        let h = u64::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let words = self.bits.len().trailing_zeros();
        let word = (h >> 1 >> (63 - words)) as usize;
        let mask = 1 << (h >> 20 & 63) | 1 << (h >> 26 & 63) | 1 << (h >> 32 & 63);
        (word, mask)
    }

    fn may_hold(&self, k: u32) -> bool {
        // An empty filter (no key yet) holds nothing.
        !self.bits.is_empty() && {
            let (w, mask) = self.place(k);
            self.bits[w] & mask == mask
        }
    }

    /// Adds `k`, just added to `held` (the day's keys); when `held` outgrows
    /// [`Self::SLOTS_PER_KEY`] bits a key, the table is built again four times larger from all
    /// of them.
    fn insert(&mut self, k: u32, held: &Map<u32, u32>) {
        if held.len() * Self::SLOTS_PER_KEY > 64 * self.bits.len() {
            let slots = (held.len() * Self::SLOTS_PER_KEY * 4).next_power_of_two().max(1 << 12);
            self.bits = vec![0; slots / 64];
            for &key in held.keys() {
                self.set(key);
            }
        } else {
            self.set(k);
        }
    }

    fn set(&mut self, k: u32) {
        let (w, mask) = self.place(k);
        self.bits[w] |= mask;
    }
}

/// The in-memory band index (see the module doc). One per engine; empty until the first lookup.
#[derive(Default)]
pub struct BandIndex {
    days: Map<i64, Day>,
    /// The highest `story_members` rowid this index has taken into account; `None` until first
    /// used (then it starts at the table's current maximum: loading a day reads it whole).
    seen: Option<i64>,
    entries: usize,
    clock: u64,
    /// An upper bound on every shingle's stop-list count over the loaded days.
    bound: CountBound,
    /// The candidate stories' membership and samples read so far (emptied with the rest).
    pub(super) known: super::known::Known,
}

impl BandIndex {
    pub fn new() -> BandIndex {
        BandIndex::default()
    }

    /// Forgets everything (after a rolled-back transaction: rows it was told of may not exist).
    pub fn clear(&mut self) {
        *self = BandIndex::default();
    }

    /// Members stored around `day` sharing at least one of `keys`, each with how many keys it
    /// shares. `conn` must be the writing transaction (the one that will store the document).
    pub fn candidates(&mut self, conn: &Connection, day: i64, probe: &Probe) -> Result<Vec<(u32, u32)>> {
        self.catch_up(conn)?;
        let (wanted, _) = windows(day);
        for d in wanted.clone() {
            self.load_day(conn, d)?;
        }
        self.clock += 1;
        let mut found = Vec::new();
        let mut shared: Map<u32, Shared> = Map::default();
        for d in wanted.clone() {
            let Some(day) = self.days.get_mut(&d) else { continue };
            day.used = self.clock;
            if day.first.is_empty() {
                // A day not yet ingested (date order): nothing to look up.
                continue;
            }
            for &k in &probe.keys {
                day.members(k, &mut |m| shared.entry(m).or_default().count(k));
            }
            for (m, s) in shared.drain() {
                if is_candidate(s, probe.size, day.sizes.get(&m).copied().unwrap_or_default()) {
                    found.push((m, u32::from(s.bands) + u32::from(s.anchors)));
                }
            }
        }
        self.evict(&wanted, MAX_ENTRIES);
        Ok(found)
    }

    /// The sampled shingles of `hashes` seen in at least [`STOP_DF`](super::STOP_DF) short
    /// stories founded within [`STOP_DAYS_AROUND`] days of `day`. The counts of a day are read
    /// the first time a document near it has candidates to compare: most documents have none,
    /// and reading two months of samples for each new day made a bulk load of scattered dates
    /// crawl.
    /// Sorted (for [`Sample::overlap`]).
    pub fn stop_list(&mut self, conn: &Connection, day: i64, hashes: &[u32]) -> Result<Vec<u32>> {
        let (_, near) = windows(day);
        for d in near.clone() {
            self.load_counts(conn, d)?;
        }
        let days: Vec<&DayCounts> =
            near.clone().filter_map(|d| self.days.get(&d).and_then(|d| d.counts.as_ref())).collect();
        // Summed until the threshold: a template shingle is seen on most days.
        let bound = &self.bound;
        let stopped = |h: u32| {
            if !bound.at_least(h, super::STOP_DF) {
                return false;
            }
            let mut n = 0i64;
            for d in &days {
                n += i64::from(d.of(h));
                if n >= super::STOP_DF {
                    return true;
                }
            }
            false
        };
        let mut stop: Vec<u32> = hashes.iter().copied().filter(|&h| stopped(h)).collect();
        stop.sort_unstable();
        self.evict(&near, MAX_ENTRIES);
        Ok(stop)
    }

    /// Counts one founding story's sampled shingles under `day` (loaded).
    fn count(&mut self, day: i64, hashes: &[u32]) {
        let Some(d) = self.days.get_mut(&day) else { return };
        let Some(counts) = d.counts.as_mut() else { return };
        for &h in hashes {
            counts.add(h);
            self.bound.add(h);
        }
        d.entries += hashes.len();
        self.entries += hashes.len();
    }

    /// Records a member just stored (rowid `member`) under `day`; `stop` is its sample's hashes
    /// when it counts towards the stop list.
    pub fn add(&mut self, day: i64, member: i64, probe: &Probe, stop: Option<&[u32]>) {
        self.seen = Some(self.seen.map_or(member, |s| s.max(member)));
        // A day being ingested gets its keys one document at a time: its maps start at the size
        // of an average loaded day instead of doubling their way there, moving every entry each
        // time (1 % of ingest). Undated buckets hold thousands of documents: they grow as they
        // come.
        let typical = (day >= UNDATED / 2 && self.days.get(&day).is_some_and(|d| d.bands_loaded && d.first.is_empty()))
            .then(|| self.typical_day());
        if let Some(d) = self.days.get_mut(&day) {
            if d.bands_loaded {
                if let Some((keys, members)) = typical {
                    d.first.reserve(keys);
                    d.sizes.reserve(members);
                }
                d.add_member(member as u32, probe);
                self.entries += probe.keys.len();
            }
            if let Some(hashes) = stop {
                self.count(day, hashes);
            }
        }
    }

    /// Takes in members other processes stored since this index last looked.
    fn catch_up(&mut self, conn: &Connection) -> Result<()> {
        let max: i64 = conn
            .prepare_cached("SELECT COALESCE(MAX(rowid), 0) FROM story_members")?
            .query_row([], |r| r.get(0))?;
        let Some(seen) = self.seen else {
            self.seen = Some(max);
            return Ok(());
        };
        if max <= seen {
            return Ok(());
        }
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, day, band_keys, sample, stop_counted FROM story_members WHERE rowid > ?1",
        )?;
        let mut rows = stmt.query([seen])?;
        while let Some(r) = rows.next()? {
            let Some(day) = r.get::<_, Option<i64>>(1)? else { continue };
            let sample = r.get_ref(3)?.as_blob().ok().and_then(Sample::from_blob);
            let probe = probe_keys(&keys_of(r.get_ref(2)?.as_blob().unwrap_or_default()), sample.as_ref());
            let stop = sample.as_ref().filter(|_| r.get::<_, bool>(4).unwrap_or(false)).map(|s| s.hashes.as_slice());
            self.add(day, r.get(0)?, &probe, stop);
        }
        self.seen = Some(max);
        Ok(())
    }

    /// Reads a day's band keys and anchors (once).
    fn load_day(&mut self, conn: &Connection, day: i64) -> Result<()> {
        let loaded = self.days.entry(day).or_default();
        if loaded.bands_loaded {
            return Ok(());
        }
        let before = loaded.entries;
        let mut stmt = conn.prepare_cached("SELECT rowid, band_keys, sample FROM story_members WHERE day = ?1")?;
        let mut rows = stmt.query(params![day])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let bands = keys_of(r.get_ref(1)?.as_blob().unwrap_or_default());
            let sample = r.get_ref(2)?.as_blob().ok().and_then(Sample::from_blob);
            loaded.add_member(rowid as u32, &probe_keys(&bands, sample.as_ref()));
        }
        loaded.bands_loaded = true;
        self.entries += loaded.entries - before;
        Ok(())
    }

    /// The keys and members of an average loaded (dated) day.
    fn typical_day(&self) -> (usize, usize) {
        let (keys, members, days) = self
            .days
            .iter()
            .filter(|(day, d)| d.bands_loaded && **day >= UNDATED / 2)
            .map(|(_, d)| d)
            .fold((0, 0, 0), |(keys, members, days), d| (keys + d.first.len(), members + d.sizes.len(), days + 1));
        (keys / days.max(1), members / days.max(1))
    }

    /// Reads a day's stop-list counts (once).
    fn load_counts(&mut self, conn: &Connection, day: i64) -> Result<()> {
        let loaded = self.days.entry(day).or_default();
        loaded.used = self.clock;
        loaded.counts_used = self.clock;
        if loaded.counts.is_some() {
            return Ok(());
        }
        loaded.counts = Some(DayCounts::default());
        let samples: Vec<Vec<u8>> = conn
            .prepare_cached("SELECT sample FROM story_members WHERE day = ?1 AND stop_counted")?
            .query_map(params![day], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for sample in samples.iter().filter_map(|b| Sample::from_blob(b)) {
            self.count(day, &sample.hashes);
        }
        Ok(())
    }

    /// Over `limit`, drops the least recently used days (never one of `keep`) until a quarter
    /// of it is free again: in one pass, so a stream whose days do not fit evicts now and then
    /// rather than on every document. Every [`STALE_SWEEP`] lookups it also drops the days no
    /// lookup has touched for [`STALE_AFTER`], whatever the size.
    fn evict(&mut self, keep: &RangeInclusive<i64>, limit: usize) {
        let now = self.clock;
        let is_stale = |used: u64| used.saturating_add(STALE_AFTER) < now;
        let sweeping = now.is_multiple_of(STALE_SWEEP);
        if sweeping {
            let counts_stale = |d: &Day| d.counts.is_some() && d.counts_used.saturating_add(COUNTS_STALE_AFTER) < now;
            let stale: Vec<i64> =
                self.days.iter().filter(|(d, day)| !keep.contains(d) && counts_stale(day)).map(|(d, _)| *d).collect();
            for d in stale {
                self.drop_counts(d);
            }
            if self.days.values().all(|d| d.counts.is_none()) {
                // Nothing counted is left: cells stuck at 255 come unstuck.
                self.bound = CountBound::default();
            }
        }
        let sweep = sweeping && self.days.values().any(|d| is_stale(d.used));
        if self.entries <= limit && !sweep {
            return;
        }
        let mut order: Vec<(u64, i64)> =
            self.days.iter().filter(|(d, _)| !keep.contains(d)).map(|(d, day)| (day.used, *d)).collect();
        order.sort_unstable();
        for (used, oldest) in order {
            if self.entries <= limit - limit / 4 && !is_stale(used) {
                break;
            }
            if let Some(day) = self.days.remove(&oldest) {
                self.entries -= day.entries;
                if let Some(counts) = &day.counts {
                    self.bound.forget(counts);
                }
            }
        }
        tracing::debug!(entries = self.entries, days = self.days.len(), "story band index trimmed");
    }

    /// Takes a day's stop-list counts out of memory (they are read again when a stop list
    /// needs them), keeping its keys.
    fn drop_counts(&mut self, day: i64) {
        let Some(d) = self.days.get_mut(&day) else { return };
        let Some(counts) = d.counts.take() else { return };
        d.entries -= counts.counted;
        self.entries -= counts.counted;
        self.bound.forget(&counts);
        if !d.bands_loaded {
            self.days.remove(&day);
        }
    }

    /// Entries held (for tests and tracing).
    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

/// Band keys as stored: the low 32 bits of each (little-endian u32s), or from before, whole
/// little-endian i64s ([`BANDS`](super::sketch::BANDS) × 8 bytes). Only the low 32 bits are
/// used either way.
pub fn keys_of(blob: &[u8]) -> Vec<i64> {
    if blob.len() == super::sketch::BANDS * 8 {
        return blob.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    }
    blob.chunks_exact(4).map(|c| i64::from(u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Band keys stored as 64 bits (before) and as 32 bits (now) give the same index keys.
    #[test]
    fn band_keys_read_back_from_either_width() {
        let keys: Vec<i64> = (0..super::super::sketch::BANDS as i64).map(|i| i.wrapping_mul(0x1234_5678_9abc_def1).wrapping_sub(7)).collect();
        let wide: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
        let narrow: Vec<u8> = keys.iter().flat_map(|&k| (k as u32).to_le_bytes()).collect();
        assert_eq!(narrow.len(), keys.len() * 4);
        assert_eq!(probe_keys(&keys_of(&wide), None).keys, probe_keys(&keys, None).keys);
        assert_eq!(probe_keys(&keys_of(&narrow), None).keys, probe_keys(&keys, None).keys);
    }

    #[test]
    fn days_are_utc_and_floor_before_1970() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(DAYS_AROUND, 3);
    }

    /// Undated documents are filed by store seq far below any day (even 1700 BC), and their
    /// stop list spans as few buckets as their candidates.
    #[test]
    fn undated_documents_are_bucketed_by_seq() {
        assert_eq!(bucket_of(Some(86_400 * 3), 1), 3);
        assert_eq!(bucket_of(None, 4_999), bucket_of(None, 0));
        assert_eq!(bucket_of(None, 5_000), bucket_of(None, 0) + 1);
        assert!(bucket_of(None, 1 << 40) < day_of(-3_700 * 365 * 86_400));
        let (bands, stop) = windows(bucket_of(None, 12_345));
        assert_eq!((bands.end() - bands.start(), stop.end() - stop.start()), (6, 6));
        let (bands, stop) = windows(19_000);
        assert_eq!((bands.end() - bands.start(), stop.end() - stop.start()), (6, 60));
    }

    #[test]
    fn a_day_holds_several_members_per_key() {
        let mut d = Day::default();
        d.add(7, 1);
        d.add(7, 2);
        d.add(9, 3);
        d.add(7, 4);
        let mut got = Vec::new();
        d.members(7, &mut |m| got.push(m));
        got.sort_unstable();
        assert_eq!(got, vec![1, 2, 4]);
        got.clear();
        d.members(8, &mut |m| got.push(m));
        assert!(got.is_empty());
        assert_eq!(d.entries, 4);
    }

    /// An index over an empty store with `days` loaded (nothing to read), for members added by hand.
    fn loaded(days: impl IntoIterator<Item = i64>) -> BandIndex {
        let mut index = BandIndex::new();
        for day in days {
            let counts = Some(DayCounts::default());
            index.days.insert(day, Day { bands_loaded: true, counts, ..Day::default() });
        }
        index
    }

    fn band(keys: &[i64]) -> Probe {
        probe_keys(keys, None)
    }

    /// The candidates of a document on `day` with band keys `keys`, by member.
    fn found(index: &mut BandIndex, conn: &Connection, day: i64, keys: &[i64]) -> crate::Result<Vec<(u32, u32)>> {
        let mut got = index.candidates(conn, day, &band(keys))?;
        got.sort_unstable();
        Ok(got)
    }

    /// Sets when each loaded day was last used (its keys and its counts), for eviction.
    fn age(index: &mut BandIndex, used: impl Fn(i64) -> u64) {
        for (&day, d) in index.days.iter_mut() {
            d.used = used(day);
            d.counts_used = used(day);
        }
    }

    fn store() -> crate::Result<(tempfile::TempDir, crate::store::Store)> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let store = crate::store::Store::open(&dir.path().join("dossier.db"))?;
        Ok((dir, store))
    }

    /// A key held by several members finds each, with how many keys each shares; a member with
    /// no key is not held at all.
    #[test]
    fn a_key_holds_several_members() -> crate::Result<()> {
        let (_dir, store) = store()?;
        let mut index = loaded([10]);
        index.add(10, 1, &band(&[7, 8]), None);
        index.add(10, 2, &band(&[7]), None);
        index.add(10, 3, &band(&[9]), None);
        index.add(10, 4, &Probe::default(), None);
        assert_eq!(found(&mut index, store.connection(), 10, &[7, 8])?, vec![(1, 2), (2, 1)]);
        assert!(found(&mut index, store.connection(), 10, &[6])?.is_empty());
        assert_eq!(index.len(), 4);
        Ok(())
    }

    /// A member filed on day d is a candidate for documents of d-3..=d+3 and for none of d±4,
    /// though its day stays in memory while they look.
    #[test]
    fn members_are_found_within_three_days_only() -> crate::Result<()> {
        let (_dir, store) = store()?;
        let mut index = loaded([100]);
        index.add(100, 1, &band(&[5, 6]), None);
        for day in 97..=103 {
            assert_eq!(found(&mut index, store.connection(), day, &[5])?, vec![(1, 1)], "from day {day}");
        }
        for day in [96, 104] {
            assert!(found(&mut index, store.connection(), day, &[5, 6])?.is_empty(), "from day {day}");
            assert!(index.days.get(&100).is_some_and(|d| d.bands_loaded));
        }
        Ok(())
    }

    /// A key more than MAX_POSTING members of one day have finds none of that day's, still
    /// finds the same key's members on other days (up to MAX_POSTING of a day, all of them),
    /// and the day's members are still found by their other keys.
    #[test]
    fn a_key_too_common_on_a_day_is_skipped_for_that_day_only() -> crate::Result<()> {
        let (_dir, store) = store()?;
        let mut index = loaded([10, 11, 12]);
        let template = 42;
        let mut member = 0;
        let mut file = |index: &mut BandIndex, day: i64, n: usize, keys: &dyn Fn(i64) -> Vec<i64>| -> Vec<u32> {
            (0..n)
                .map(|_| {
                    member += 1;
                    index.add(day, member, &band(&keys(member)), None);
                    member as u32
                })
                .collect()
        };
        let over = file(&mut index, 10, MAX_POSTING + 1, &|m| vec![template, 1_000 + m]);
        let other_day = file(&mut index, 11, 1, &|_| vec![template]);
        let at_limit = file(&mut index, 12, MAX_POSTING, &|_| vec![template]);
        let got: Vec<u32> =
            found(&mut index, store.connection(), 11, &[template])?.into_iter().map(|(m, _)| m).collect();
        assert_eq!(got, [other_day, at_limit].concat());
        // The same day's members, by a key of their own.
        assert_eq!(found(&mut index, store.connection(), 11, &[1_000 + i64::from(over[3])])?, vec![(over[3], 1)]);
        // One day alone at the limit is a short posting: every member found.
        let mut index = loaded([10]);
        let alone = file(&mut index, 10, MAX_POSTING, &|_| vec![template]);
        assert_eq!(found(&mut index, store.connection(), 10, &[template])?.len(), alone.len());
        // One more, and the key finds none of them.
        file(&mut index, 10, 1, &|_| vec![template]);
        assert!(found(&mut index, store.connection(), 10, &[template])?.is_empty());
        Ok(())
    }

    /// Dropping a day for memory takes exactly its entries: the least recently used day no
    /// document is looking at goes, the count falls to the other days', its keys find nothing,
    /// and a key it shared with other days still finds theirs.
    #[test]
    fn evicting_a_day_removes_exactly_its_entries() -> crate::Result<()> {
        let (_dir, store) = store()?;
        let mut index = loaded([10, 13, 20, 30, 40]);
        index.add(10, 1, &band(&[1, 10, 11, 12]), None);
        index.add(13, 2, &band(&[1, 13]), None);
        index.add(20, 3, &band(&[1, 20]), None);
        index.add(20, 4, &band(&[1, 21]), None);
        index.add(30, 5, &band(&[30]), None);
        index.add(40, 6, &band(&[40]), None);
        let others = 2 + 4 + 1 + 1;
        assert_eq!(index.len(), 4 + others);
        // Day 10 is the oldest but for day 40, which a document is looking at.
        age(&mut index, |day| match day {
            40 => 0,
            10 => 1,
            _ => 9,
        });
        index.evict(&(40..=40), 11);
        assert!(!index.days.contains_key(&10));
        assert!([13, 20, 30, 40].iter().all(|d| index.days.contains_key(d)));
        assert_eq!(index.len(), others);
        for key in [10, 11, 12] {
            assert!(found(&mut index, store.connection(), 11, &[key])?.is_empty(), "key {key}");
        }
        assert_eq!(found(&mut index, store.connection(), 11, &[1])?, vec![(2, 1)]);
        assert_eq!(found(&mut index, store.connection(), 17, &[1, 20])?, vec![(3, 2), (4, 1)]);
        assert_eq!(found(&mut index, store.connection(), 40, &[40])?, vec![(6, 1)]);
        Ok(())
    }

    /// The shingles counted on the days whose counts are loaded, sorted.
    fn counted_shingles(index: &BandIndex) -> Vec<u32> {
        let mut hs: Vec<u32> =
            index.days.values().filter_map(|d| d.counts.as_ref()).flat_map(|c| c.counts.keys().copied()).collect();
        hs.sort_unstable();
        hs.dedup();
        hs
    }

    /// The bound is never below a shingle's count over the loaded days: it sums the shingles of
    /// its cell, comes down as days leave, and once stuck at 255 stays there.
    #[test]
    fn the_count_bound_is_never_below_the_counts() {
        let mut bound = CountBound::default();
        let (mut one, mut two) = (DayCounts::default(), DayCounts::default());
        for h in 0..50_000u32 {
            for _ in 0..(h % 4) {
                one.add(h);
                bound.add(h);
            }
            if h % 3 == 0 {
                two.add(h);
                bound.add(h);
            }
        }
        let total = |h: u32, days: &[&DayCounts]| days.iter().map(|d| i64::from(d.of(h))).sum::<i64>();
        assert!((0..50_000).all(|h| bound.at_least(h, total(h, &[&one, &two]))));
        assert!((0..50_000).filter(|&h| bound.at_least(h, super::super::STOP_DF)).count() < 500);
        bound.forget(&one);
        assert!((0..50_000).all(|h| bound.at_least(h, total(h, &[&two]))));
        assert!((0..50_000).filter(|&h| !bound.at_least(h, 1)).count() > 25_000);
        let mut stuck = CountBound::default();
        let mut many = DayCounts::default();
        for _ in 0..300 {
            many.add(7);
            stuck.add(7);
        }
        assert_eq!(many.of(7), 300);
        stuck.forget(&many);
        assert!(stuck.at_least(7, 255));
    }

    /// A cell stuck at 255 stays stuck while any day's counts are loaded, and comes back to 0
    /// once none is (a long-running server does not keep reading days for shingles long gone).
    #[test]
    fn the_bound_starts_again_when_no_counts_are_left() {
        let mut index = loaded([10, 20]);
        index.add(10, 1, &Probe::default(), Some(&[7; 300]));
        index.add(20, 2, &Probe::default(), Some(&[8]));
        let now = STALE_SWEEP * (COUNTS_STALE_AFTER / STALE_SWEEP + 2);
        for d in index.days.values_mut() {
            (d.used, d.counts_used) = (now - 1, 0);
        }
        if let Some(d) = index.days.get_mut(&20) {
            d.counts_used = now - 1;
        }
        index.clock = now;
        index.evict(&(30..=30), MAX_ENTRIES);
        assert!(index.days[&10].counts.is_none() && index.days[&20].counts.is_some());
        assert!(index.bound.at_least(7, 255) && index.bound.at_least(8, 1));
        index.clock = now + STALE_SWEEP;
        if let Some(d) = index.days.get_mut(&20) {
            d.counts_used = 0;
        }
        index.evict(&(30..=30), MAX_ENTRIES);
        assert!(index.days.values().all(|d| d.counts.is_none()));
        assert!(!index.bound.at_least(7, 1) && !index.bound.at_least(8, 1));
    }

    /// A day whose counts no stop list has read for COUNTS_STALE_AFTER lookups has them taken
    /// out at a sweep, keeping its keys while lookups still touch them; a stop list reads them
    /// again from the store.
    #[test]
    fn counts_left_behind_go_before_their_keys() -> crate::Result<()> {
        let (_dir, store) = store()?;
        let mut index = loaded([10, 20]);
        for day in [10, 20] {
            index.add(day, day, &band(&[day]), Some(&[day as u32]));
        }
        let now = STALE_SWEEP * (COUNTS_STALE_AFTER / STALE_SWEEP + 2);
        for d in index.days.values_mut() {
            d.used = now - 1;
        }
        if let Some(d) = index.days.get_mut(&20) {
            d.counts_used = now - 1;
        }
        index.clock = now;
        index.evict(&(30..=30), MAX_ENTRIES);
        assert_eq!(index.days.len(), 2);
        assert!(index.days[&10].counts.is_none() && index.days[&10].bands_loaded);
        assert!(index.days[&20].counts.is_some());
        assert_eq!(counted_shingles(&index), [20]);
        assert_eq!(index.len(), 2 + 1);
        // Read again (the store has none of these made-up rows).
        assert!(index.stop_list(store.connection(), 10, &[10])?.is_empty());
        assert!(index.days[&10].counts.is_some());
        Ok(())
    }

    /// The key filter never turns away a key a day holds, whatever size it has grown to, and
    /// lets few others through.
    #[test]
    fn the_key_filter_holds_every_key_added() {
        let mut day = Day::default();
        let key = |i: u32| i.wrapping_mul(0x2545_f491).rotate_left(7) ^ 0x5bd1_e995;
        for i in 0..100_000u32 {
            day.add(key(i), i);
            if i.is_power_of_two() || i % 9_973 == 0 {
                assert!((0..=i).all(|j| day.filter.may_hold(key(j))), "after {i} keys");
            }
        }
        let strays = (100_000..200_000u32).filter(|&i| day.filter.may_hold(key(i))).count();
        assert!(strays < 100_000 / 30, "{strays} of 100,000 absent keys let through");
        assert!(!Day::default().filter.may_hold(key(1)));
    }

    /// A day no lookup has touched for STALE_AFTER lookups goes at the next sweep however small
    /// the index is, with its stop-list counts; one touched since stays, and so does a stale
    /// day a document is looking at.
    #[test]
    fn days_left_behind_are_dropped_at_a_sweep() -> crate::Result<()> {
        let mut index = loaded([10, 20, 30]);
        for day in [10, 20, 30] {
            index.add(day, day, &band(&[day]), Some(&[day as u32]));
        }
        assert_eq!(counted_shingles(&index), [10, 20, 30]);
        let now = STALE_SWEEP * (STALE_AFTER / STALE_SWEEP + 2);
        age(&mut index, |day| if day == 20 { now - 1 } else { 0 });
        // Between sweeps nothing goes.
        index.clock = now - 1;
        index.evict(&(30..=30), MAX_ENTRIES);
        assert_eq!(index.days.len(), 3);
        index.clock = now;
        index.evict(&(30..=30), MAX_ENTRIES);
        let mut left: Vec<i64> = index.days.keys().copied().collect();
        left.sort_unstable();
        assert_eq!(left, [20, 30]);
        assert_eq!(index.len(), 4);
        assert_eq!(counted_shingles(&index), [20, 30]);
        Ok(())
    }

    /// Stop-list counts span the days around a document, and a day dropped for memory takes
    /// its counts with it.
    #[test]
    fn stop_counts_span_the_window_and_leave_with_their_day() -> crate::Result<()> {
        let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
        let store = crate::store::Store::open(&dir.path().join("dossier.db"))?;
        let conn = store.connection();
        let mut index = BandIndex::new();
        for day in [10, 20, 70] {
            let counts = Some(DayCounts::default());
            index.days.insert(day, Day { bands_loaded: true, counts, ..Day::default() });
        }
        let template = [1u32, 2, 3];
        for _ in 0..5 {
            index.add(10, 1, &Probe::default(), Some(&template));
        }
        for _ in 0..3 {
            index.add(20, 2, &Probe::default(), Some(&template[..2]));
        }
        index.add(70, 3, &Probe::default(), Some(&template));
        // A day whose counts were never read takes none in memory (they are read from the
        // store when a document near it needs them).
        index.days.insert(100, Day::default());
        index.add(100, 4, &Probe::default(), Some(&template));
        let stopped = |index: &mut BandIndex, day| -> crate::Result<Vec<u32>> {
            let mut s: Vec<u32> = index.stop_list(conn, day, &[1, 2, 3, 4])?.into_iter().collect();
            s.sort();
            Ok(s)
        };
        // Day 15 sees days 10 and 20: 1 and 2 eight times, 3 five times.
        assert_eq!(stopped(&mut index, 15)?, vec![1, 2]);
        // Day 45 sees day 20 and 70 only.
        assert!(stopped(&mut index, 45)?.is_empty());
        assert_eq!(index.len(), 15 + 6 + 3);
        // Over the limit, the least recently used day outside the kept range goes.
        age(&mut index, |day| match day {
            10 => 0,
            20 => 5,
            _ => 9,
        });
        index.evict(&(60..=80), 5);
        assert!(!index.days.contains_key(&10) && !index.days.contains_key(&20));
        assert_eq!(index.len(), 3);
        assert_eq!(counted_shingles(&index), [1, 2, 3]);
        // Read again from the store (which has none of these made-up rows): nothing stops.
        assert!(stopped(&mut index, 15)?.is_empty());
        Ok(())
    }
}

