use std::io::Read;

use super::*;
use crate::store::Store;

fn fixture_docs() -> Vec<Document> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stories/eu_wind.jsonl"))
        .unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).map(|v| from_json(&v)).collect()
}

/// A corpus record as a document (the corpora give day-only dates, which `Document` does not
/// deserialize; dates do not matter here).
fn from_json(v: &serde_json::Value) -> Document {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Document {
        id: s("id"),
        title: s("title"),
        source: s("source"),
        published_at: None,
        published_precision: None,
        url: None,
        lang: Lang::parse(&s("lang")).unwrap_or(Lang::Zh),
        paragraphs: v["paragraphs"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        meta: serde_json::Value::Null,
    }
}

fn get<'a>(docs: &'a [Document], id: &str) -> &'a Document {
    docs.iter().find(|d| d.id == id).unwrap_or_else(|| panic!("{id} missing from the fixture"))
}

/// Two candidates share a band key or two anchors: what the band index needs before the
/// samples are compared.
fn candidates(a: &Sketch, b: &Sketch) -> bool {
    bands::are_candidates(a, b)
}

#[test]
fn the_eu_wind_repost_is_one_story_and_the_same_day_eu_item_another() {
    let docs = fixture_docs();
    assert_eq!(docs.len(), 3);
    let (a, b, other) = (get(&docs, "qq-21472"), get(&docs, "qq-21473"), get(&docs, "qq-21505"));
    let (sa, sb, so) = (Sketch::of(a), Sketch::of(b), Sketch::of(other));
    assert!(candidates(&sa, &sb));
    assert!(same_story(&sa, &sb));
    assert!(!same_story(&sa, &so));
    assert!(!same_story(&sb, &so));
}

#[test]
fn boilerplate_and_bylines_do_not_count() {
    let base = get(&fixture_docs(), "qq-21472").clone();
    let mut with_junk = base.clone();
    with_junk.paragraphs.push("责任编辑：张三".into());
    with_junk.paragraphs.push("点击关注我们，获取更多资讯".into());
    if let Some(first) = with_junk.paragraphs.get_mut(1) {
        *first = first.replace("【文/观察者网 王世纯】", "【环球网报道 记者 李四】");
    }
    let sorted = |d: &Document| {
        let mut s = sketch::shingles(d);
        s.sort_unstable();
        s
    };
    assert_eq!(sorted(&base), sorted(&with_junk));
    let (a, b) = (Sketch::of(&base), Sketch::of(&with_junk));
    assert_eq!((a.keys, a.sample), (b.keys, b.sample));
}

#[test]
fn sketches_are_deterministic() {
    let docs = fixture_docs();
    let a = Sketch::of(get(&docs, "qq-21472"));
    assert_eq!(a.keys, Sketch::of(get(&docs, "qq-21472")).keys);
    assert_eq!(a.keys.len(), sketch::BANDS);
    // Fixed seeds: keys and samples are stored, so they must never change between builds (a
    // change of sketch needs a store migration that clears them, as migration 11 did).
    assert_eq!((a.keys[0], a.keys[29]), (PINNED_KEYS.0, PINNED_KEYS.1));
    assert_eq!((a.sample.shingles, a.sample.level, a.sample.hashes.first().copied()), PINNED_SAMPLE);
}

/// qq-21472's first and last band keys and its sample's size, level and least hash.
const PINNED_KEYS: (i64, i64) = (-2_273_880_261_478_341_022, 7_082_732_743_428_931_433);
const PINNED_SAMPLE: (u32, u8, Option<u32>) = (1744, 2, Some(11_165_087));

fn synthetic(id: &str, paragraphs: &[String]) -> Document {
    Document {
        id: id.into(),
        title: id.into(),
        source: "test".into(),
        published_at: None,
        published_precision: None,
        url: None,
        lang: Lang::Zh,
        paragraphs: paragraphs.to_vec(),
        meta: serde_json::Value::Null,
    }
}

/// A data directory of its own (removed when the first value drops) and its database's path.
fn temp_db() -> Result<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::tempdir().map_err(|e| crate::Error::io("tempdir", e))?;
    let path = dir.path().join("dossier.db");
    Ok((dir, path))
}

fn story(conn: &Connection, id: &str) -> Option<i64> {
    stories_of(conn, &[id.to_string()]).ok().and_then(|m| m.get(id).map(|s| s.id))
}

#[test]
fn assignment_joins_merges_through_a_bridge_and_reassigns_updates() -> Result<()> {
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    let docs = fixture_docs();
    let (a, b, other) = (get(&docs, "qq-21472"), get(&docs, "qq-21473"), get(&docs, "qq-21505"));
    let mut batch = store.write()?;
    for d in [a, other, b] {
        batch.upsert(d)?;
        assign(batch.connection()?, &mut BandIndex::new(), d, 0, 0)?;
    }
    batch.commit()?;
    let conn = store.connection();
    assert_eq!(story(conn, "qq-21472"), story(conn, "qq-21473"));
    assert_ne!(story(conn, "qq-21472"), story(conn, "qq-21505"));

    // Two stories, then a document holding both texts: it bridges them, and they merge into
    // the older id.
    let (first, second) = (synthetic("first", &a.paragraphs[1..8]), synthetic("second", &a.paragraphs[15..22]));
    let both: Vec<String> = a.paragraphs[1..8].iter().chain(&a.paragraphs[15..22]).cloned().collect();
    let bridge = synthetic("bridge", &both);
    // A store of their own: parts of qq-21472 would join its story above.
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    let conn = store.connection();
    let mut batch = store.write()?;
    for d in [&first, &second] {
        batch.upsert(d)?;
        assign(batch.connection()?, &mut BandIndex::new(), d, 0, 0)?;
    }
    batch.commit()?;
    assert_ne!(story(conn, "first"), story(conn, "second"));
    let older = story(conn, "first").min(story(conn, "second"));
    let mut batch = store.write()?;
    batch.upsert(&bridge)?;
    assign(batch.connection()?, &mut BandIndex::new(), &bridge, 0, 0)?;
    batch.commit()?;
    for id in ["first", "second", "bridge"] {
        assert_eq!(story(conn, id), older, "{id}");
    }

    // Updated to unrelated text, the bridge leaves; the merged story stays merged.
    let mut batch = store.write()?;
    let changed = synthetic("bridge", &["完全不同的一段文字，讲的是另一件事情，与风电和哈马斯都没有关系。".to_string()]);
    batch.upsert(&changed)?;
    assign(batch.connection()?, &mut BandIndex::new(), &changed, 0, 0)?;
    batch.commit()?;
    assert_ne!(story(conn, "bridge"), older);
    assert_eq!(story(conn, "first"), story(conn, "second"));
    let s = stats(conn)?;
    // first+second, the changed bridge.
    assert_eq!((s.stories, s.unassigned), (2, 0));
    assert_eq!(s.largest.map(|l| l.size), Some(2));
    Ok(())
}

#[test]
fn backfill_assigns_documents_stored_without_stories() -> Result<()> {
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    let mut batch = store.write()?;
    for d in fixture_docs() {
        batch.upsert(&d)?;
    }
    batch.commit()?;
    assert_eq!(stats(store.connection())?.unassigned, 3);
    let tx = store.transaction()?;
    assert_eq!(backfill(&tx, &mut BandIndex::new())?, 3);
    tx.commit()?;
    let s = stats(store.connection())?;
    assert_eq!((s.stories, s.multi_member, s.unassigned), (2, 1, 0));
    let m = members(store.connection(), story(store.connection(), "qq-21473").unwrap_or_default())?;
    // Best first: the longer text of the two.
    assert_eq!(m.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["qq-21472", "qq-21473"]);
    Ok(())
}

#[derive(serde::Deserialize)]
struct Pair {
    label: String,
    kind: String,
    coverage: f64,
    /// Real copies: how much of the longer text is shared too.
    #[serde(default)]
    coverage_both: Option<f64>,
    a: serde_json::Value,
    b: serde_json::Value,
}

/// Precision and recall of "same story" (LSH candidate and confirmed) on the labelled sample
/// cut by scripts/make-story-pairs.py. Floors are what was measured (BENCHMARKS.md, "Stories").
#[test]
fn labelled_pairs_meet_the_measured_floors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stories/pairs.jsonl.gz");
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let pairs: Vec<Pair> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(pairs.len() >= 100, "{} pairs", pairs.len());
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    // Copies sharing >= 60 % of both texts (not a brief inside a long article): (found, all).
    let (mut strict_found, mut strict) = (0usize, 0usize);
    let mut missed = Vec::new();
    for p in &pairs {
        let (a, b) = (from_json(&p.a), from_json(&p.b));
        let (sa, sb) = (Sketch::of(&a), Sketch::of(&b));
        let said = candidates(&sa, &sb) && same_story(&sa, &sb);
        if p.label == "same" && p.coverage_both.is_none_or(|c| c >= 0.6) {
            strict += 1;
            strict_found += usize::from(said);
        }
        match (p.label == "same", said) {
            (true, true) => tp += 1,
            (false, true) => {
                fp += 1;
                missed.push(format!("false merge {} {} ({})", a.id, b.id, p.kind));
            }
            (true, false) => {
                fn_ += 1;
                let (mut ea, mut eb) = (sketch::shingles(&a), sketch::shingles(&b));
                ea.sort_unstable();
                eb.sort_unstable();
                let (shared, ratio) = sketch::overlap(&ea, &eb);
                missed.push(format!(
                    "missed {} {} ({}, coverage {}; candidates {}, shared {shared:.2}, ratio {ratio:.2}, shingles {}/{})",
                    a.id,
                    b.id,
                    p.kind,
                    p.coverage,
                    candidates(&sa, &sb),
                    ea.len(),
                    eb.len()
                ));
            }
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let strict_recall = strict_found as f64 / strict.max(1) as f64;
    eprintln!(
        "precision {precision:.3} recall {recall:.3} (sharing >= 60 % of both texts: {strict_recall:.3} of {strict})\n{}",
        missed.join("\n")
    );
    assert!(strict >= 40, "{strict} pairs share >= 60 % of both texts");
    assert!(precision >= PRECISION_FLOOR, "precision {precision:.3}: {missed:#?}");
    assert!(recall >= RECALL_FLOOR, "recall {recall:.3}: {missed:#?}");
    assert!(strict_recall >= STRICT_RECALL_FLOOR, "recall on copies of both texts {strict_recall:.3}: {missed:#?}");
}

// Measured 2026-11-30 on the fixture: precision 1.000, recall 0.933, on copies sharing >= 60 %
// of both texts 1.000 (BENCHMARKS.md, "Stories", has the full set).
const PRECISION_FLOOR: f64 = 0.97;
const RECALL_FLOOR: f64 = 0.90;
const STRICT_RECALL_FLOOR: f64 = 0.97;

fn assign_all(store: &Store, docs: &[Document]) -> Result<()> {
    // One index for the batch, as ingest keeps it: later documents find earlier ones in memory.
    let mut bands = BandIndex::new();
    let mut batch = store.write()?;
    for d in docs {
        batch.upsert(d)?;
        assign(batch.connection()?, &mut bands, d, 0, 0)?;
    }
    batch.commit()
}

/// Two processes on one data directory: each one's in-memory band index takes in the members
/// the other stored since it last looked, so a copy stored by one finds the original stored by
/// the other — whether or not the day was already loaded.
#[test]
fn band_indexes_of_two_processes_follow_each_others_rows() -> Result<()> {
    let (_dir, path) = temp_db()?;
    let (one, two) = (Store::open(&path)?, Store::open(&path)?);
    let docs = fixture_docs();
    let (a, b, other) = (get(&docs, "qq-21472"), get(&docs, "qq-21473"), get(&docs, "qq-21505"));
    let (mut bands_one, mut bands_two) = (BandIndex::new(), BandIndex::new());
    // Process two loads the day (through an unrelated document of the same day)…
    let mut batch = two.write()?;
    batch.upsert(other)?;
    assign(batch.connection()?, &mut bands_two, other, 0, 0)?;
    batch.commit()?;
    assert!(!bands_two.is_empty());
    // …process one stores the original…
    let mut batch = one.write()?;
    batch.upsert(a)?;
    assign(batch.connection()?, &mut bands_one, a, 0, 0)?;
    batch.commit()?;
    // …and process two, its day already in memory, still finds it for the copy.
    let mut batch = two.write()?;
    batch.upsert(b)?;
    assign(batch.connection()?, &mut bands_two, b, 0, 0)?;
    batch.commit()?;
    let conn = one.connection();
    assert_eq!(story(conn, "qq-21472"), story(conn, "qq-21473"));
    assert_ne!(story(conn, "qq-21472"), story(conn, "qq-21505"));
    Ok(())
}

/// Copies more than three days apart are never candidates: the band index holds the days
/// around a document only, and a day's members are found whatever order the days arrive in.
#[test]
fn candidates_are_found_by_day_in_any_order() -> Result<()> {
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    let docs = fixture_docs();
    let a = get(&docs, "qq-21472");
    let day = chrono::Duration::days(1);
    let base = chrono::DateTime::from_timestamp(1_686_000_000, 0);
    let at = |d: &Document, id: &str, shift: chrono::Duration| Document {
        id: id.to_string(),
        published_at: base.map(|t| t + shift),
        ..d.clone()
    };
    // Stored latest first: the earlier days are loaded after the later ones.
    let later = at(a, "later", day * 2);
    let far = at(a, "far", day * -5);
    let copy = at(a, "copy", chrono::Duration::zero());
    assign_all(&store, &[later, far, copy])?;
    let conn = store.connection();
    assert_eq!(story(conn, "copy"), story(conn, "later"));
    assert_ne!(story(conn, "far"), story(conn, "copy"));
    Ok(())
}

/// A overlaps B and B overlaps C, but A and C share little: C must not join A's story through
/// B (single-link chaining is how unrelated articles ended up in one qqnews story).
#[test]
fn a_document_matching_only_a_later_member_does_not_chain_into_the_story() -> Result<()> {
    let docs = fixture_docs();
    let p = &get(&docs, "qq-21472").paragraphs;
    let (a, b, c) = (synthetic("a", &p[5..11]), synthetic("b", &p[7..14]), synthetic("c", &p[10..16]));
    assert!(same_story(&Sketch::of(&a), &Sketch::of(&b)));
    assert!(same_story(&Sketch::of(&b), &Sketch::of(&c)));
    assert!(!same_story(&Sketch::of(&a), &Sketch::of(&c)));
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    assign_all(&store, &[a, b, c])?;
    let conn = store.connection();
    assert_eq!(story(conn, "a"), story(conn, "b"));
    assert_ne!(story(conn, "c"), story(conn, "a"));
    Ok(())
}

/// Official announcements of one template (`…涉嫌严重违纪违法，目前正接受…审查调查`) differ only in
/// who and where: they share most of their shingles, yet each is its own story.
#[test]
fn template_announcements_do_not_form_a_story() -> Result<()> {
    let places = ["湖南省", "江西省", "云南省", "贵州省", "河北省", "山西省", "吉林省", "广西壮族自治区", "四川省", "甘肃省", "辽宁省", "安徽省"];
    let roles = ["政协原副主席", "人大常委会原副主任", "原副省长", "发展改革委原主任", "国资委原党委书记"];
    let names = ["张某某", "李某", "王某某", "赵某", "陈某某", "刘某", "杨某某", "黄某", "周某某", "吴某", "徐某某", "孙某"];
    let docs: Vec<Document> = (0..24)
        .map(|i| {
            let who = format!("{}{}{}", places[i % places.len()], roles[i % roles.len()], names[(i * 7) % names.len()]);
            synthetic(
                &format!("ann-{i}"),
                &[
                    format!("据中央纪委国家监委网站消息，{who}涉嫌严重违纪违法，目前正接受中央纪委国家监委纪律审查和监察调查。"),
                    format!("{who}简历：曾任{}{}，{}年退休。", places[(i + 3) % places.len()], roles[(i + 2) % roles.len()], 2010 + i),
                ],
            )
        })
        .collect();
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    assign_all(&store, &docs)?;
    let s = stats(store.connection())?;
    assert_eq!((s.stories, s.multi_member), (24, 0), "{s:?}");
    Ok(())
}

/// A monthly release repeats most of last month's wording: a month apart, it is another story;
/// the same text a day later is a copy.
#[test]
fn the_same_wording_a_month_later_is_another_story() -> Result<()> {
    let docs = fixture_docs();
    let p = &get(&docs, "qq-21472").paragraphs;
    let at = |id: &str, day: u32| {
        let mut d = synthetic(id, &p[1..12]);
        d.published_at = chrono::NaiveDate::from_ymd_opt(2023, 10, day)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .map(|t| t.and_utc());
        d
    };
    let (_dir, path) = temp_db()?;
    let store = Store::open(&path)?;
    let mut later = at("november", 1);
    later.published_at = later.published_at.map(|t| t + chrono::Duration::days(30));
    assign_all(&store, &[at("october", 1), at("october-copy", 2), later])?;
    let conn = store.connection();
    assert_eq!(story(conn, "october"), story(conn, "october-copy"));
    assert_ne!(story(conn, "november"), story(conn, "october"));
    Ok(())
}

/// Samples of an earlier sketch (no version bit, 64- or 32-bit hashes) never compare with this
/// sketch's: they read as none.
#[test]
fn samples_of_an_earlier_sketch_read_as_none() {
    let docs = fixture_docs();
    let new = Sketch::of(get(&docs, "qq-21472")).sample;
    assert_eq!(sketch::Sample::from_blob(&new.to_blob()), Some(new.clone()));
    let mut old32 = new.to_blob();
    old32[4] = new.level | 0x80;
    let mut old64 = new.shingles.to_le_bytes().to_vec();
    old64.push(new.level);
    for h in &new.hashes {
        old64.extend_from_slice(&(u64::from(*h) << 32).to_le_bytes());
    }
    assert_eq!(sketch::Sample::from_blob(&old32), None);
    assert_eq!(sketch::Sample::from_blob(&old64), None);
    assert_eq!(sketch::Sample::from_blob(&new.to_blob()[..7]), None);
}

/// A directory of the earlier sketch (schema 10): store migration 11 clears its members'
/// samples, `resketch` (run by ingest) sketches them again and keeps their stories, and a later
/// copy finds its story through them.
#[test]
fn samples_of_the_earlier_sketch_are_sketched_again_and_found() -> Result<()> {
    let (_dir, path) = temp_db()?;
    let docs = fixture_docs();
    let (a, b) = (get(&docs, "qq-21472"), get(&docs, "qq-21473"));
    let before = {
        let store = Store::open(&path)?;
        assign_all(&store, std::slice::from_ref(a))?;
        as_written_by_the_earlier_sketch(store.connection())?;
        story(store.connection(), "qq-21472")
    };
    let store = Store::open(&path)?;
    let tx = store.transaction()?;
    let mut bands = BandIndex::new();
    assert_eq!(resketch(&tx, &mut bands)?, 1);
    // Done once: the key is gone.
    assert_eq!(resketch(&tx, &mut bands)?, 0);
    tx.commit()?;
    let stored: Vec<u8> = store.connection().query_row(
        "SELECT sample FROM story_members WHERE doc_id = 'qq-21472'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(sketch::Sample::from_blob(&stored), Some(Sketch::of(a).sample));
    assert_eq!(story(store.connection(), "qq-21472"), before);
    assign_all(&store, std::slice::from_ref(b))?;
    assert_eq!(story(store.connection(), "qq-21473"), before);
    Ok(())
}

/// What the band index keeps of candidate stories (their members' stories and samples) is what
/// the store says, through joins, a merge, a member leaving, and a commit by another process.
#[test]
fn what_is_kept_of_stories_is_what_the_store_says() -> Result<()> {
    use super::known::Known;
    let (_dir, path) = temp_db()?;
    let (store, other_process) = (Store::open(&path)?, Store::open(&path)?);
    let docs = fixture_docs();
    let a = get(&docs, "qq-21472");
    let (first, second) = (synthetic("first", &a.paragraphs[1..8]), synthetic("second", &a.paragraphs[15..22]));
    let both: Vec<String> = a.paragraphs[1..8].iter().chain(&a.paragraphs[15..22]).cloned().collect();
    let bridge = synthetic("bridge", &both);
    let changed = synthetic("bridge", &["完全不同的一段文字，讲的是另一件事情，与风电和哈马斯都没有关系。".to_string()]);
    let mut bands = BandIndex::new();
    let mut ever: Vec<i64> = Vec::new();
    // Every member ever seen and every story, asked of what is kept and of the store afresh.
    let mut agrees = |bands: &mut BandIndex, step: &str| -> Result<()> {
        let conn = store.connection();
        bands.known.follow(conn)?;
        let rows: Vec<(i64, i64)> = conn
            .prepare("SELECT rowid, story_id FROM story_members")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        ever.extend(rows.iter().map(|r| r.0));
        ever.sort_unstable();
        ever.dedup();
        for &m in &ever {
            let stored = rows.iter().find(|r| r.0 == m).map(|r| r.1);
            assert_eq!(bands.known.story_of(conn, m as u32)?, stored, "{step}: member {m}");
        }
        for &(_, s) in &rows {
            let fresh = Known::default().samples(conn, s, MAJORITY_OF + 1)?;
            assert_eq!(bands.known.samples(conn, s, MAJORITY_OF + 1)?, fresh, "{step}: story {s}");
        }
        Ok(())
    };
    let write = |bands: &mut BandIndex, d: &Document| -> Result<()> {
        let mut batch = store.write()?;
        batch.upsert(d)?;
        assign(batch.connection()?, bands, d, 0, 0)?;
        batch.commit()
    };
    write(&mut bands, &first)?;
    agrees(&mut bands, "first")?;
    write(&mut bands, &second)?;
    agrees(&mut bands, "second")?;
    write(&mut bands, &bridge)?;
    assert_eq!(story(store.connection(), "first"), story(store.connection(), "second"));
    agrees(&mut bands, "merged by the bridge")?;
    write(&mut bands, &changed)?;
    agrees(&mut bands, "the bridge left")?;
    // Another process stores a copy of `second` (it joins the merged story) and takes the
    // changed bridge out of its story by updating it again.
    let mut theirs = BandIndex::new();
    let mut batch = other_process.write()?;
    let copy = synthetic("copy", &a.paragraphs[15..22]);
    for d in [&copy, &bridge] {
        batch.upsert(d)?;
        assign(batch.connection()?, &mut theirs, d, 0, 0)?;
    }
    batch.commit()?;
    agrees(&mut bands, "after another process")?;
    assert_eq!(story(store.connection(), "copy"), story(store.connection(), "first"));
    Ok(())
}
