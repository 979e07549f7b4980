//! report: how do results read in a terminal?
//!
//! Turns search results, ingest and reindex summaries and stats into the text the CLI prints:
//! each hit as on the seed pages — title, then `source · YYYY-MM-DD HH:MM` — with a snippet
//! whose matched words are highlighted in colour on a terminal and left unmarked otherwise
//! (any marker, `**` or brackets, also occurs in source text, so piped output could not be
//! told apart; `--json` gives the highlights as offsets). A document's paragraphs print as
//! plain text: the Markdown the sources carry (`# 标题`, `_图片说明_`, `**…**`, links) loses
//! its markers and keeps its words. JSON output is plain serde of the same structs. It computes
//! nothing.
//!
//! Documents are untrusted, and a terminal obeys escape sequences: every piece of document
//! text (and anything quoting it, like error messages) goes through [`terminal_safe`] before it
//! is printed, here and in the other text renderers (digests, workflow pages).

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::engine::{IngestSummary, ReindexSummary, Stats, format_published, format_when};
use crate::search::{SearchResults, Snippet};

/// `s` without the characters a terminal could act on: C0 controls other than `\n` and `\t`
/// (so ESC, which starts CSI and OSC sequences such as `ESC[2J` or an OSC 8 hyperlink, and
/// BEL, which ends OSC), DEL and the C1 controls (U+0080–U+009F, including the one-character
/// CSI U+009B). What follows a removed ESC stays as visible text. Markdown output uses it too:
/// control characters have no meaning there and would reach whoever cats the file.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|&c| !unsafe_char(c)).collect())
}

/// How highlighted words are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Highlight {
    /// Bold yellow, for a terminal.
    Ansi,
    /// Not at all: the snippet's own text, for pipes and files.
    Plain,
}

/// The snippet with its highlights marked.
pub fn mark_snippet(s: &Snippet, style: Highlight) -> String {
    let (open, close) = match style {
        Highlight::Ansi => ("\x1b[1;33m", "\x1b[0m"),
        Highlight::Plain => ("", ""),
    };
    let chars: Vec<char> = s.text.chars().collect();
    let mut out = String::with_capacity(s.text.len() + 8 * s.highlights.len());
    // Highlights are offsets into the raw text, so the text is cleaned piece by piece; only
    // the markers added here may carry ESC.
    let piece = |out: &mut String, from: usize, to: usize| {
        out.push_str(&terminal_safe(&chars[from..to].iter().collect::<String>()));
    };
    let mut pos = 0;
    for [start, end] in &s.highlights {
        let (start, end) = ((*start).min(chars.len()), (*end).min(chars.len()));
        if start < pos || end < start {
            continue;
        }
        piece(&mut out, pos, start);
        out.push_str(open);
        piece(&mut out, start, end);
        out.push_str(close);
        pos = end;
    }
    piece(&mut out, pos, chars.len());
    out
}

/// Search results as the terminal shows them. `digests`, when given, holds for each hit the
/// rendered digest text to print under it: digests made for the search's query, which the
/// text says, since `dossier digest ID` (no query) may pick other sentences.
/// `稀土 (query); 高管变动 → 辞职 (synonym)`: what matched each query term of a hit.
fn explain_line(explained: &[crate::search::Explained]) -> String {
    let parts: Vec<String> = explained
        .iter()
        .map(|e| {
            if e.matched == e.term {
                format!("{} ({})", e.term, e.via.as_str())
            } else {
                format!("{} → {} ({})", e.term, e.matched, e.via.as_str())
            }
        })
        .collect();
    parts.join("; ")
}

pub fn search_text(r: &SearchResults, style: Highlight, digests: Option<&[Option<String>]>) -> String {
    let mut out = String::new();
    if r.hits.is_empty() {
        let _ = writeln!(out, "No documents match {:?}.", r.query);
        return out;
    }
    if digests.is_some() {
        let _ = writeln!(
            out,
            "Digests focused on {:?}: they favour the sentences about it; `dossier digest ID` gives a document's general digest.\n",
            r.query
        );
    }
    for (i, hit) in r.hits.iter().enumerate() {
        if hit.title_only {
            // Nothing to read but the headline: one line, no snippet or digest.
            let _ = writeln!(
                out,
                "{} — {} · {} · title only [{}]\n",
                terminal_safe(&hit.title),
                terminal_safe(&hit.source_label()),
                format_published(hit.published_at, hit.published_precision),
                terminal_safe(&hit.id)
            );
            continue;
        }
        let _ = writeln!(out, "{}", terminal_safe(&hit.title));
        let imported = if hit.imported { crate::workflow::render::IMPORTED_TAG } else { "" };
        let _ = writeln!(out, "{} · {}{imported}", terminal_safe(&hit.source_label()), format_published(hit.published_at, hit.published_precision));
        match digests.and_then(|d| d.get(i)).and_then(|d| d.as_deref()) {
            Some(digest) => {
                let _ = writeln!(out, "{}", terminal_safe(digest.trim_end()));
            }
            None => {
                let _ = writeln!(out, "  {}", mark_snippet(&hit.snippet, style));
            }
        }
        if let Some(of) = &hit.duplicate_of {
            let _ = writeln!(out, "  (same text as {})", terminal_safe(of));
        }
        if !hit.also.is_empty() {
            let _ = writeln!(out, "  {}", terminal_safe(&crate::stories::collapse::sources_line(&hit.also)));
        }
        if !hit.explain.is_empty() {
            let _ = writeln!(out, "  matched: {}", terminal_safe(&explain_line(&hit.explain)));
        }
        match hit.story {
            Some(s) if s.size > 1 => {
                let _ = writeln!(out, "  [{}] · story {} (dossier story {})", terminal_safe(&hit.id), s.id, s.id);
            }
            _ => {
                let _ = writeln!(out, "  [{}]", terminal_safe(&hit.id));
            }
        }
        out.push('\n');
    }
    let shown_to = r.offset + r.hits.len();
    let _ = writeln!(
        out,
        "{}–{} of {} documents matching {:?}, {}{}",
        r.offset + 1,
        shown_to,
        r.total,
        r.query,
        match r.sort {
            crate::search::SortOrder::Newest => "newest first",
            crate::search::SortOrder::Relevance => "by relevance",
        },
        if r.title_only_hidden {
            " (title-only items hidden)".to_string()
        } else if r.title_only > 0 {
            format!("; {} of these title only (--title-only hide leaves them out)", r.title_only)
        } else {
            String::new()
        }
    );
    out
}

pub fn ingest_text(s: &IngestSummary) -> String {
    let mut out = String::new();
    let mb = s.text_bytes as f64 / 1e6;
    let secs = s.seconds.max(1e-9);
    let _ = writeln!(
        out,
        "{}ingested {}, updated {}, unchanged {}, failed {} — {:.1} MB of new text in {:.1} s ({:.1} MB/s, {:.0} docs/s)",
        if s.interrupted { "interrupted: " } else { "" },
        s.ingested,
        s.updated,
        s.unchanged,
        s.failed,
        mb,
        s.seconds,
        mb / secs,
        (s.ingested + s.updated + s.unchanged) as f64 / secs,
    );
    if s.caught_up > 0 {
        let _ = writeln!(out, "recovered {} documents into the index from an interrupted run", s.caught_up);
    }
    if !s.duplicates.is_empty() {
        let _ = writeln!(out, "{} documents have the same text as an earlier one:", s.duplicates.len());
        for d in s.duplicates.iter().take(10) {
            let _ = writeln!(out, "  {} = {}", terminal_safe(&d.id), terminal_safe(&d.duplicate_of));
        }
        if s.duplicates.len() > 10 {
            let _ = writeln!(out, "  … and {} more (see --json)", s.duplicates.len() - 10);
        }
    }
    if s.interrupted {
        let _ = writeln!(out, "everything counted above is saved; run the same command again to finish");
    }
    out
}

pub fn digest_run_text(s: &crate::digesting::DigestRunSummary) -> String {
    let mut out = String::new();
    let done = s.made + s.reused;
    let _ = writeln!(
        out,
        "{}digests made {}, reused {}, failed {} — {:.1} s ({:.0} docs/s)",
        if s.interrupted { "interrupted: " } else { "" },
        s.made,
        s.reused,
        s.failed,
        s.seconds,
        done as f64 / s.seconds.max(1e-9)
    );
    if s.skipped_title_only > 0 {
        let _ = writeln!(out, "skipped {} title-only documents: they hold only their headline, nothing to digest", s.skipped_title_only);
    }
    if s.prompt_tokens + s.completion_tokens > 0 {
        let _ = writeln!(out, "tokens: {} prompt, {} completion", s.prompt_tokens, s.completion_tokens);
    }
    for (id, e) in s.failures.iter().take(20) {
        let _ = writeln!(out, "  {}: {}", terminal_safe(id), terminal_safe(e));
    }
    out
}

pub fn reindex_text(s: &ReindexSummary) -> String {
    let mb = s.text_bytes as f64 / 1e6;
    format!(
        "reindexed {} documents — {:.1} MB of text in {:.1} s ({:.1} MB/s); index is {:.1} MB\n",
        s.documents,
        mb,
        s.seconds,
        mb / s.seconds.max(1e-9),
        s.index_bytes as f64 / 1e6
    )
}

/// A document with its paragraphs numbered as digests cite them, as plain text.
pub fn document_text(d: &crate::Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", terminal_safe(&d.title));
    let _ = writeln!(
        out,
        "{} · {}{}",
        terminal_safe(&d.source_label()),
        format_published(d.published_at, d.published_precision),
        crate::workflow::render::imported_tag(d)
    );
    let _ = writeln!(out, "id:  {}", terminal_safe(&d.id));
    let _ = writeln!(out, "url: {}", d.url.as_deref().map_or(Cow::Borrowed("none recorded"), terminal_safe));
    out.push('\n');
    for (i, p) in d.paragraphs.iter().enumerate() {
        let _ = writeln!(out, "[{}] {}", i + 1, terminal_safe(&plain_paragraph(p)));
    }
    out
}

/// A paragraph without the Markdown markers sources carry, words kept: a leading `#` heading
/// mark or `>` quote mark goes, a `*`/`-`/`+` list mark becomes `•`, `**strong**` and
/// `_emphasis_` lose their delimiters, `[text](url)` keeps its text and `![alt](url)` becomes
/// `(image: alt)`. Only paired delimiters are taken, so `*ST庞大` or `snake_case` stay whole.
pub fn plain_paragraph(p: &str) -> String {
    let mut line = p.trim_start();
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        line = line[hashes..].trim_start();
    }
    if let Some(rest) = line.strip_prefix("> ") {
        line = rest.trim_start();
    }
    let mut out = String::with_capacity(line.len());
    for mark in ["* ", "- ", "+ "] {
        if let Some(rest) = line.strip_prefix(mark) {
            out.push_str("• ");
            line = rest.trim_start();
            break;
        }
    }
    let text = links_to_text(line);
    let text = unwrap_pairs(&text, "**", |_, _| true);
    // `_` only at word edges: `_图片说明_` but not `snake_case_name`.
    let text = unwrap_pairs(&text, "_", |before, after| {
        !before.is_some_and(|c: char| c.is_ascii_alphanumeric()) && !after.is_some_and(|c: char| c.is_ascii_alphanumeric())
    });
    out.push_str(&text);
    out
}

/// `[text](url)` → `text`, `![alt](url)` → `(image: alt)` or `(image)`.
fn links_to_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let image = rest[..open].ends_with('!');
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let text = &after[..close];
            let tail = &after[close + 2..];
            (!text.contains('[')).then_some(())?;
            tail.find(')').map(|end| (text, &tail[end + 1..]))
        });
        match parsed {
            Some((text, tail)) => {
                let head = if image { &rest[..open - 1] } else { &rest[..open] };
                out.push_str(head);
                match (image, text.trim()) {
                    (true, "") => out.push_str("(image)"),
                    (true, alt) => {
                        let _ = write!(out, "(image: {alt})");
                    }
                    (false, t) => out.push_str(t),
                }
                rest = tail;
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` with each pair of `delim` around non-empty text removed, where `edge(before, after)`
/// accepts the characters outside the pair.
fn unwrap_pairs(s: &str, delim: &str, edge: impl Fn(Option<char>, Option<char>) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find(delim) {
        let inner = &rest[open + delim.len()..];
        let before = rest[..open].chars().last().or_else(|| out.chars().last());
        let close = inner.find(delim).filter(|&c| {
            c > 0 && !inner[..c].starts_with(' ') && !inner[..c].ends_with(' ') && edge(before, inner[c + delim.len()..].chars().next())
        });
        match close {
            Some(c) => {
                out.push_str(&rest[..open]);
                out.push_str(&inner[..c]);
                rest = &inner[c + delim.len()..];
            }
            None => {
                out.push_str(&rest[..open + delim.len()]);
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What to do about an empty data directory (after "no documents yet: " and the like).
pub const NOTHING_INGESTED_HINT: &str = "add some with `dossier ingest PATH` (JSONL, .txt/.md/.html files, \
directories, RSS/Atom feeds), or try `dossier demo`";

pub fn stats_text(s: &Stats) -> String {
    let mut out = String::new();
    let st = &s.store;
    let _ = writeln!(out, "data directory: {}", s.data_dir.display());
    if st.documents == 0 {
        let _ = writeln!(out, "no documents yet: {NOTHING_INGESTED_HINT}");
        return out;
    }
    let _ = writeln!(out, "documents: {} ({} exact duplicates, {} with digests)", st.documents, st.duplicates, st.digests);
    match (st.earliest, st.latest) {
        (Some(_), Some(_)) => {
            let _ = writeln!(
                out,
                "dates: {} .. {} ({} undated)",
                format_when(st.earliest),
                format_when(st.latest),
                st.undated
            );
        }
        _ => {
            let _ = writeln!(out, "dates: none ({} undated)", st.undated);
        }
    }
    let so = &s.stories;
    let _ = writeln!(
        out,
        "stories: {} ({} with copies{}){}",
        so.stories,
        so.multi_member,
        so.largest.filter(|l| l.size > 1).map(|l| format!("; the largest, story {}, has {} documents", l.id, l.size)).unwrap_or_default(),
        if so.unassigned > 0 { format!(", {} documents without one (the next ingest assigns them)", so.unassigned) } else { String::new() }
    );
    let _ = writeln!(out, "text: {:.1} MB", st.text_bytes as f64 / 1e6);
    let _ = writeln!(out, "database: {:.1} MB", s.database_bytes as f64 / 1e6);
    let _ = writeln!(out, "index: {:.1} MB, {} documents", s.index_bytes as f64 / 1e6, s.index_documents);
    if s.index_lag > 0 {
        let _ = writeln!(out, "index lags the database by {} documents (the next command catches up)", s.index_lag);
    }
    let _ = writeln!(out, "last ingest: {}", format_when(st.last_ingest));
    let _ = writeln!(out, "by language:");
    for (lang, n) in &st.by_lang {
        let _ = writeln!(out, "  {:<6} {n:>8}", terminal_safe(lang));
    }
    let _ = writeln!(out, "by source:");
    for (src, n) in &st.by_source {
        let _ = writeln!(out, "  {n:>8}  {}", terminal_safe(src));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Lang;
    use crate::search::{Hit, SortOrder};

    const ESCAPES: &str = "\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\u{9b}31m\r\u{7f}";

    #[test]
    fn marks_highlights_on_character_offsets() {
        let s = Snippet { text: "中国稀土集团发布公告".into(), highlights: vec![[2, 4], [6, 8]] };
        assert_eq!(mark_snippet(&s, Highlight::Ansi), "中国\x1b[1;33m稀土\x1b[0m集团\x1b[1;33m发布\x1b[0m公告");
        // Piped, the text is the source's own: no marker that could be taken for its `**`.
        let bold = Snippet { text: "**海外网**稀土".into(), highlights: vec![[7, 9]] };
        assert_eq!(mark_snippet(&bold, Highlight::Plain), "**海外网**稀土");
    }

    #[test]
    fn paragraphs_lose_their_markdown_and_keep_their_words() {
        let cases = [
            ("# 俄媒：俄国家杜马批准协议", "俄媒：俄国家杜马批准协议"),
            ("### Heading", "Heading"),
            ("#5G 网络", "#5G 网络"),
            ("_▲捐款页面显示，刘女士家人试图募集20万加元_", "▲捐款页面显示，刘女士家人试图募集20万加元"),
            ("**海外网12月26日电** 据报道", "海外网12月26日电 据报道"),
            ("* _1_ 特斯拉第四季度总营收为243.18亿美元", "• 1 特斯拉第四季度总营收为243.18亿美元"),
            ("ST股板块持续低迷，*ST庞大、*ST海投等跌停。", "ST股板块持续低迷，*ST庞大、*ST海投等跌停。"),
            ("see my_var_name and 2 * 3 * 4", "see my_var_name and 2 * 3 * 4"),
            ("[云南昆明一窨井发现两具男尸](https://new.qq.com/rain/a/1)", "云南昆明一窨井发现两具男尸"),
            ("* ![](https://inews.gtimg.com/x.jpg)", "• (image)"),
            ("图：![稀土矿](a.png) 如上", "图：(image: 稀土矿) 如上"),
            ("> 引用的话", "引用的话"),
            ("价格 [注1] 上涨", "价格 [注1] 上涨"),
            ("a ** b", "a ** b"),
        ];
        for (raw, plain) in cases {
            assert_eq!(plain_paragraph(raw), plain, "{raw}");
        }
    }

    #[test]
    fn a_shown_document_has_id_and_url_lines_and_plain_paragraphs() {
        let d = crate::Document {
            id: "qq-1".into(),
            title: "稀土".into(),
            source: "腾讯新闻".into(),
            published_at: None,
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            paragraphs: vec!["# 标题".into(), "_图片说明_".into()],
            meta: serde_json::Value::Null,
        };
        assert_eq!(
            document_text(&d),
            "稀土\n腾讯新闻 · no date\nid:  qq-1\nurl: none recorded\n\n[1] 标题\n[2] 图片说明\n"
        );
    }

    #[test]
    fn terminal_text_loses_every_control_but_newline_and_tab() {
        assert_eq!(terminal_safe(ESCAPES), "[2J]8;;https://evil.example/click]8;;31m");
        assert_eq!(terminal_safe("a\tb\nc"), "a\tb\nc");
        assert!(matches!(terminal_safe("稀土 plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn hostile_search_results_reach_the_terminal_without_escapes() {
        let text = format!("x{ESCAPES}稀土y");
        let start = text.chars().position(|c| c == '稀').unwrap_or_default();
        let hit = |n: &str| Hit {
            id: format!("{n}{ESCAPES}"),
            title: format!("title{ESCAPES}"),
            source: format!("src{ESCAPES}"),
            published_at: None,
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            score: 1.0,
            snippet: Snippet { text: text.clone(), highlights: vec![[start, start + 2]] },
            duplicate_of: Some(format!("dup{ESCAPES}")),
            title_only: false,
            outlet: None,
            imported: false,
            story: None,
            also: Vec::new(),
            explain: vec![],
        };
        let r = SearchResults {
            query: format!("q{ESCAPES}"),
            sort: SortOrder::Newest,
            total: 2,
            offset: 0,
            limit: 10,
            hits: vec![hit("a"), hit("b")],
            title_only: 0,
            title_only_hidden: false,
        };
        let digests = [None, Some(format!("digest{ESCAPES}\n"))];
        let out = search_text(&r, Highlight::Ansi, Some(&digests));
        // The only escapes are the two of our own highlight.
        assert_eq!(out.matches('\u{1b}').count(), 2, "{out:?}");
        assert!(out.contains("  x[2J]8;;https://evil.example/click]8;;31m\u{1b}[1;33m稀土\u{1b}[0my\n"), "{out:?}");
        let rest: String = out.replace("\u{1b}[1;33m", "").replace("\u{1b}[0m", "");
        assert!(!rest.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("digest[2J]8;;https://evil.example/click]8;;31m\n"), "{out:?}");
        assert!(out.contains("  [b[2J]8;;https://evil.example/click]8;;31m]\n"), "{out:?}");
    }

    #[test]
    fn a_hostile_document_shows_without_escapes() {
        let d = crate::Document {
            id: "d".into(),
            title: format!("t{ESCAPES}"),
            source: format!("s{ESCAPES}"),
            published_at: None,
            published_precision: None,
            url: Some(format!("javascript:{ESCAPES}")),
            lang: Lang::En,
            paragraphs: vec![format!("p{ESCAPES}"), "two\tcolumns".into()],
            meta: serde_json::Value::Null,
        };
        let out = document_text(&d);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{out:?}");
        assert!(out.contains("[2] two\tcolumns\n"), "{out:?}");
    }
}
