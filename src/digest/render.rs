//! render: how does a digest read in a terminal and in Markdown?
//!
//! Turns a [`Digest`] into text for people: headings, one "- bullet [1][3]" line per bullet,
//! level-2 sections indented under their level-1 parent, and a visible "(unverified)" on every
//! bullet that failed verification but was kept. An excerpt digest renders as the excerpt,
//! marked as such. JSON needs no renderer (serde of `Digest`), and the one-line seed-page form
//! belongs to the seed module. This module must not change, verify or reorder the digest.
//! Digest text quotes untrusted documents, so both renderings drop control characters
//! ([`terminal_safe`]).

use std::fmt::Write;

use crate::digest::{Bullet, Digest, DocKind};
use crate::document::Document;
use crate::report::terminal_safe;

/// The page a cited paragraph starts on, when the document has pages (a PDF).
type PageOf<'a> = &'a dyn Fn(usize) -> Option<u64>;

fn no_pages(_: usize) -> Option<u64> {
    None
}

/// Marker appended to a bullet that failed verification but was kept.
pub const UNVERIFIED_MARK: &str = "(unverified)";

/// Plain text for a terminal: level-1 headings flush left, their bullets indented two spaces,
/// level-2 headings indented two spaces and their bullets four.
pub fn render_terminal(d: &Digest) -> String {
    terminal_with(d, &no_pages)
}

/// [`render_terminal`] for the digest of `doc`: citations of a PDF's paragraphs show their
/// page (`p.3 [12]`).
pub fn render_terminal_for(d: &Digest, doc: &Document) -> String {
    terminal_with(d, &|n| doc.paragraph_page(n))
}

fn terminal_with(d: &Digest, page_of: PageOf<'_>) -> String {
    let mut out = String::new();
    if let Some(note) = &d.note {
        let _ = writeln!(out, "Note: {}", terminal_safe(note));
    }
    if d.kind == DocKind::Excerpt {
        let _ = writeln!(out, "Excerpt (no digest could be made):");
        let _ = writeln!(
            out,
            "  {}",
            terminal_safe(d.excerpt.as_deref().unwrap_or("")).replace('\n', "\n  ")
        );
    }
    for s in &d.sections {
        let indent = if s.level >= 2 { "  " } else { "" };
        let _ = writeln!(out, "{indent}{}", terminal_safe(&s.heading));
        for b in &s.bullets {
            let _ = writeln!(out, "{indent}  - {}", bullet_line(b, page_of));
        }
    }
    if let Some(v) = d.verification.as_ref().filter(|v| v.bullets_checked > 0) {
        let _ = writeln!(out, "{}", verification_line(v));
    }
    out
}

/// Markdown: `###` for level-1 headings, `####` for level 2, bullets as list items; an excerpt
/// is a block quote.
pub fn render_markdown(d: &Digest) -> String {
    markdown_with(d, &no_pages)
}

/// [`render_markdown`] for the digest of `doc`: citations of a PDF's paragraphs show their
/// page (`p.3 [12]`).
pub fn render_markdown_for(d: &Digest, doc: &Document) -> String {
    markdown_with(d, &|n| doc.paragraph_page(n))
}

fn markdown_with(d: &Digest, page_of: PageOf<'_>) -> String {
    let mut out = String::new();
    if let Some(note) = &d.note {
        let _ = writeln!(out, "*Note: {}*\n", escape_markdown(note));
    }
    if d.kind == DocKind::Excerpt {
        let _ = writeln!(out, "*Excerpt (no digest could be made):*\n");
        for line in d.excerpt.as_deref().unwrap_or("").lines() {
            let _ = writeln!(out, "> {}", escape_markdown(line));
        }
    }
    for (i, s) in d.sections.iter().enumerate() {
        if i > 0 || d.kind == DocKind::Excerpt {
            out.push('\n');
        }
        let hashes = if s.level >= 2 { "####" } else { "###" };
        let _ = writeln!(out, "{hashes} {}", escape_markdown(&s.heading));
        if !s.bullets.is_empty() {
            out.push('\n');
        }
        for b in &s.bullets {
            let mut line = format!("{}{}", escape_markdown(&b.text), paged_citations(&b.citations, page_of));
            if b.verified == Some(false) {
                line.push_str(&format!(" *{UNVERIFIED_MARK}*"));
            }
            let _ = writeln!(out, "- {line}");
        }
    }
    if let Some(v) = d.verification.as_ref().filter(|v| v.bullets_checked > 0) {
        let _ = writeln!(out, "\n*{}*", verification_line(v));
    }
    out
}

fn bullet_line(b: &Bullet, page_of: PageOf<'_>) -> String {
    let mut line = format!("{}{}", terminal_safe(&b.text), paged_citations(&b.citations, page_of));
    if b.verified == Some(false) {
        line.push(' ');
        line.push_str(UNVERIFIED_MARK);
    }
    line
}

/// " [1][3]" — nothing for a bullet without citations.
pub fn citations(c: &[usize]) -> String {
    if c.is_empty() {
        return String::new();
    }
    let mut s = String::from(" ");
    for n in c {
        let _ = write!(s, "[{n}]");
    }
    s
}

/// " p.3 [12][13] p.4 [15]": [`citations`] with the page written wherever it changes.
fn paged_citations(c: &[usize], page_of: PageOf<'_>) -> String {
    let mut s = String::new();
    let mut last = None;
    for (i, n) in c.iter().enumerate() {
        let page = page_of(*n);
        if i == 0 || page != last {
            s.push(' ');
            if let Some(p) = page {
                let _ = write!(s, "p.{p} ");
            }
        }
        let _ = write!(s, "[{n}]");
        last = page;
    }
    s
}

fn verification_line(v: &crate::digest::VerificationReport) -> String {
    let mut s = format!(
        "Verified {} of {} bullets",
        v.bullets_kept - v.bullets_unverified.min(v.bullets_kept),
        v.bullets_checked
    );
    if v.bullets_dropped > 0 {
        let _ = write!(s, "; {} dropped", v.bullets_dropped);
    }
    if v.bullets_unverified > 0 {
        let _ = write!(s, "; {} kept unverified", v.bullets_unverified);
    }
    s.push('.');
    s
}

/// Escapes the characters that would start Markdown syntax inside a bullet or heading (the
/// text is the source's, and "*" or "[1]" in it must not become emphasis or links), and drops
/// control characters.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal_safe(text).chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Section, VerificationReport};
    use crate::document::Lang;

    fn sample() -> Digest {
        Digest {
            kind: DocKind::Research,
            lang: Lang::Zh,
            summarizer: "extractive".into(),
            sections: vec![
                Section {
                    heading: "Investment Rating".into(),
                    level: 1,
                    bullets: vec![Bullet {
                        text: "维持“增持”评级，目标价36.8港元。".into(),
                        citations: vec![5],
                        verified: Some(true),
                    }],
                },
                Section {
                    heading: "Summary by Sections".into(),
                    level: 1,
                    bullets: vec![],
                },
                Section {
                    heading: "储能——产能建设有望提速".into(),
                    level: 2,
                    bullets: vec![
                        Bullet {
                            text: "2022年储能系统出货量6.5GWh，同比增长64%。".into(),
                            citations: vec![30, 31],
                            verified: Some(true),
                        },
                        Bullet {
                            text: "出货量达*7*GWh。".into(),
                            citations: vec![3],
                            verified: Some(false),
                        },
                    ],
                },
            ],
            excerpt: None,
            note: None,
            verification: Some(VerificationReport {
                bullets_checked: 3,
                bullets_kept: 3,
                bullets_dropped: 0,
                bullets_unverified: 1,
                issues: vec![],
            }),
        }
    }

    #[test]
    fn terminal_layout() {
        insta::assert_snapshot!(render_terminal(&sample()), @r"
        Investment Rating
          - 维持“增持”评级，目标价36.8港元。 [5]
        Summary by Sections
          储能——产能建设有望提速
            - 2022年储能系统出货量6.5GWh，同比增长64%。 [30][31]
            - 出货量达*7*GWh。 [3] (unverified)
        Verified 2 of 3 bullets; 1 kept unverified.
        ");
    }

    #[test]
    fn markdown_layout_escapes_source_text() {
        insta::assert_snapshot!(render_markdown(&sample()), @r"
        ### Investment Rating

        - 维持“增持”评级，目标价36.8港元。 [5]

        ### Summary by Sections

        #### 储能——产能建设有望提速

        - 2022年储能系统出货量6.5GWh，同比增长64%。 [30][31]
        - 出货量达\*7\*GWh。 [3] *(unverified)*

        *Verified 2 of 3 bullets; 1 kept unverified.*
        ");
    }

    #[test]
    fn citations_of_a_pdf_show_the_page_where_it_changes() {
        let pages: Vec<u64> = (1..=40).map(|n| if n <= 30 { 2 } else { 3 }).collect();
        let doc = Document {
            id: "file:r.pdf".into(),
            title: "研报".into(),
            source: "reports".into(),
            published_at: None,
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            paragraphs: vec!["段落。".into(); 40],
            meta: serde_json::json!({"pages": pages}),
        };
        let t = render_terminal_for(&sample(), &doc);
        assert!(t.contains("目标价36.8港元。 p.2 [5]\n"), "{t}");
        assert!(t.contains("同比增长64%。 p.2 [30] p.3 [31]\n"), "{t}");
        let m = render_markdown_for(&sample(), &doc);
        assert!(m.contains("出货量达\\*7\\*GWh。 p.2 [3] *(unverified)*"), "{m}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal_or_markdown() {
        let esc = "\x1b[2J\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\u{9b}31m";
        let mut d = sample();
        d.sections[0].heading = format!("Rating{esc}");
        d.sections[0].bullets[0].text = format!("<b>*x*</b>{esc}");
        let clean = |s: &str| !s.chars().any(|c| c.is_control() && c != '\n');
        let t = render_terminal(&d);
        assert!(clean(&t), "{t:?}");
        assert!(t.starts_with("Rating[2J]8;;https://evil.example/link]8;;31m\n  - <b>*x*</b>[2J]"), "{t:?}");
        let m = render_markdown(&d);
        assert!(clean(&m), "{m:?}");
        assert!(m.contains(r"- \<b\>\*x\*\</b\>\[2J\]8;;https://evil.example/link\]8;;31m [5]"), "{m:?}");
        d.kind = DocKind::Excerpt;
        d.excerpt = Some(format!("line one{esc}\nline two"));
        let t = render_terminal(&d);
        assert!(clean(&t) && t.contains("  line one[2J]") && t.contains("\n  line two"), "{t:?}");
    }

    #[test]
    fn excerpts_are_marked() {
        let d = Digest {
            kind: DocKind::Excerpt,
            lang: Lang::Zh,
            summarizer: "extractive".into(),
            sections: vec![],
            excerpt: Some("马来西亚将禁止稀土原材料出口。".into()),
            note: None,
            verification: None,
        };
        assert_eq!(
            render_terminal(&d),
            "Excerpt (no digest could be made):\n  马来西亚将禁止稀土原材料出口。\n"
        );
        assert_eq!(
            render_markdown(&d),
            "*Excerpt (no digest could be made):*\n\n> 马来西亚将禁止稀土原材料出口。\n"
        );
    }
}
