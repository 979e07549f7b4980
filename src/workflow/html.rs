//! html: how does a digest, a document entry and a workflow page read as HTML?
//!
//! The pieces of HTML that both the standalone workflow page (`dossier workflow run --format
//! html`) and the web UI (crate::serve) show: a digest with its sections and citation links, an
//! entry in the seed layout (title, `source · YYYY-MM-DD HH:MM`, digest), numbered paragraphs.
//! Documents are untrusted, so everything is written with `maud`, which escapes every value in
//! text and attributes by construction (`PreEscaped` is kept for our own stylesheet), and only
//! http(s) URLs become links. Elements carry the language of what they hold: a page's `lang`
//! follows its documents, an entry's its document's, and the English chrome says so when the
//! page is not English. This module must not decide where citations point (callers pass a
//! function) and must not emit script.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::digest::{Digest, DocKind};
use crate::document::Lang;
use crate::engine::{format_published, format_when};

use super::{Entry, Page};

/// The stylesheet of the web UI, inlined into the standalone page.
pub const STYLESHEET: &str = include_str!("../serve/assets/app.css");

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

/// The `lang` for English chrome (headings, labels) on a page in `page_lang`: `None` when the
/// page is English already, so English pages carry no redundant attributes.
pub fn chrome_lang(page_lang: Lang) -> Option<&'static str> {
    (page_lang != Lang::En).then_some("en")
}

/// The language of a workflow page: the workflow's language filter, else the language all its
/// documents share, else English (the chrome's) — each entry then names its own.
pub fn page_lang(page: &Page) -> Lang {
    if let Some(l) = page.workflow.lang {
        return l;
    }
    let mut langs = page.entries.iter().map(|e| e.document.lang);
    match langs.next() {
        Some(first) if langs.all(|l| l == first) => first,
        _ => Lang::En,
    }
}

/// Where citation `[n]` of a digest points; `None` renders it as plain text.
pub type CiteHref<'a> = &'a dyn Fn(usize) -> Option<String>;

/// A digest as HTML: level-1 headings as `<h3>`, level-2 as `<h4>`, bullets as list items
/// ending in citation links `<a class="cite" data-p="n">[n]</a>`.
pub fn digest_html(d: &Digest, cite: CiteHref<'_>) -> Markup {
    digest_html_with(d, cite, None)
}

/// What an imported page's citations say when hovered: they are not links, because the
/// paragraphs they number are the original page's, which dossier does not have.
pub const IMPORTED_CITE: &str = "cites paragraph n of the page this digest was imported from; dossier does not have that page's paragraphs";

/// An imported seed page's digest: every citation plain text titled [`IMPORTED_CITE`].
pub fn imported_digest_html(d: &Digest) -> Markup {
    digest_html_with(d, &|_| None, Some(IMPORTED_CITE))
}

/// [`digest_html`] with a title on citations that are not links.
fn digest_html_with(d: &Digest, cite: CiteHref<'_>, plain_title: Option<&str>) -> Markup {
    html! {
        div.digest lang=(d.lang.as_str()) {
            @if let Some(note) = &d.note {
                p.digest-note lang="en" { (note) }
            }
            @if d.kind == DocKind::Excerpt {
                p.excerpt { span.label { "Excerpt" } " " (d.excerpt.as_deref().unwrap_or("")) }
            }
            @for s in &d.sections {
                @let level = if s.level >= 2 { 2 } else { 1 };
                section class={ "l" (level) } {
                    @if level == 1 { h3 { (s.heading) } } @else { h4 { (s.heading) } }
                    @if !s.bullets.is_empty() {
                        ul {
                            @for b in &s.bullets {
                                li {
                                    (b.text)
                                    @for n in &b.citations {
                                        " "
                                        @if let Some(href) = cite(*n) {
                                            a.cite href=(href) data-p=(n) { "[" (n) "]" }
                                        } @else {
                                            span.cite title=[plain_title] { "[" (n) "]" }
                                        }
                                    }
                                    @if b.verified == Some(false) {
                                        " "
                                        span.unverified title="a number or claim was not found in the cited paragraph" { "(unverified)" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The head of an entry as on the seed pages: the title (a link when `href` is given) and the
/// `source · YYYY-MM-DD HH:MM` line.
pub fn entry_head(title: &str, href: Option<&str>, source: &str, when: &str) -> Markup {
    html! {
        h2.title {
            @if let Some(h) = href { a href=(h) { (title) } } @else { (title) }
        }
        div.meta { span.source { (source) } " · " time { (when) } }
    }
}

/// The label an imported seed page carries next to its source line.
pub fn imported_label(chrome: Option<&str>) -> Markup {
    html! {
        p.imported { span.label lang=[chrome] title=(IMPORTED_CITE) { "imported" } " " span lang=[chrome] { "another tool's digest, not a document: its citations are not links" } }
    }
}

/// A title-only item as one line: the title (a link when `href` is given), then `source ·
/// time · title only`. It has no digest and no text to fold out.
pub fn title_only_line(title: &str, href: Option<&str>, source: &str, when: &str, chrome: Option<&str>) -> Markup {
    html! {
        p.title-only {
            span.title { @if let Some(h) = href { a href=(h) { (title) } } @else { (title) } }
            " " span.meta { span.source { (source) } " · " time { (when) } " · " span.label lang=[chrome] { "title only" } }
        }
    }
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
/// article per entry. `chrome` is [`chrome_lang`] of the page.
pub fn page_body(page: &Page, links: &Links<'_>, chrome: Option<&str>) -> Markup {
    page_body_marking(page, links, chrome, None)
}

/// [`page_body`] with the entries collected at or after `new_since` marked new (the web UI
/// marks what arrived since a reader's last visit).
pub fn page_body_marking(page: &Page, links: &Links<'_>, chrome: Option<&str>, new_since: Option<DateTime<Utc>>) -> Markup {
    html! {
        header.workflow {
            div.kicker lang=[chrome] { "Workflow" }
            h1 { (page.workflow.name) }
            div.subhead lang=[chrome] { "Search documents" }
            div.query {
                "query " code { (page.workflow.query) }
                @match &page.last_run {
                    Some(r) => {
                        " · last run " (format_when(Some(r.ran_at))) " · " (super::render::documents_counted(page.total, page.title_only))
                    }
                    None => " · not run yet",
                }
            }
            p.made lang=[chrome] { "Digests: " (super::render::made_by_words(&super::render::made_by(page))) }
            @if let Some(note) = super::render::page_language_note(page) {
                // The note's `backticked` parts are commands: set as code, not shown with backticks.
                p.note lang=[chrome] {
                    strong { "Note: " }
                    @for (i, part) in note.split('`').enumerate() {
                        @if i % 2 == 1 { code { (part) } } @else { (part) }
                    }
                }
            }
        }
        @if let Some(b) = &page.brief { (brief_html(b, page, links, chrome)) }
        @if page.entries.is_empty() {
            p.empty lang=[chrome] { "No documents yet." }
        }
        @for (i, e) in page.entries.iter().enumerate() {
            (entry_article(e, i, links, new_since.is_some_and(|t| e.added_at >= t)))
        }
    }
}

/// Where a brief's citation of paragraph `n` of document `doc` points: the document's page on
/// the server, or its paragraph in this page when it is one of the page's entries (else plain
/// text: a standalone page has only the paragraphs of its entries).
fn brief_href(page: &Page, links: &Links<'_>, doc: &str, n: usize) -> Option<String> {
    match links {
        Links::Server { prefix } => Some(format!("{prefix}/documents/{}#p{n}", encode_segment(doc))),
        Links::SelfContained => {
            let i = page.entries.iter().position(|e| e.document.id == doc)?;
            Some(format!("#d{}-p{n}", i + 1))
        }
    }
}

/// `qq-34199 [4]` with each paragraph a link (see [`brief_href`]).
fn brief_cite(c: &super::brief::Cite, page: &Page, links: &Links<'_>) -> Markup {
    html! {
        " " span.cite-doc { (c.doc) }
        @for n in &c.paragraphs {
            @if let Some(href) = brief_href(page, links, &c.doc, *n) {
                a.cite href=(href) data-doc=(c.doc) data-p=(n) { "[" (n) "]" }
            } @else {
                span.cite { "[" (n) "]" }
            }
        }
    }
}

/// A ledger line of a brief: `measure: value cites ≠ value cites`, citations made by `cite`
/// (links into this page or the server's, or the feed's absolute ones).
pub fn checked_values(c: &super::brief::Checked, cite: impl Fn(&super::brief::Cite) -> Markup) -> Markup {
    html! {
        @if !c.measure.is_empty() { (c.measure) ": " }
        @for (k, v) in c.values.iter().enumerate() {
            @if k > 0 { " ≠ " }
            strong { (v.figure) }
            @for (j, one) in v.cites.iter().enumerate() { @if j > 0 { "," } (cite(one)) }
        }
    }
}

/// The run brief above a page's entries: stories, figures and what is new, each line citing
/// document and paragraph. Lines keep the language they were written in.
pub fn brief_html(b: &super::brief::Brief, page: &Page, links: &Links<'_>, chrome: Option<&str>) -> Markup {
    html! {
        section.brief {
            h2 lang=[chrome] { "Run brief" }
            p.meta lang=[chrome] { (b.head_line()) " · made by " (b.made_by) }
            @if b.stories.is_empty() {
                p.empty lang=[chrome] { "No story to brief: the run's documents have no digest with a verified claim." }
            } @else {
                h3 lang=[chrome] { "Stories" }
                ul.stories {
                    @for s in &b.stories {
                        li lang=(s.lang.as_str()) {
                            (s.text) (brief_cite(&s.cite, page, links))
                            @if !s.also.is_empty() {
                                " " span.also lang=[chrome] { "(also " (s.also.join(", ")) ")" }
                            }
                            " " @match &s.follows {
                                Some(prev) => span.label.continues lang=[chrome] title={ "continues " (prev) " of the previous run" } { "continues" },
                                None => span.label.new lang=[chrome] { "new" },
                            }
                        }
                    }
                }
            }
            @for disputed in [true, false] {
                @let lines: Vec<&super::brief::Checked> = b.ledger.iter().filter(|c| c.disputed() == disputed).collect();
                @if !disputed && !b.figures.is_empty() {
                    h3 lang=[chrome] { "Figures" }
                    ul.figures {
                        @for f in &b.figures {
                            li lang=(f.lang.as_str()) { strong { (f.figure) } " — " (f.text) (brief_cite(&f.cite, page, links)) }
                        }
                    }
                }
                @if !lines.is_empty() {
                    h3 lang=[chrome] { (super::render::ledger_heading(disputed)) }
                    ul.ledger.disputed[disputed] {
                        @for c in lines {
                            li lang=(c.lang.as_str()) { (checked_values(c, |cite| brief_cite(cite, page, links))) }
                        }
                    }
                }
            }
            p.new-since lang=[chrome] { (b.new_since_line()) }
        }
    }
}

fn entry_article(e: &Entry, i: usize, links: &Links<'_>, new: bool) -> Markup {

    let d = &e.document;
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
    // The article is in its document's language, so its English labels say so when it is not.
    let chrome = chrome_lang(d.lang);
    if d.is_title_only() {
        return html! {
            article.doc.title-only.new[new] id={ "d" (i + 1) } lang=(d.lang.as_str()) {
                @if new { (new_label(chrome)) }
                (title_only_line(&d.title, title_href.as_deref(), &d.source_label(), &format_published(d.published_at, d.published_precision), chrome))
            }
        };
    }
    html! {
        article.doc.new[new] id={ "d" (i + 1) } lang=(d.lang.as_str()) {
            @if new { (new_label(chrome)) }
            (entry_head(&d.title, title_href.as_deref(), &d.source_label(), &format_published(d.published_at, d.published_precision)))
            @if d.is_imported() { (imported_label(chrome)) }
            @match &e.digest {
                Some(digest) if d.is_imported() => (imported_digest_html(digest)),
                Some(digest) => (digest_html(digest, &*cite)),
                None => p.nodigest lang=[chrome] { "No digest yet: the next run makes it." },
            }
            (story_sources(e.story.story, &e.story.also, links))
            @if let Links::SelfContained = links {
                details.text {
                    summary lang=[chrome] { "Full text · " (d.paragraphs.len()) " paragraphs" }
                    (paragraphs_html(&d.paragraphs, &format!("d{}-", i + 1)))
                }
            }
        }
    }
}

/// A collapsed entry's other sources: "+N sources", which opens to each member's outlet and time
/// (linked to its document on the server) and a link to the story page.
pub fn story_sources(story: Option<crate::stories::StoryRef>, also: &[crate::stories::collapse::OtherSource], links: &Links<'_>) -> Markup {
    let prefix = match links {
        Links::Server { prefix } => Some(*prefix),
        Links::SelfContained => None,
    };
    html! {
        @if let (Some(s), false) = (story, also.is_empty()) {
            details.story lang="en" {
                summary { "+" (also.len()) @if also.len() == 1 { " source" } @else { " sources" } }
                ul {
                    @for c in also {
                        li {
                            @match prefix {
                                Some(p) => a href={ (p) "/documents/" (encode_segment(&c.id)) } { (c.source) },
                                None => (c.source),
                            }
                            " · " (c.when()) " · " code { (c.id) }
                        }
                    }
                }
                @if let Some(p) = prefix {
                    p { a.story-link href={ (p) "/stories/" (s.id) } { "Story page (" (s.size) " sources)" } }
                }
            }
        }
    }
}

/// The mark on an entry collected since the reader's last visit.
fn new_label(chrome: Option<&str>) -> Markup {
    html! { span.label.new-mark lang=[chrome] title="collected since your last visit of this page" { "new" } }
}

/// Numbered paragraphs, each with the anchor `{prefix}p{n}` that citations point to.
pub fn paragraphs_html(paragraphs: &[String], prefix: &str) -> Markup {
    html! {
        ol.paragraphs {
            @for (i, p) in paragraphs.iter().enumerate() {
                @let n = i + 1;
                li id={ (prefix) "p" (n) } value=(n) {
                    a.pn href={ "#" (prefix) "p" (n) } { (n) }
                    p { (p) }
                }
            }
        }
    }
}

/// A workflow's page as one standalone HTML file: styles inlined, no script, every document's
/// text included (folded) so each citation links to its paragraph without a server.
pub fn standalone_page(page: &Page) -> String {
    let lang = page_lang(page);
    let chrome = chrome_lang(lang);
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { (page.workflow.name) " · dossier" }
                // Our own stylesheet, compiled in: the one thing that is not escaped.
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                main.page { (page_body(page, &Links::SelfContained, chrome)) }
                footer.site lang=[chrome] {
                    "dossier · " (page.entries.len()) " of " (super::render::documents_counted(page.total, page.title_only))
                }
            }
        }
    };
    markup.into_string() + "\n"
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::digest::{Bullet, Section};
    use crate::document::{Document, Lang};
    use crate::workflow::{OutputLanguage, RunRecord, SummarizerChoice, Workflow};

    /// Terminal escapes in a title: clear the screen, and an OSC 8 hyperlink.
    pub(crate) const ESCAPES: &str = "\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\u{9b}31m";

    /// A workflow page whose every field a document controls is hostile: markup, quotes that
    /// would end an attribute, a `javascript:` URL, terminal escapes. The second document is
    /// English with a safe URL. `langs` sets the two documents' languages.
    pub(crate) fn hostile_page(langs: [Lang; 2]) -> Page {
        let t = Utc.with_ymd_and_hms(2024, 3, 20, 9, 0, 0).single().unwrap_or_default();
        let doc = |id: &str, title: String, source: &str, url: &str, lang: Lang| Document {
            id: id.into(),
            title,
            source: source.into(),
            published_at: Some(t),
            published_precision: None,
            url: Some(url.into()),
            lang,
            paragraphs: vec![
                "<script>alert(1)</script>".into(),
                format!("\"><img src=x onerror=alert(2)>{ESCAPES}"),
            ],
            meta: serde_json::Value::Null,
        };
        let digest = Digest {
            kind: DocKind::News,
            lang: Lang::En,
            summarizer: "extractive".into(),
            sections: vec![Section {
                heading: "<h1>Head</h1>".into(),
                level: 1,
                bullets: vec![Bullet {
                    text: format!("\"><script>alert(3)</script>{ESCAPES}"),
                    citations: vec![1, 2],
                    verified: Some(false),
                }],
            }],
            excerpt: None,
            note: None,
            verification: None,
        };
        Page {
            workflow: Workflow {
                name: "稀土\"><svg onload=alert(4)>".into(),
                query: "稀土 \"<b>\"".into(),
                sources: vec![],
                lang: None,
                since: None,
                until: None,
                within_days: None,
                summarizer: SummarizerChoice::Extractive,
                output_lang: OutputLanguage::En,
                first_run: 20,
            },
            last_run: Some(RunRecord {
                id: 1,
                ran_at: t,
                max_seq: 2,
                new_documents: 2,
                digests_made: 2,
                digest_failures: 0,
            }),
            total: 2,
            title_only: 0,
            brief: None,
            entries: vec![
                Entry {
                    document: doc(
                        "x/1\"?#",
                        format!("<script>alert(5)</script>{ESCAPES}"),
                        "\"><img src=x onerror=alert(6)>Evil Wire",
                        " JaVaScRiPt:alert(7)",
                        langs[0],
                    ),
                    added_at: t,
                    digest: Some(digest.clone()),
                    story: Default::default(),
                },
                Entry {
                    document: doc("en-2", "Plain <English> title".into(), "Wire", "https://example.com/a?b=1&c=\"2\"", langs[1]),
                    added_at: t,
                    digest: None,
                    story: Default::default(),
                },
            ],
        }
    }

    /// What must hold for HTML made from [`hostile_page`], checked on the parsed document: no
    /// element or attribute came from a document (no script but our own, no img/svg, no `on…`
    /// handler), links are http(s), in-site or fragments, and the payloads show as text.
    pub(crate) fn assert_inert(html: &str) {
        let doc = scraper::Html::parse_document(html);
        let all = scraper::Selector::parse("*").unwrap_or_else(|e| panic!("{e:?}"));
        for el in doc.select(&all) {
            let v = el.value();
            let name = v.name();
            assert!(!matches!(name, "img" | "svg" | "iframe"), "<{name}> reached the page:\n{html}");
            if name == "script" {
                assert_eq!(v.attr("src"), Some("/assets/app.js"), "a script other than ours:\n{html}");
            }
            for (attr, value) in v.attrs() {
                assert!(!attr.starts_with("on"), "<{name} {attr}=…> reached the page:\n{html}");
                if attr == "href" {
                    assert!(
                        ["http://", "https://", "#", "/"].iter().any(|p| value.starts_with(p)) || value == "data:,",
                        "link to {value:?}:\n{html}"
                    );
                }
            }
        }
        let text: String = doc.root_element().text().collect();
        assert!(text.contains("<script>alert(5)</script>"), "the title is shown as text:\n{html}");
        assert!(text.contains("\"><img src=x onerror=alert(6)>Evil Wire"), "the source is shown as text:\n{html}");
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
    fn standalone_page_keeps_hostile_documents_inert() {
        let html = standalone_page(&hostile_page([Lang::Zh, Lang::En]));
        assert_inert(&html);
        // The workflow name ends no attribute and opens no element, in <title> or <h1>.
        assert!(html.contains("<title>稀土&quot;&gt;&lt;svg onload=alert(4)&gt; · dossier</title>"), "{html}");
        // Only the safe URL is a link, its quotes and ampersand escaped in the attribute.
        assert!(html.contains("<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\">Plain &lt;English&gt; title</a>"), "{html}");
        assert_eq!(html.matches("<a href=\"http").count(), 1, "{html}");
        // Citations point into the page; the document id needs no encoding there.
        assert!(html.contains("<a class=\"cite\" href=\"#d1-p2\" data-p=\"2\">[2]</a>"), "{html}");
    }

    #[test]
    fn lang_follows_the_documents() {
        let mixed = standalone_page(&hostile_page([Lang::Zh, Lang::En]));
        assert!(mixed.contains("<html lang=\"en\">"), "mixed documents: the chrome's language");
        assert!(mixed.contains("<article class=\"doc\" id=\"d1\" lang=\"zh\">"), "{mixed}");
        assert!(mixed.contains("<article class=\"doc\" id=\"d2\" lang=\"en\">"), "{mixed}");
        assert!(mixed.contains("<div class=\"kicker\">Workflow</div>"), "no redundant lang on an English page");

        let zh = standalone_page(&hostile_page([Lang::Zh, Lang::Zh]));
        assert!(zh.contains("<html lang=\"zh\">"), "{zh}");
        assert!(zh.contains("<div class=\"kicker\" lang=\"en\">Workflow</div>"), "English chrome says so");
        assert!(zh.contains("<footer class=\"site\" lang=\"en\">"), "{zh}");
        assert!(zh.contains("<summary lang=\"en\">Full text · 2 paragraphs</summary>"), "{zh}");
        assert!(zh.contains("<div class=\"digest\" lang=\"en\">"), "the digest's own language");

        let mut filtered = hostile_page([Lang::Zh, Lang::En]);
        filtered.workflow.lang = Some(Lang::Zh);
        assert_eq!(page_lang(&filtered), Lang::Zh, "a language filter decides");
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
                        text: "\"><img src=x onerror=alert(1)>".into(),
                        citations: vec![2],
                        verified: Some(false),
                    }],
                },
            ],
            excerpt: None,
            note: None,
            verification: None,
        };
        let cite = |n: usize| (n != 3).then(|| format!("/documents/a%22b#p{n}\"><x"));
        insta::assert_snapshot!(digest_html(&d, &cite).into_string(), @r#"<div class="digest" lang="zh"><section class="l1"><h3>Core Viewpoint</h3><ul><li>中国稀土&lt;集团&gt;重组。 <a class="cite" href="/documents/a%22b#p1&quot;&gt;&lt;x" data-p="1">[1]</a> <span class="cite">[3]</span></li></ul></section><section class="l2"><h4>Group 1</h4><ul><li>&quot;&gt;&lt;img src=x onerror=alert(1)&gt; <a class="cite" href="/documents/a%22b#p2&quot;&gt;&lt;x" data-p="2">[2]</a> <span class="unverified" title="a number or claim was not found in the cited paragraph">(unverified)</span></li></ul></section></div>"#);
    }
}
