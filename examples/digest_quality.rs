//! Do extractive digests read like the seed pages? Measures what a reader notices first.
//!
//! Digests a fixed set of documents exactly as `Summarizer::summarize` does (kind detection,
//! extractive summary, verification) and prints, per language and overall:
//! - how many group headings repeat an earlier heading of the same digest;
//! - the share of "Group n: …" headings that are a phrase of the text (appear verbatim in the
//!   document; two key terms glued with a space do not),
//! - bullet length p50/p95 (characters for Chinese, words for English),
//! - duplicate-bullet pairs within one digest (same claim: character-bigram overlap, word
//!   bigrams for English, of at least `DUPLICATE_OVERLAP` of the shorter bullet),
//! - bullets that open with junk (a byline fragment `赵觉珵】…`, `（记者 …）`, `记者 … 报道`,
//!   a dateline, an editor line, an image caption, 原标题/来源/责任编辑, share-button text),
//! - the share of bullets citing two or more paragraphs and the share verified,
//! - Core Viewpoint: the share that shares key terms with the title (two Chinese character
//!   bigrams, or one English content word of four letters or more) and the share that is a
//!   market-tick line (an index, stock or futures move with its figure, `日经225指数开盘下跌
//!   0.48%`) sharing no key terms with the title: a tick line can be the thesis of a market
//!   report, not of a piece about something else. These are digested with the
//!   query a workflow would pass (`稀土` for the Chinese set, none for English), since the
//!   query is what used to pull a Core Viewpoint off the article's thesis.
//!
//! The default corpus is the one issue 8 names, read straight from the shared corpora (no data
//! directory to build): every qqnews article that mentions 稀土, plus 1,000 English articles of
//! Reuters-21578 and usnews chosen by the smallest blake3 hash of their id (so the same 1,000
//! every run, spread over both collections).
//!
//!     cargo run --release --example digest_quality [-- --show 5] [-- --corpus DIR]
//!
//! `--show N` prints up to N offending bullets and headings of each kind, for reading.

use std::collections::HashSet;

use dossier::digest::{Digest, DigestRequest, ExtractiveSummarizer, Summarizer};
use dossier::{Document, Lang, ingest};

/// Share of the shorter bullet's bigrams found in the other above which two bullets make
/// the same claim.
const DUPLICATE_OVERLAP: f32 = 0.6;
const ENGLISH_SAMPLE: usize = 1000;

/// Every document of a corpus file that `keep` accepts, read by the ingest pipeline itself
/// (so titles, languages and validation are what `dossier ingest` would store).
fn read(path: &str, mut keep: impl FnMut(&Document) -> bool) -> Result<Vec<Document>, Box<dyn std::error::Error>> {
    let inputs = ingest::discover(&[std::path::PathBuf::from(path)])?;
    let mut docs = Vec::new();
    for input in &inputs {
        ingest::read_input(input, &ingest::ReadOptions::default(), &mut |record| {
            if let Ok(doc) = record.result
                && keep(&doc)
            {
                docs.push(doc);
            }
            std::ops::ControlFlow::Continue(())
        })?;
    }
    Ok(docs)
}

#[derive(Default)]
struct Stats {
    docs: usize,
    digests: usize,
    headings: usize,
    phrase_headings: usize,
    /// Group headings naming the same theme as an earlier group of the same digest.
    repeated_headings: usize,
    /// Chinese group headings that do not end in a noun or open with a verb or adverb (jieba's
    /// tags): `适逢澳大利亚`, `莫里森政府盲目`, `竞相`.
    not_noun_headings: usize,
    not_noun_examples: Vec<String>,
    lengths: Vec<usize>,
    bullets: usize,
    duplicate_pairs: usize,
    junk: usize,
    multi_cite: usize,
    verified: usize,
    checked: usize,
    cores: usize,
    core_title: usize,
    core_tick: usize,
    bad_headings: Vec<String>,
    repeated_examples: Vec<String>,
    off_title_cores: Vec<String>,
    tick_cores: Vec<String>,
    junk_examples: Vec<String>,
    duplicate_examples: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut show = 0usize;
    let mut corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus").to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--show" => show = args.next().ok_or("--show needs a number")?.parse()?,
            "--corpus" => corpus = args.next().ok_or("--corpus needs a directory")?,
            other => {
                return Err(
                    format!("unknown argument {other}; use --show N or --corpus DIR").into(),
                );
            }
        }
    }
    let mut docs = read(&format!("{corpus}/qqnews.jsonl.gz"), |r| {
        r.title.contains("稀土") || r.paragraphs.iter().any(|p| p.contains("稀土"))
    })?;
    let zh_count = docs.len();
    let mut english = read(&format!("{corpus}/reuters21578.jsonl.gz"), |r| {
        r.lang == Lang::En
    })?;
    english.extend(read(&format!("{corpus}/usnews.jsonl.gz"), |r| {
        r.lang == Lang::En
    })?);
    english.sort_by_cached_key(|d| blake3::hash(d.id.as_bytes()).to_hex().to_string());
    english.truncate(ENGLISH_SAMPLE);
    docs.extend(english);
    println!(
        "corpus: {zh_count} qqnews articles mentioning 稀土 + {} English articles (Reuters-21578 + usnews, smallest blake3(id))",
        docs.len() - zh_count
    );

    let summarizer = Summarizer::Extractive(ExtractiveSummarizer::default());
    let mut zh = Stats::default();
    let mut en = Stats::default();
    for d in &docs {
        let digest = summarizer.summarize(d, &DigestRequest::default())?;
        let stats = if d.lang == Lang::En { &mut en } else { &mut zh };
        measure(d, &digest, stats);
        let request = DigestRequest {
            query: (d.lang != Lang::En).then(|| "稀土".to_string()),
            ..DigestRequest::default()
        };
        let queried = summarizer.summarize(d, &request)?;
        measure_core(d, &queried, stats);
    }
    for (name, s) in [("zh", &zh), ("en", &en)] {
        report(name, s, show);
    }
    Ok(())
}

fn measure(doc: &Document, digest: &Digest, s: &mut Stats) {
    s.docs += 1;
    if digest.sections.is_empty() {
        return;
    }
    s.digests += 1;
    let text: String = doc.paragraphs.join("\n");
    let lower = text.to_lowercase();
    let en = doc.lang == Lang::En;
    let mut names: Vec<&str> = Vec::new();
    for sec in &digest.sections {
        if let Some(rest) = sec.heading.strip_prefix("Group ") {
            if let Some((_, name)) = rest.split_once(": ") {
                s.headings += 1;
                if !en && !is_noun_phrase(name) {
                    s.not_noun_headings += 1;
                    s.not_noun_examples.push(format!("{}: {name}", doc.id));
                }
                if names.contains(&name) {
                    s.repeated_headings += 1;
                    s.repeated_examples.push(format!("{}: {name}", doc.id));
                }
                names.push(name);
                if lower.contains(&name.to_lowercase()) {
                    s.phrase_headings += 1;
                } else {
                    s.bad_headings.push(format!("{}: {name}", doc.id));
                }
            } else {
                // "Group n" with no name at all names no theme.
                s.headings += 1;
                s.bad_headings.push(format!("{}: (no name)", doc.id));
            }
        }
    }
    let bullets: Vec<_> = digest.sections.iter().flat_map(|x| &x.bullets).collect();
    for b in &bullets {
        s.bullets += 1;
        s.lengths.push(if en {
            b.text.split_whitespace().count()
        } else {
            b.text.chars().filter(|c| !c.is_whitespace()).count()
        });
        if b.citations.len() >= 2 {
            s.multi_cite += 1;
        }
        if b.verified == Some(true) {
            s.verified += 1;
        }
        if let Some(why) = junk_opening(&b.text) {
            s.junk += 1;
            s.junk_examples
                .push(format!("{} ({why}): {}", doc.id, head(&b.text, 60)));
        }
    }
    s.checked += digest
        .verification
        .as_ref()
        .map_or(bullets.len(), |v| v.bullets_checked);
    let grams: Vec<HashSet<String>> = bullets.iter().map(|b| bigrams(&b.text, en)).collect();
    for i in 0..grams.len() {
        for j in i + 1..grams.len() {
            let (a, b) = (&grams[i], &grams[j]);
            let small = a.len().min(b.len());
            if small == 0 {
                continue;
            }
            let common = a.intersection(b).count();
            if common as f32 / small as f32 >= DUPLICATE_OVERLAP {
                s.duplicate_pairs += 1;
                s.duplicate_examples.push(format!(
                    "{}: «{}» ~ «{}»",
                    doc.id,
                    head(&bullets[i].text, 40),
                    head(&bullets[j].text, 40)
                ));
            }
        }
    }
}

/// Core Viewpoint against the title: does it share the title's key terms, is it a tick line?
fn measure_core(doc: &Document, digest: &Digest, s: &mut Stats) {
    let Some(core) = digest
        .sections
        .iter()
        .find(|x| x.heading == "Core Viewpoint")
        .and_then(|x| x.bullets.first())
    else {
        return;
    };
    s.cores += 1;
    let en = doc.lang == Lang::En;
    let shared = if en {
        let words = |t: &str| -> HashSet<String> {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 4 && !STOP_WORDS.contains(&w.to_lowercase().as_str()))
                .map(str::to_lowercase)
                .collect()
        };
        words(&doc.title).intersection(&words(&core.text)).count() >= 1
    } else {
        let grams = |t: &str| -> HashSet<String> {
            let chars: Vec<char> = t
                .chars()
                .filter(|&c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                .collect();
            chars.windows(2).map(|w| w.iter().collect()).collect()
        };
        grams(&doc.title).intersection(&grams(&core.text)).count() >= 2
    };
    if shared {
        s.core_title += 1;
    } else {
        s.off_title_cores.push(format!(
            "{} «{}»: {}",
            doc.id,
            head(&doc.title, 30),
            head(&core.text, 60)
        ));
    }
    if is_market_tick(&core.text) && !shared {
        s.core_tick += 1;
        s.tick_cores.push(format!(
            "{} «{}»: {}",
            doc.id,
            head(&doc.title, 30),
            head(&core.text, 60)
        ));
    }
}

const STOP_WORDS: &[&str] = &[
    "that", "this", "with", "from", "will", "have", "said", "says", "their", "they", "than",
    "into", "over", "after", "year", "were", "been", "more", "also", "would",
];

/// A market-tick line: an index, share or futures move given as a figure. Independent of the
/// summarizer's own rule on purpose, so the measure does not grade its own homework.
fn is_market_tick(text: &str) -> bool {
    const ZH_MARKETS: &[&str] = &[
        "指数",
        "股指",
        "沪指",
        "深成指",
        "创业板指",
        "恒指",
        "日经",
        "道指",
        "纳指",
        "标普",
        "板块",
        "个股",
        "期货",
        "股价",
        "盘中",
        "开盘",
        "收盘",
        "午盘",
        "尾盘",
    ];
    const ZH_MOVES: &[&str] = &["涨", "跌", "收于", "报收", "走高", "走低", "翻红", "翻绿"];
    let has_figure = text.contains('%') || text.contains('％') || text.contains("点");
    if ZH_MARKETS.iter().any(|m| text.contains(m))
        && ZH_MOVES.iter().any(|m| text.contains(m))
        && has_figure
        && text.chars().count() <= 80
    {
        return true;
    }
    let lower = text.to_lowercase();
    let en_market = [
        "stock index",
        "share index",
        "stocks",
        "shares",
        "dow",
        "nasdaq",
        "s&p",
        "futures",
        "nikkei",
    ]
    .iter()
    .any(|m| lower.contains(m));
    let en_move = [
        " rose ",
        " fell ",
        " gained ",
        " lost ",
        " closed ",
        " dropped ",
        " climbed ",
    ]
    .iter()
    .any(|m| lower.contains(m));
    let en_figure = ["pct", "percent", "%", "points", "cents"]
        .iter()
        .any(|m| lower.contains(m));
    en_market && en_move && en_figure && text.split_whitespace().count() <= 30
}

fn head(t: &str, n: usize) -> String {
    let mut s: String = t.chars().take(n).collect();
    if t.chars().count() > n {
        s.push('…');
    }
    s
}

/// Character bigrams of letters and digits (Chinese), or word bigrams (English).
fn bigrams(text: &str, en: bool) -> HashSet<String> {
    if en {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words
            .windows(2)
            .map(|w| format!("{} {}", w[0], w[1]))
            .collect()
    } else {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
        chars.windows(2).map(|w| w.iter().collect()).collect()
    }
}

/// Why a bullet's opening is not a claim, if it is not.
fn junk_opening(text: &str) -> Option<&'static str> {
    let t = text.trim_start();
    let first: String = t.chars().take(24).collect();
    // A byline cut in half: `赵觉珵】…` with no opening bracket before it.
    if let Some(i) = first.find('】')
        && !first[..i].contains('【')
    {
        return Some("byline fragment");
    }
    const ZH_PREFIXES: &[(&str, &str)] = &[
        ("【", "bracketed byline"),
        ("（记者", "reporter line"),
        ("(记者", "reporter line"),
        ("记者", "reporter line"),
        ("原标题", "original title"),
        ("来源：", "source line"),
        ("来源:", "source line"),
        ("责任编辑", "editor line"),
        ("编辑：", "editor line"),
        ("编辑:", "editor line"),
        ("校对", "editor line"),
        ("图片来源", "image caption"),
        ("图源", "image caption"),
        ("图为", "image caption"),
        ("（图", "image caption"),
        ("图：", "image caption"),
        ("资料图", "image caption"),
        ("分享到", "share button"),
        ("点击", "share button"),
        ("扫码", "share button"),
        ("关注", "share button"),
        ("本文来自", "source line"),
        ("声明：", "disclaimer"),
    ];
    for (p, why) in ZH_PREFIXES {
        if t.starts_with(p) {
            return Some(why);
        }
    }
    // `记者 张三 报道`, `新华社北京1月1日电`, `中新网3月2日电`: a dateline in the first 30 chars.
    let opening: String = t.chars().take(30).collect();
    if (opening.contains("记者") && opening.contains("报道"))
        || (opening.contains("日电") && opening.find("日电").is_some_and(|i| i < 45))
        || opening.contains("讯（")
        || opening.contains("讯(")
    {
        return Some("dateline");
    }
    // English: datelines (`NEW YORK, March 3 - `, `WASHINGTON (Reuters) -`), bylines, captions.
    const EN_PREFIXES: &[(&str, &str)] = &[
        ("Reporting by", "byline"),
        ("Editing by", "editor line"),
        ("Photo", "image caption"),
        ("Image:", "image caption"),
        ("Share ", "share button"),
        ("Click ", "share button"),
        ("Source:", "source line"),
        ("Reuter", "source line"),
        ("(Reuters)", "dateline"),
    ];
    for (p, why) in EN_PREFIXES {
        if t.starts_with(p) {
            return Some(why);
        }
    }
    // `By Jane Doe`: a byline names someone; `By contrast`, `By law` do not.
    if let Some(rest) = t.strip_prefix("By ") {
        let names = rest
            .split_whitespace()
            .take(2)
            .filter(|w| w.starts_with(|c: char| c.is_uppercase()))
            .count();
        if names == 2 {
            return Some("byline");
        }
    }
    if let Some(i) = t.find(" - ").or_else(|| t.find(" -- "))
        && i < 40
    {
        let before = &t[..i];
        let caps = before
            .split(|c: char| !c.is_alphabetic())
            .find(|w| !w.is_empty())
            .is_some_and(|w| w.len() > 1 && w.chars().all(|c| c.is_uppercase()));
        if (caps && before.contains(',')) || before.contains("(Reuters)") {
            return Some("dateline");
        }
    }
    None
}

fn percentile(sorted: &[usize], p: f32) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let k = ((sorted.len() - 1) as f32 * p).round() as usize;
    sorted[k]
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * a as f32 / b as f32)
    }
}

fn report(name: &str, s: &Stats, show: usize) {
    let mut lengths = s.lengths.clone();
    lengths.sort_unstable();
    let unit = if name == "en" { "words" } else { "chars" };
    println!(
        "\n[{name}] {} documents, {} digests (the rest are excerpts), {} bullets",
        s.docs, s.digests, s.bullets
    );
    println!(
        "  group headings that are a phrase of the text: {} of {} ({})",
        s.phrase_headings,
        s.headings,
        pct(s.phrase_headings, s.headings)
    );
    println!("  group headings repeating an earlier one of the same digest: {}", s.repeated_headings);
    if name != "en" {
        println!("  group headings that are no noun phrase (open with a verb or adverb, or end in no noun): {}", s.not_noun_headings);
    }
    println!(
        "  bullet length p50 / p95 / max: {} / {} / {} {unit}",
        percentile(&lengths, 0.5),
        percentile(&lengths, 0.95),
        lengths.last().copied().unwrap_or(0)
    );
    let limit = if name == "en" { 45 } else { 120 };
    let over = lengths.iter().filter(|&&l| l > limit).count();
    println!(
        "  bullets over {limit} {unit}: {over} ({})",
        pct(over, s.bullets)
    );
    println!(
        "  duplicate-bullet pairs within a digest: {}",
        s.duplicate_pairs
    );
    println!(
        "  bullets opening with junk: {} ({})",
        s.junk,
        pct(s.junk, s.bullets)
    );
    println!(
        "  bullets citing 2+ paragraphs: {}",
        pct(s.multi_cite, s.bullets)
    );
    println!(
        "  bullets verified: {} of {} checked ({})",
        s.verified,
        s.checked,
        pct(s.verified, s.checked)
    );
    println!(
        "  Core Viewpoints sharing key terms with the title: {} of {} ({})",
        s.core_title,
        s.cores,
        pct(s.core_title, s.cores)
    );
    println!(
        "  Core Viewpoints that are a market-tick line off the title: {} ({})",
        s.core_tick,
        pct(s.core_tick, s.cores)
    );
    if show > 0 {
        for (what, list) in [
            ("core off the title", &s.off_title_cores),
            ("core is a tick line", &s.tick_cores),
            ("heading not a phrase", &s.bad_headings),
            ("heading repeated", &s.repeated_examples),
            ("heading no noun phrase", &s.not_noun_examples),
            ("junk opening", &s.junk_examples),
            ("duplicate", &s.duplicate_examples),
        ] {
            for e in list.iter().take(show) {
                println!("    {what}: {e}");
            }
        }
    }
}

/// Whether a Chinese heading reads as a noun phrase by jieba's tags: it ends in a noun-like word
/// (a noun or name, a verbal noun, an abbreviation, a Latin word) and does not open with a verb,
/// an adverb, a preposition or a conjunction.
fn is_noun_phrase(heading: &str) -> bool {
    let tags = dossier::segment::tagged_words(heading);
    let noun = |t: &str| t.starts_with('n') || matches!(t, "vn" | "j" | "eng" | "an" | "b");
    let opens = tags.first().is_some_and(|(_, t)| !(t.starts_with('v') && *t != "vn") && !matches!(*t, "d" | "p" | "c" | "ad"));
    opens && tags.last().is_some_and(|(_, t)| noun(t))
}
