//! seed: how do another tool's saved result pages become documents?
//!
//! `dossier import-seed FILE` reads a result page saved from the commercial research product
//! (the format of ../shared/seeds/*.txt) and turns each entry into a [`Document`] with its
//! [`Digest`] attached, so the product's digests can be searched and compared with ours. This
//! module parses and renders that text format; it must not store, index or verify anything,
//! and it must not guess: a line it does not understand is an error naming the file and line.
//!
//! The page format, as saved:
//!
//! ```text
//! Workflow                      ← optional
//! 稀土供应链                     ← the workflow's name
//! icon                          ← optional
//! Search documents
//! <title>
//! <source>· YYYY-MM-DD HH:MM    ← absent for some research reports
//! <digest on one line>
//! …
//! ```
//!
//! A digest line is a sequence of sections, `Heading - bullet [1][3] - bullet [5] Heading -
//! …`, with headings such as `Group 1`, `Group 2: <theme>`, `Core Viewpoint`, `Core Insights`,
//! `Investment Rating`, `Summary by Sections` followed by numbered sub-headings (`1. Overview`,
//! `2.1 Copper`); or, when the product made no summary, a raw excerpt of the article ending in
//! `...`. Titles and digests are told apart by position (a title starts an entry; a source
//! line or a digest follows it) and checked by shape (a digest starts with a known heading and
//! ` - `, or is an excerpt ending in `...`), so a missing line shows up as an error, not as a
//! title swallowed into a digest.
//!
//! Decisions:
//! - Times on the page carry no zone. Like every zone-less time in dossier (see
//!   [`crate::dates`]) they are read as UTC, which keeps the page's date as the date dossier
//!   shows and filters on; the product shows Beijing time, so the true instant is probably 8
//!   hours earlier.
//! - Entries without a source line get source "unknown"; a trailing `-YYYYMMDD` in their
//!   title (`有色金属周报：…-20250713`) gives the publication date (midnight UTC).
//! - Document ids are `seed:` + 16 hex digits of a BLAKE3 hash of title, source and date, so
//!   importing a page twice yields the same ids.
//! - The imported document's paragraphs are the digest's text — one per themed heading and
//!   one per bullet — so the digest is searchable; the bullets' citations still refer to the
//!   original article's paragraphs, which dossier does not have, hence `verified: None`.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::digest::{Bullet, Digest, DocKind, Section};
use crate::document::{Document, Lang};
use crate::error::{Error, Location, Result};

/// A parsed result page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedPage {
    /// The workflow's name from the header, when the page has one.
    pub workflow: Option<String>,
    pub entries: Vec<SeedEntry>,
}

/// One document of a result page, with the digest the product showed for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedEntry {
    /// Line (1-based) of the entry's title in the page.
    pub line: u64,
    pub document: Document,
    pub digest: Digest,
}

/// The line that ends a page header.
const HEADER_END: &str = "Search documents";

/// Top-level headings of the product's digest templates.
const TOP_HEADINGS: [&str; 10] = [
    "Core Viewpoint",
    "Core Viewpoints",
    "Core Insights",
    "Core Insight",
    "Investment Rating",
    "Summary by Sections",
    "Summary by Section",
    "Key Points",
    "Risk Warning",
    "Risk Warnings",
];

/// Headings after which numbered sub-headings ("1. Overview", "2.1 Copper") follow.
const SECTIONED: [&str; 2] = ["Summary by Sections", "Summary by Section"];

/// The longest line taken for a title; digests are far longer.
const MAX_TITLE_CHARS: usize = 300;

/// Parses a saved result page. `path` names the file in errors and in each document's meta.
/// Reads and parses the seed page at `path`.
pub fn read_seed(path: &Path) -> Result<SeedPage> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => crate::Error::BadInput {
            location: crate::Location { file: path.to_path_buf(), line: None },
            message: "the page is not valid UTF-8; save it as UTF-8 and import again".into(),
        },
        _ => crate::Error::io(path, e),
    })?;
    parse_seed(path, &text)
}

pub fn parse_seed(path: &Path, text: &str) -> Result<SeedPage> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(u64, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let bad = |line: u64, message: String| Error::BadInput {
        location: Location {
            file: path.to_path_buf(),
            line: Some(line),
        },
        message,
    };

    let (workflow, body_start) = parse_header(&lines).map_err(|(line, msg)| bad(line, msg))?;
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );

    let mut entries = Vec::new();
    let mut k = body_start;
    while k < lines.len() {
        let (title_line, title) = lines[k];
        let title = title.trim();
        if parse_source_line(title).is_some() {
            return Err(bad(
                title_line,
                format!(
                    "a source line ({title:?}) where a title was expected: each entry starts with its title line; is the title missing?"
                ),
            ));
        }
        if parse_structured(title).is_ok() {
            return Err(bad(
                title_line,
                format!(
                    "a digest where a title was expected ({}): each entry starts with its title line; is the title missing?",
                    preview(title)
                ),
            ));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(bad(
                title_line,
                format!(
                    "expected a title but found a line of {} characters that is not a digest ({}); titles are at most {MAX_TITLE_CHARS} characters",
                    title.chars().count(),
                    preview(title)
                ),
            ));
        }
        let Some(&(next_line, next)) = lines.get(k + 1) else {
            return Err(bad(
                title_line,
                format!(
                    "the page ends after the title {title:?}: expected a source line `<source>· YYYY-MM-DD HH:MM` and a digest"
                ),
            ));
        };
        let (source, published_at, digest_at) = match parse_source_line(next.trim()) {
            Some(Ok((source, at))) => (Some(source), Some(at), k + 2),
            Some(Err(message)) => return Err(bad(next_line, message)),
            None => (None, date_in_title(title), k + 1),
        };
        let Some(&(digest_line, digest_text)) = lines.get(digest_at) else {
            return Err(bad(
                next_line,
                format!(
                    "the page ends after the source line of {title:?} (line {title_line}): expected its digest on the next line"
                ),
            ));
        };
        let digest = parse_digest(digest_text.trim()).map_err(|why| {
            let expected = if source.is_some() {
                format!("expected the digest of {title:?} (line {title_line})")
            } else {
                format!("expected a source line `<source>· YYYY-MM-DD HH:MM` or the digest of {title:?} (line {title_line})")
            };
            bad(digest_line, format!("{expected}, found {}: {why}", preview(digest_text.trim())))
        })?;
        let document = make_document(
            title,
            source,
            published_at,
            &digest,
            &file_name,
            title_line,
            workflow.as_deref(),
        );
        entries.push(SeedEntry {
            line: title_line,
            document,
            digest,
        });
        k = digest_at + 1;
    }
    tracing::debug!(file = %path.display(), entries = entries.len(), "parsed seed page");
    Ok(SeedPage { workflow, entries })
}

/// The workflow's name and the index of the first body line; on error the line and message.
fn parse_header(
    lines: &[(u64, &str)],
) -> std::result::Result<(Option<String>, usize), (u64, String)> {
    let end = lines.iter().take(4).position(|(_, l)| l.trim() == HEADER_END).ok_or_else(|| {
        (
            lines.first().map_or(1, |(n, _)| *n),
            format!(
                "not a saved result page: expected a header ending in the line `{HEADER_END}` within the first four lines \
                 (`Workflow`, the workflow's name and `icon` may precede it)"
            ),
        )
    })?;
    let names: Vec<(u64, &str)> = lines[..end]
        .iter()
        .map(|&(n, l)| (n, l.trim()))
        .filter(|(_, l)| *l != "Workflow" && *l != "icon")
        .collect();
    match names.as_slice() {
        [] => Ok((None, end + 1)),
        [(_, name)] => Ok((Some((*name).to_string()), end + 1)),
        [_, (n, extra), ..] => Err((
            *n,
            format!(
                "unexpected header line {extra:?}: the header holds `Workflow`, the workflow's name, `icon` and `{HEADER_END}`"
            ),
        )),
    }
}

/// `Sou Hu Cai Jing· 2025-08-02 07:02` → source and time; `None` when the line is not a
/// source line at all, `Some(Err)` when it is one with a malformed date.
fn parse_source_line(line: &str) -> Option<std::result::Result<(String, DateTime<Utc>), String>> {
    let (source, when) = line.rsplit_once('·')?;
    let when = when.trim();
    // Only a date-shaped tail makes a source line; a title may contain "·" too.
    let shaped = when.len() >= 10
        && when.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && when.as_bytes()[4] == b'-';
    if !shaped {
        return None;
    }
    let parsed = crate::dates::parse_datetime(when).map_err(|_| {
        format!("source line {line:?} has a malformed date {when:?}: expected `<source>· YYYY-MM-DD HH:MM`")
    });
    let source = source.trim();
    let source = if source.is_empty() { "unknown" } else { source };
    Some(parsed.map(|at| (source.to_string(), at)))
}

/// A trailing `-YYYYMMDD` in a report title, as midnight UTC of that day.
fn date_in_title(title: &str) -> Option<DateTime<Utc>> {
    let digits = title.get(title.len().checked_sub(8)?..)?;
    let before = title[..title.len() - 8].chars().next_back()?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(before, '-' | '_' | ' ') {
        return None;
    }
    crate::dates::parse_datetime(digits).ok()
}

fn make_document(
    title: &str,
    source: Option<String>,
    published_at: Option<DateTime<Utc>>,
    digest: &Digest,
    file_name: &str,
    line: u64,
    workflow: Option<&str>,
) -> Document {
    let source = source.unwrap_or_else(|| "unknown".to_string());
    let mut h = blake3::Hasher::new();
    h.update(title.as_bytes());
    h.update(b"\0");
    h.update(source.as_bytes());
    h.update(b"\0");
    h.update(
        published_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
            .as_bytes(),
    );
    let id = format!("seed:{}", &h.finalize().to_hex()[..16]);
    let mut paragraphs = Vec::new();
    if let Some(excerpt) = &digest.excerpt {
        paragraphs.push(excerpt.clone());
    }
    for section in &digest.sections {
        if heading_has_theme(&section.heading) {
            paragraphs.push(section.heading.clone());
        }
        paragraphs.extend(section.bullets.iter().map(|b| b.text.clone()));
    }
    Document {
        id,
        title: title.to_string(),
        source,
        published_at,
        // A seed page's `YYYY-MM-DD HH:MM` may be a day written with a dummy time: unknown.
        published_precision: None,
        url: None,
        lang: digest.lang,
        paragraphs,
        meta: serde_json::json!({
            "imported_from": file_name,
            "seed_line": line,
            "workflow": workflow,
        }),
    }
}

/// Whether a heading says something beyond the template ("Group 2: Market Dynamics" does,
/// "Group 2" and "Core Insights" do not).
fn heading_has_theme(heading: &str) -> bool {
    !(TOP_HEADINGS.contains(&heading)
        || group_number(heading).is_some_and(|(_, theme)| theme.is_none()))
}

/// Short form of a long line for error messages.
fn preview(line: &str) -> String {
    let cut: String = line.chars().take(60).collect();
    if cut.len() < line.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// Digest lines

/// Parses one digest line: structured sections, or an excerpt ending in "...".
fn parse_digest(line: &str) -> std::result::Result<Digest, String> {
    let lang = Lang::detect(line);
    match parse_structured(line) {
        Ok(sections) => Ok(Digest {
            kind: kind_of(&sections),
            lang,
            summarizer: "imported".to_string(),
            sections,
            excerpt: None,
            note: None,
            verification: None,
        }),
        Err(_) if is_excerpt(line) => {
            Ok(Digest {
                kind: DocKind::Excerpt,
                lang,
                summarizer: "imported".to_string(),
                sections: Vec::new(),
                excerpt: Some(line.to_string()),
                note: None,
                verification: None,
            })
        }
        Err(why) => Err(why),
    }
}

/// An excerpt: the article's own text, cut and ended with "..." (or "…").
fn is_excerpt(line: &str) -> bool {
    (line.ends_with("...") || line.ends_with('…')) && line.chars().count() >= 20
}

fn kind_of(sections: &[Section]) -> DocKind {
    let research = sections.iter().any(|s| {
        s.heading == "Investment Rating"
            || SECTIONED.contains(&s.heading.as_str())
            || numbered_heading(&s.heading)
    });
    if research {
        return DocKind::Research;
    }
    let themes: Vec<&str> = sections
        .iter()
        .filter_map(|s| group_number(&s.heading).and_then(|(_, t)| t))
        .collect();
    if !themes.is_empty()
        && themes
            .iter()
            .all(|t| t.ends_with(" Performance") || t.ends_with("业绩"))
    {
        DocKind::Roundup
    } else {
        DocKind::News
    }
}

/// `Group 2` → (2, None); `Group 2: Market Dynamics` → (2, Some("Market Dynamics")).
fn group_number(heading: &str) -> Option<(u32, Option<&str>)> {
    let rest = heading.strip_prefix("Group ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = rest[..digits].parse().ok()?;
    let after = &rest[digits..];
    if after.is_empty() {
        return Some((n, None));
    }
    let theme = after.strip_prefix(": ")?.trim();
    (!theme.is_empty() && !theme.contains(" - ")).then_some((n, Some(theme)))
}

/// `1. Overview`, `2.1 Copper`, `3 Risks`: a numbered sub-heading of a research digest.
fn numbered_heading(heading: &str) -> bool {
    let digits_and_dots = heading
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, rest) = heading.split_at(digits_and_dots);
    !num.is_empty()
        && num.as_bytes()[0].is_ascii_digit()
        && !num.contains("..")
        && rest
            .strip_prefix(' ')
            .is_some_and(|t| t.chars().next().is_some_and(|c| c.is_alphabetic()))
        && heading.chars().count() <= 80
}

/// The headings a candidate (text between a bullet's end and the next " - ") stands for:
/// usually one, two for "Summary by Sections 1. Overview". `sectioned` says whether numbered
/// sub-headings are expected (a "Summary by Sections" heading came before). `free` admits
/// themed headings of the product's own wording ("Regulatory Measures", "Market Dynamics"),
/// which it writes after "Core Insights"; only right after a bullet's citations is such a
/// phrase known to be a heading.
fn headings_in(candidate: &str, sectioned: bool, free: bool) -> Option<Vec<(String, u8)>> {
    if candidate.is_empty() || candidate.contains('[') || candidate.trim() != candidate {
        return None;
    }
    if TOP_HEADINGS.contains(&candidate) || group_number(candidate).is_some() {
        return Some(vec![(candidate.to_string(), 1)]);
    }
    if sectioned && numbered_heading(candidate) {
        return Some(vec![(candidate.to_string(), 2)]);
    }
    for top in SECTIONED {
        if let Some(sub) = candidate
            .strip_prefix(top)
            .and_then(|r| r.strip_prefix(' '))
            && numbered_heading(sub)
        {
            return Some(vec![(top.to_string(), 1), (sub.to_string(), 2)]);
        }
    }
    (free && free_heading(candidate)).then(|| vec![(candidate.to_string(), 1)])
}

/// A short heading-shaped phrase: at most 12 words and 100 characters, starting with a
/// capital, a digit or a Chinese character, not ending like a sentence.
fn free_heading(candidate: &str) -> bool {
    let first = candidate.chars().next();
    first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || crate::document::is_cjk(c))
        && candidate.chars().count() <= 100
        && candidate.split_whitespace().count() <= 12
        && !candidate.ends_with(['.', ',', ';', ':', '。', '，', '；'])
        && !candidate.contains(" - ")
}

/// A run of citation markers at byte `i`: `[1][3]`, `[10, 12]`; the numbers and the end.
fn citations_at(line: &str, i: usize) -> Option<(Vec<usize>, usize)> {
    let b = line.as_bytes();
    let mut k = i;
    let mut out = Vec::new();
    while b.get(k) == Some(&b'[') {
        let close = k + line[k..].find(']')?;
        let inner = &line[k + 1..close];
        let nums: Option<Vec<usize>> = inner
            .split([',', '，'])
            .map(|n| n.trim().parse::<usize>().ok().filter(|n| *n > 0))
            .collect();
        match nums {
            Some(n) if !n.is_empty() => out.extend(n),
            _ => break,
        }
        k = close + 1;
    }
    (!out.is_empty()).then_some((out, k))
}

/// Parses a structured digest line into sections; the error says why it is not one.
fn parse_structured(line: &str) -> std::result::Result<Vec<Section>, String> {
    let Some(first) = line.find(" - ") else {
        return Err("it has no `Heading - bullet` structure".to_string());
    };
    let Some(headings) = headings_in(&line[..first], false, false) else {
        return Err(format!(
            "it does not start with a known heading such as `Group 1`, `Core Viewpoint`, `Core Insights` or `Investment Rating` (found {:?})",
            &line[..first]
        ));
    };
    let mut sections: Vec<Section> = Vec::new();
    let open = |sections: &mut Vec<Section>, hs: Vec<(String, u8)>| {
        for (heading, level) in hs {
            sections.push(Section {
                heading,
                level,
                bullets: Vec::new(),
            });
        }
    };
    let sectioned = |sections: &Vec<Section>| {
        sections
            .iter()
            .any(|s| SECTIONED.contains(&s.heading.as_str()))
    };
    open(&mut sections, headings);
    let mut pos = first + 3;
    loop {
        // Find where the bullet starting at `pos` ends: after its citations (and a full stop)
        // where a new bullet, a new section or the line's end follows; or, for a bullet
        // without citations, where a new section starts.
        let mut found = None;
        let mut scan = pos;
        while scan < line.len() {
            let Some(off) = line[scan..].find(['[', ' ']) else {
                break;
            };
            let at = scan + off;
            if line.as_bytes()[at] == b'[' {
                if let Some((cites, end)) = citations_at(line, at) {
                    let after = if line.as_bytes().get(end) == Some(&b'.') {
                        end + 1
                    } else {
                        end
                    };
                    if let Some(next) = boundary(line, after, sectioned(&sections), true) {
                        found = Some((at, cites, next));
                        break;
                    }
                    scan = end;
                    continue;
                }
            } else if at > pos
                && let Some(next @ Next::Section(..)) =
                    boundary(line, at, sectioned(&sections), false)
            {
                found = Some((at, Vec::new(), next));
                break;
            }
            scan = at + 1;
        }
        let (text_end, citations, next) = found.unwrap_or((line.len(), Vec::new(), Next::End));
        let text = line[pos..text_end].trim_end();
        if text.is_empty() {
            let heading = sections.last().map_or("", |s| s.heading.as_str());
            return Err(format!(
                "the section {heading:?} has an empty bullet (nothing between ` - ` and its citations)"
            ));
        }
        let bullet = Bullet {
            text: text.to_string(),
            citations,
            verified: None,
        };
        match sections.last_mut() {
            Some(s) => s.bullets.push(bullet),
            None => return Err("a bullet before any heading".to_string()),
        }
        match next {
            Next::End => break,
            Next::Bullet(p) => pos = p,
            Next::Section(hs, p) => {
                open(&mut sections, hs);
                pos = p;
            }
        }
    }
    if let Some(empty) = sections
        .iter()
        .find(|s| s.bullets.is_empty() && !SECTIONED.contains(&s.heading.as_str()))
    {
        return Err(format!("the section {:?} has no bullets", empty.heading));
    }
    Ok(sections)
}

/// What follows the end of a bullet.
enum Next {
    End,
    /// The next bullet of the same section starts at this byte.
    Bullet(usize),
    /// New sections (usually one) whose first bullet starts at this byte.
    Section(Vec<(String, u8)>, usize),
}

/// Whether a bullet can end at byte `at`: the line ends, ` - ` starts the next bullet, or
/// ` <Heading> - ` starts the next section (`free`: of any heading shape, see
/// [`headings_in`]).
fn boundary(line: &str, at: usize, sectioned: bool, free: bool) -> Option<Next> {
    let rest = &line[at..];
    if rest.is_empty() {
        return Some(Next::End);
    }
    if rest.starts_with(" - ") {
        return Some(Next::Bullet(at + 3));
    }
    let candidate_start = at + 1;
    let rest = rest.strip_prefix(' ')?;
    let dash = rest.find(" - ")?;
    let hs = headings_in(&rest[..dash], sectioned, free)?;
    Some(Next::Section(hs, candidate_start + dash + 3))
}

/// Renders a digest in the page's one-line form, `Group 1 - bullet [1][3] - bullet [5] Group 2 -
/// …`, or an excerpt as its text. Citations are written `[a][b]` whatever form they were read
/// in ("[10, 12]" comes back as "[10][12]"), and the "Core Viewpoint" template ends each cited
/// bullet with a full stop after the citations, as the product writes it.
pub fn render_seed_line(d: &Digest) -> String {
    if d.kind == DocKind::Excerpt || d.sections.is_empty() {
        return d.excerpt.clone().unwrap_or_default();
    }
    let full_stop = d
        .sections
        .first()
        .is_some_and(|s| s.heading.starts_with("Core Viewpoint"));
    let mut out = String::new();
    for section in &d.sections {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&section.heading);
        for bullet in &section.bullets {
            out.push_str(" - ");
            out.push_str(&bullet.text);
            if !bullet.citations.is_empty() {
                out.push(' ');
                for c in &bullet.citations {
                    out.push_str(&format!("[{c}]"));
                }
                if full_stop {
                    out.push('.');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const REAL: [&str; 3] = [
        "000_b9f1a09f6e316b44.txt",
        "001_3906136895591979.txt",
        "002_c73b6274a546cfca.txt",
    ];

    fn manifest() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn read(rel: &str) -> String {
        let path = manifest().join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Parses a file named relative to the crate root, naming it by that relative path.
    fn parse_rel(rel: &str) -> Result<SeedPage> {
        parse_seed(Path::new(rel), &read(rel))
    }

    fn summary(rel: &str, page: &SeedPage, rendered: bool) -> String {
        let mut out = format!(
            "{rel}: workflow {:?}, {} entries\n",
            page.workflow,
            page.entries.len()
        );
        for e in &page.entries {
            let d = &e.document;
            out.push_str(&format!(
                "  L{} {} | {} | {} | {} | {} {} | {} paragraphs\n",
                e.line,
                d.id,
                d.title,
                d.source,
                d.published_at.map_or("-".to_string(), |t| t.to_rfc3339()),
                e.digest.kind.as_str(),
                e.digest.lang,
                d.paragraphs.len(),
            ));
            if let Some(x) = &e.digest.excerpt {
                out.push_str(&format!("      excerpt: {} chars\n", x.chars().count()));
            }
            for s in &e.digest.sections {
                let cites: Vec<String> = s
                    .bullets
                    .iter()
                    .map(|b| b.citations.len().to_string())
                    .collect();
                out.push_str(&format!(
                    "      [{}] {} — citations per bullet: {}\n",
                    s.level,
                    s.heading,
                    cites.join(" ")
                ));
            }
            if rendered {
                out.push_str(&format!(
                    "      rendered: {}\n",
                    render_seed_line(&e.digest)
                ));
            }
        }
        out
    }

    #[test]
    fn real_pages_parse_into_documents_with_digests() {
        let mut out = String::new();
        for name in REAL {
            let rel = format!("tests/fixtures/seed/real/{name}");
            let page = parse_rel(&rel).unwrap_or_else(|e| panic!("{e}"));
            out.push_str(&summary(&rel, &page, false));
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn real_page_entry_counts() {
        let counts: Vec<usize> = REAL
            .iter()
            .map(|n| {
                parse_rel(&format!("tests/fixtures/seed/real/{n}"))
                    .map(|p| p.entries.len())
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(counts, [10, 8, 2]);
    }

    #[test]
    fn every_real_digest_line_round_trips_byte_for_byte() {
        let mut checked = 0;
        for name in REAL {
            let rel = format!("tests/fixtures/seed/real/{name}");
            let text = read(&rel);
            let lines: Vec<&str> = text.lines().collect();
            let page = parse_seed(Path::new(&rel), &text).unwrap_or_else(|e| panic!("{e}"));
            for e in &page.entries {
                // Real pages have a source line after every title and no blank lines.
                let original = lines[e.line as usize + 1];
                assert_eq!(
                    render_seed_line(&e.digest),
                    original,
                    "{rel}:{}",
                    e.line + 2
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 20);
    }

    #[test]
    fn bullets_lose_their_citation_markers_and_keep_their_text() {
        let page =
            parse_rel("tests/fixtures/seed/real/000_b9f1a09f6e316b44.txt").unwrap_or_else(|e| panic!("{e}"));
        let first = &page.entries[0].digest.sections[0].bullets[0];
        assert!(first.text.starts_with(
            "The \"Indo-Pacific Rare Earth Alliance\" was officially announced on July 1, 2025"
        ));
        assert!(
            first
                .text
                .ends_with("establish an independent supply chain")
        );
        assert_eq!(first.citations, [1]);
        assert_eq!(first.verified, None);
        let d = &page.entries[0].digest;
        assert_eq!(
            (d.summarizer.as_str(), d.lang, d.kind),
            ("imported", Lang::En, DocKind::News)
        );
        let doc = &page.entries[0].document;
        assert_eq!(doc.meta["imported_from"], "000_b9f1a09f6e316b44.txt");
        assert_eq!(doc.meta["seed_line"], 5);
        assert_eq!(doc.meta["workflow"], "稀土供应链");
        assert_eq!(doc.paragraphs[0], first.text);
        assert!(doc.paragraphs.iter().all(|p| !p.contains("[1]")));
    }

    #[test]
    fn no_real_bullet_keeps_a_citation_marker_or_a_heading() {
        for name in REAL {
            let page =
                parse_rel(&format!("tests/fixtures/seed/real/{name}")).unwrap_or_else(|e| panic!("{e}"));
            for e in &page.entries {
                for s in &e.digest.sections {
                    for b in &s.bullets {
                        assert!(
                            !b.text.contains('[') && !b.text.contains(" - "),
                            "{name}:{} {:?}",
                            e.line,
                            b.text
                        );
                        assert!(!b.citations.is_empty(), "{name}:{} {:?}", e.line, b.text);
                    }
                }
            }
        }
    }

    #[test]
    fn importing_twice_yields_the_same_ids_and_ids_are_distinct() {
        for name in REAL {
            let rel = format!("tests/fixtures/seed/real/{name}");
            let a = parse_rel(&rel).unwrap_or_else(|e| panic!("{e}"));
            let b = parse_rel(&rel).unwrap_or_else(|e| panic!("{e}"));
            let ids: Vec<&str> = a.entries.iter().map(|e| e.document.id.as_str()).collect();
            assert_eq!(
                ids,
                b.entries
                    .iter()
                    .map(|e| e.document.id.as_str())
                    .collect::<Vec<_>>()
            );
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), ids.len(), "{rel}");
        }
    }

    #[test]
    fn fixture_variants_parse() {
        let mut out = String::new();
        for name in [
            "research_no_source",
            "roundup",
            "core_viewpoint",
            "excerpt",
            "mixed_crlf",
        ] {
            let rel = format!("tests/fixtures/seed/{name}.txt");
            let page = parse_rel(&rel).unwrap_or_else(|e| panic!("{e}"));
            out.push_str(&summary(&rel, &page, true));
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn fixture_digest_lines_round_trip() {
        for name in ["research_no_source", "roundup", "core_viewpoint", "excerpt"] {
            let rel = format!("tests/fixtures/seed/{name}.txt");
            let text = read(&rel);
            let lines: Vec<&str> = text.lines().collect();
            let page = parse_seed(Path::new(&rel), &text).unwrap_or_else(|e| panic!("{e}"));
            for e in &page.entries {
                let after_title = lines[e.line as usize];
                let original = if parse_source_line(after_title).is_some() {
                    lines[e.line as usize + 1]
                } else {
                    after_title
                };
                assert_eq!(render_seed_line(&e.digest), original, "{rel}:{}", e.line);
            }
        }
    }

    #[test]
    fn kinds_come_from_the_headings() {
        let kinds = |rel: &str| -> Vec<DocKind> {
            parse_rel(rel)
                .map(|p| p.entries.iter().map(|e| e.digest.kind).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            kinds("tests/fixtures/seed/research_no_source.txt"),
            [DocKind::Research, DocKind::Research]
        );
        assert_eq!(kinds("tests/fixtures/seed/roundup.txt"), [DocKind::Roundup]);
        assert_eq!(
            kinds("tests/fixtures/seed/core_viewpoint.txt"),
            [DocKind::News, DocKind::News]
        );
        assert_eq!(
            kinds("tests/fixtures/seed/excerpt.txt"),
            [DocKind::Excerpt, DocKind::Excerpt]
        );
    }

    #[test]
    fn report_titles_without_a_source_line_date_themselves() {
        let page = parse_rel("tests/fixtures/seed/research_no_source.txt")
            .unwrap_or_else(|e| panic!("{e}"));
        let doc = &page.entries[0].document;
        assert_eq!(doc.source, "unknown");
        assert_eq!(
            doc.published_at.map(|t| t.to_rfc3339()),
            Some("2025-07-13T00:00:00+00:00".to_string())
        );
        let sections: Vec<(&str, u8)> = page.entries[0]
            .digest
            .sections
            .iter()
            .map(|s| (s.heading.as_str(), s.level))
            .collect();
        assert_eq!(
            sections,
            [
                ("Investment Rating", 1),
                ("Core Insights", 1),
                ("Summary by Sections", 1),
                ("1. Overview", 2),
                ("2.1 Copper", 2),
                ("2.2 Rare Earths", 2),
                ("3. Risks", 2)
            ]
        );
    }

    #[test]
    fn citation_lists_with_commas_are_read_and_rendered_as_markers() {
        let page =
            parse_rel("tests/fixtures/seed/mixed_crlf.txt").unwrap_or_else(|e| panic!("{e}"));
        let bullets = &page.entries[0].digest.sections[0].bullets;
        assert_eq!(bullets[0].citations, [5, 10, 12]);
        assert_eq!(page.entries[0].document.title, "印太稀土联盟·四国牵手");
        assert!(
            render_seed_line(&page.entries[0].digest)
                .contains("capacity [5][10][12] - The alliance")
        );
    }

    #[test]
    fn malformed_pages_fail_naming_file_and_line() {
        let mut out = String::new();
        for name in [
            "m_no_header",
            "m_extra_header_line",
            "m_source_without_title",
            "m_title_at_end",
            "m_missing_digest",
            "m_bad_date",
            "m_digest_without_title",
            "m_unknown_heading",
            "m_empty_section",
        ] {
            let rel = format!("tests/fixtures/seed/{name}.txt");
            match parse_rel(&rel) {
                Ok(page) => panic!("{rel} parsed into {} entries", page.entries.len()),
                Err(e) => {
                    assert!(e.is_user_error(), "{e}");
                    out.push_str(&format!("{e}\n"));
                }
            }
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn an_empty_result_page_has_no_entries() {
        let page = parse_seed(
            Path::new("empty.txt"),
            "Workflow\n稀土\nicon\nSearch documents\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (page.workflow.as_deref(), page.entries.len()),
            (Some("稀土"), 0)
        );
    }
}
