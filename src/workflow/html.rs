//! html: how does a digest, a document entry and a workflow page read as HTML?
//!
//! The pieces of HTML that both the standalone workflow page (`dossier workflow run --format
//! html`) and the web UI (crate::serve) show: escaping, a digest with its sections and citation
//! links, an entry in the seed layout (title, `source · YYYY-MM-DD HH:MM`, digest). Documents
//! are untrusted, so every piece of their text goes through [`escape`], and only http(s) URLs
//! become links. This module must not decide where citations point (callers pass a function)
//! and must not emit script.

use std::fmt::Write as _;

use crate::digest::{Digest, DocKind};
use crate::engine::format_when;

use super::{Entry, Page};

/// The stylesheet of the web UI, inlined into the standalone page.
pub const STYLESHEET: &str = include_str!("../serve/assets/app.css");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Controls other than whitespace have no business in text and can confuse parsers.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes one URL path segment (a document id, a workflow name): everything but
/// unreserved ASCII is encoded, so `/`, `?`, `#` and non-ASCII survive a round trip.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A URL from a document, if it is safe to link to: http or https only (no `javascript:`,
/// `data:` or relative tricks).
pub fn safe_url(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(u)
}

/// Where citation `[n]` of a digest points; `None` renders it as plain text.
pub type CiteHref<'a> = &'a dyn Fn(usize) -> Option<String>;

/// A digest as HTML: level-1 headings as `<h3>`, level-2 as `<h4>`, bullets as list items
/// ending in citation links `<a class="cite" data-p="n">[n]</a>`.
pub fn digest_html(d: &Digest, cite: CiteHref<'_>) -> String {
    let mut out = String::new();
    let _ = write!(out, "<div class=\"digest\" lang=\"{}\">", d.lang.as_str());
    if d.kind == DocKind::Excerpt {
        let _ = write!(
            out,
            "<p class=\"excerpt\"><span class=\"label\">Excerpt</span> {}</p>",
            escape(d.excerpt.as_deref().unwrap_or(""))
        );
    }
    for s in &d.sections {
        let level = if s.level >= 2 { 2 } else { 1 };
        let _ = write!(
            out,
            "<section class=\"l{level}\"><h{h}>{}</h{h}>",
            escape(&s.heading),
            h = level + 2
        );
        if !s.bullets.is_empty() {
            out.push_str("<ul>");
            for b in &s.bullets {
                out.push_str("<li>");
                out.push_str(&escape(&b.text));
                for n in &b.citations {
                    match cite(*n) {
                        Some(href) => {
                            let _ = write!(
                                out,
                                " <a class=\"cite\" href=\"{}\" data-p=\"{n}\">[{n}]</a>",
                                escape(&href)
                            );
                        }
                        None => {
                            let _ = write!(out, " <span class=\"cite\">[{n}]</span>");
                        }
                    }
                }
                if b.verified == Some(false) {
                    out.push_str(" <span class=\"unverified\" title=\"a number or claim was not found in the cited paragraph\">(unverified)</span>");
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        out.push_str("</section>");
    }
    out.push_str("</div>");
    out
}

/// The head of an entry as on the seed pages: the title (a link when `href` is given) and the
/// `source · YYYY-MM-DD HH:MM` line.
pub fn entry_head(title: &str, href: Option<&str>, source: &str, when: &str) -> String {
    let title = match href {
        Some(h) => format!("<a href=\"{}\">{}</a>", escape(h), escape(title)),
        None => escape(title),
    };
    format!(
        "<h2 class=\"title\">{title}</h2><div class=\"meta\"><span class=\"source\">{}</span> · <time>{}</time></div>",
        escape(source),
        escape(when)
    )
}

/// How a workflow page's entries link: to pages of the server (`Server`), or to the document
/// text included in the page itself (`SelfContained`).
pub enum Links<'a> {
    /// Title → `{prefix}/documents/{id}`, citation → `{prefix}/documents/{id}#p{n}`.
    Server { prefix: &'a str },
    /// Title → the document's own URL; citation → its paragraph, included in the page.
    SelfContained,
}

/// The body of a workflow page: the seed header ("Workflow", name, "Search documents") and one
/// article per entry.
pub fn page_body(page: &Page, links: &Links<'_>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<header class=\"workflow\"><div class=\"kicker\">Workflow</div><h1>{}</h1><div class=\"subhead\">Search documents</div>\
         <div class=\"query\">query <code>{}</code>{}</div></header>",
        escape(&page.workflow.name),
        escape(&page.workflow.query),
        match &page.last_run {
            Some(r) => format!(
                " · last run {} · {}",
                escape(&format_when(Some(r.ran_at))),
                super::render::documents(page.total)
            ),
            None => " · not run yet".to_string(),
        }
    );
    if page.entries.is_empty() {
        out.push_str("<p class=\"empty\">No documents yet.</p>");
    }
    for (i, e) in page.entries.iter().enumerate() {
        out.push_str(&entry_article(e, i, links));
    }
    out
}

fn entry_article(e: &Entry, i: usize, links: &Links<'_>) -> String {
    let d = &e.document;
    let when = format_when(d.published_at);
    let mut out = String::new();
    let _ = write!(out, "<article class=\"doc\" id=\"d{}\">", i + 1);
    let id = encode_segment(&d.id);
    type Cite = Box<dyn Fn(usize) -> Option<String>>;
    let (title_href, cite): (Option<String>, Cite) = match links {
        Links::Server { prefix } => {
            let base = format!("{prefix}/documents/{id}");
            (Some(base.clone()), Box::new(move |n| Some(format!("{base}#p{n}"))))
        }
        Links::SelfContained => {
            let entry = i + 1;
            (
                d.url.as_deref().and_then(safe_url).map(str::to_string),
                Box::new(move |n| Some(format!("#d{entry}-p{n}"))),
            )
        }
    };
    out.push_str(&entry_head(&d.title, title_href.as_deref(), &d.source, &when));
    match &e.digest {
        Some(digest) => out.push_str(&digest_html(digest, &*cite)),
        None => out.push_str("<p class=\"nodigest\">No digest yet: the next run makes it.</p>"),
    }
    if let Links::SelfContained = links {
        let _ = write!(
            out,
            "<details class=\"text\"><summary>Full text · {} paragraphs</summary>",
            d.paragraphs.len()
        );
        out.push_str(&paragraphs_html(&d.paragraphs, &format!("d{}-", i + 1)));
        out.push_str("</details>");
    }
    out.push_str("</article>");
    out
}

/// Numbered paragraphs, each with the anchor `{prefix}p{n}` that citations point to.
pub fn paragraphs_html(paragraphs: &[String], prefix: &str) -> String {
    let mut out = String::from("<ol class=\"paragraphs\">");
    for (i, p) in paragraphs.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            out,
            "<li id=\"{prefix}p{n}\" value=\"{n}\"><a class=\"pn\" href=\"#{prefix}p{n}\">{n}</a><p>{}</p></li>",
            escape(p)
        );
    }
    out.push_str("</ol>");
    out
}

/// A workflow's page as one standalone HTML file: styles inlined, no script, every document's
/// text included (folded) so each citation links to its paragraph without a server.
pub fn standalone_page(page: &Page) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{} · dossier</title>\n<style>\n{STYLESHEET}</style>\n</head>\n<body>\n<main class=\"page\">\n{}\n</main>\n\
         <footer class=\"site\">dossier · {} of {}</footer>\n</body>\n</html>\n",
        escape(&page.workflow.name),
        page_body(page, &Links::SelfContained),
        page.entries.len(),
        super::render::documents(page.total),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Bullet, Section};
    use crate::document::Lang;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert(1)">&'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(
            encode_segment("稀土 供应链/a?b#c"),
            "%E7%A8%80%E5%9C%9F%20%E4%BE%9B%E5%BA%94%E9%93%BE%2Fa%3Fb%23c"
        );
        assert_eq!(encode_segment("qq-34199"), "qq-34199");
    }

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(safe_url(" https://x.com/a "), Some("https://x.com/a"));
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("JaVaScRiPt:alert(1)"), None);
        assert_eq!(safe_url("data:text/html,<script>"), None);
        assert_eq!(safe_url("HTTP://X"), Some("HTTP://X"));
    }

    #[test]
    fn digest_with_citation_links() {
        let d = Digest {
            kind: DocKind::News,
            lang: Lang::Zh,
            summarizer: "extractive".into(),
            sections: vec![
                Section {
                    heading: "Core Viewpoint".into(),
                    level: 1,
                    bullets: vec![Bullet {
                        text: "中国稀土<集团>重组。".into(),
                        citations: vec![1, 3],
                        verified: Some(true),
                    }],
                },
                Section {
                    heading: "Group 1".into(),
                    level: 2,
                    bullets: vec![Bullet {
                        text: "onerror=alert(1)".into(),
                        citations: vec![2],
                        verified: Some(false),
                    }],
                },
            ],
            excerpt: None,
            verification: None,
        };
        insta::assert_snapshot!(digest_html(&d, &|n| Some(format!("#p{n}"))), @r##"<div class="digest" lang="zh"><section class="l1"><h3>Core Viewpoint</h3><ul><li>中国稀土&lt;集团&gt;重组。 <a class="cite" href="#p1" data-p="1">[1]</a> <a class="cite" href="#p3" data-p="3">[3]</a></li></ul></section><section class="l2"><h4>Group 1</h4><ul><li>onerror=alert(1) <a class="cite" href="#p2" data-p="2">[2]</a> <span class="unverified" title="a number or claim was not found in the cited paragraph">(unverified)</span></li></ul></section></div>"##);
    }
}
