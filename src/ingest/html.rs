//! HTML: how does a page (or a feed item's HTML) become a title, a date and paragraphs?
//!
//! The page is parsed with `scraper` (html5ever, the browsers' parsing algorithm, so hostile
//! or broken markup parses the way a browser would) and walked without recursion, so no
//! nesting depth can overflow the stack. Paragraphs are the text of p, h1–h6, li, blockquote,
//! pre, dd, dt, figcaption, caption and table rows (cells joined by " | "); a block nested in
//! another ends the outer one's paragraph instead of repeating it. Scripts, styles, noscript,
//! templates, iframes, svg, forms, nav and footers are dropped whole; entities are decoded by
//! the parser; whitespace is collapsed (a line break between two Chinese characters is
//! removed, not made a space). When those elements hold less than a third of the page's text
//! (text laid out in bare divs with <br>), the other block text is kept too. Nothing here
//! fetches, follows or executes anything.

use std::borrow::Cow;

use scraper::node::Element;
use scraper::{Html, Node};

use super::{Draft, is_wide, not_utf8};
use crate::dates::parse_dated;
use crate::error::Error;

/// An .html file. Title: the first <h1> when the <title> contains it (the <title> then only
/// adds the site name), else the <title>, else the <h1>. Date: <meta
/// property="article:published_time"> (or itemprop="datePublished", name="pubdate"…), else the
/// first <time datetime>; present but not a date is an error, not a guess.
pub(super) fn page(bytes: &[u8]) -> Result<Draft, String> {
    let text = decode(bytes)?;
    check_depth(&text)?;
    let html = Html::parse_document(&text);
    let reduced = reduce(&html);
    let title = match (reduced.title, reduced.h1) {
        (Some(title), Some(h1)) if title.contains(&h1) => Some(h1),
        (Some(title), _) => Some(title),
        (None, h1) => h1,
    };
    let published = match reduced.date {
        None => None,
        Some((label, value)) => Some(parse_dated(&value).map_err(|e| match e {
            Error::BadDate { value, hint } => format!("{label} {value:?} is not a date; {hint}"),
            other => other.to_string(),
        })?),
    };
    Ok(Draft {
        title,
        published_at: published.map(|p| p.0),
        published_precision: published.map(|p| p.1),
        lang: None,
        paragraphs: reduced.paragraphs,
    })
}

/// Deepest element nesting accepted. html5ever's scope checks cost time in proportion to the
/// depth for every tag, so a page of 100,000 nested divs takes minutes; browsers themselves stop
/// nesting at a few hundred levels (Blink: 512), so no real page comes near this.
const MAX_DEPTH: usize = 1024;

/// Rejects markup nested deeper than [`MAX_DEPTH`], estimated by one linear scan that counts
/// start and end tags, skipping void elements, elements that close themselves implicitly (p,
/// li, td…), comments and the raw text of scripts and styles.
pub(super) fn check_depth(html: &str) -> Result<(), String> {
    const NOT_NESTING: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup",
        "rt", "rp", "tbody", "thead", "tfoot", "colgroup", "caption", "html", "head", "body",
    ];
    const RAW_TEXT: &[&str] = &[
        "script",
        "style",
        "textarea",
        "title",
        "xmp",
        "noscript",
        "iframe",
        "plaintext",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        i += offset + 1;
        if bytes[i..].starts_with(b"!--") {
            i += html[i..].find("-->").map_or(bytes.len() - i, |e| e + 3);
            continue;
        }
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let name_len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[start..start + name_len].to_ascii_lowercase();
        let tag_end = bytes[start..]
            .iter()
            .position(|&b| b == b'>')
            .map(|e| start + e);
        if closing {
            if !NOT_NESTING.contains(&name.as_str()) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        let self_closing = tag_end.is_some_and(|e| e > 0 && bytes[e - 1] == b'/');
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            let from = tag_end.unwrap_or(i);
            let lower = &html[from..];
            i = from + find_ignore_case(lower, &close).unwrap_or(lower.len());
            continue;
        }
        if !self_closing && !NOT_NESTING.contains(&name.as_str()) {
            depth += 1;
            deepest = deepest.max(depth);
            if deepest > MAX_DEPTH {
                return Err(format!(
                    "the page nests elements more than {MAX_DEPTH} deep; no real page does, and \
                     parsing it would take minutes — it is not read"
                ));
            }
        }
    }
    Ok(())
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The paragraphs of an HTML fragment (a feed item's content or description).
pub(super) fn fragment_paragraphs(fragment: &str) -> Result<Vec<String>, String> {
    check_depth(fragment)?;
    Ok(reduce(&Html::parse_fragment(fragment)).paragraphs)
}

/// An HTML fragment's text on one line (a feed title given as HTML).
pub(super) fn fragment_text(fragment: &str) -> Result<String, String> {
    Ok(fragment_paragraphs(fragment)?.join(" "))
}

/// The page as text: UTF-8, or the charset its <meta> declares (GBK, GB18030, Big5, …) when
/// it is not valid UTF-8. Valid UTF-8 wins over a declaration because a re-saved page often
/// keeps its old <meta charset>, while GBK text that happens to be valid UTF-8 is vanishingly
/// rare.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(e) => e,
    };
    let Some(label) = declared_charset(bytes) else {
        return Err(format!(
            "{} (or declare its charset with <meta charset=…>)",
            not_utf8(utf8_error)
        ));
    };
    let encoding = match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(encoding) if encoding != encoding_rs::UTF_8 => encoding,
        _ => return Err(not_utf8(utf8_error)),
    };
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| Cow::Owned(text.into_owned()))
        .ok_or_else(|| {
            format!(
                "the page declares charset {label} but is not valid {}; convert it to UTF-8",
                encoding.name()
            )
        })
}

/// The charset named by a `<meta charset=…>` or `<meta http-equiv … content="…; charset=…">`
/// in the first KiB, as browsers look for it.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = head[from..].find("charset") {
        let rest = head[from + found + "charset".len()..].trim_start();
        from += found + "charset".len();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        let label: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        if !label.is_empty() {
            return Some(label);
        }
    }
    None
}

#[derive(Default)]
struct Reduced {
    title: Option<String>,
    h1: Option<String>,
    /// Where the date came from (for messages) and its raw value.
    date: Option<(&'static str, String)>,
    paragraphs: Vec<String>,
}

const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "svg", "math", "object", "embed",
    "canvas", "nav", "form", "button", "select", "textarea", "frameset", "frame", "footer",
];

const PARAGRAPHS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "figcaption",
    "caption",
];

/// Table cells: paragraph text, but a row's cells make one paragraph ("Li2CO3 | 105,000"),
/// which keeps a figure next to its label.
const CELLS: &[&str] = &["td", "th"];

const OTHER_BLOCKS: &[&str] = &[
    "html", "body", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "br", "hr", "figure", "details", "summary",
    "address", "center", "title", "fieldset", "legend", "menu", "hgroup",
];

/// Walks the tree in document order, iteratively.
fn reduce(html: &Html) -> Reduced {
    let mut r = Reducer::default();
    let root = html.tree.root();
    let mut node = root;
    'walk: loop {
        let mut descend = true;
        match node.value() {
            Node::Element(el) => {
                if DROPPED.contains(&el.name()) {
                    descend = false;
                } else {
                    r.open(el);
                }
            }
            Node::Text(text) => r.text(text),
            Node::Document | Node::Fragment => {}
            _ => descend = false,
        }
        if descend {
            if let Some(child) = node.first_child() {
                node = child;
                continue;
            }
            if let Node::Element(el) = node.value() {
                r.close(el);
            }
        }
        loop {
            if node == root {
                break 'walk;
            }
            if let Some(sibling) = node.next_sibling() {
                node = sibling;
                continue 'walk;
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => break 'walk,
            }
            if let Node::Element(el) = node.value() {
                r.close(el);
            }
        }
    }
    r.finish()
}

#[derive(Default)]
struct Reducer {
    /// Open paragraph elements around the current position.
    paragraph_depth: usize,
    in_title: bool,
    /// Open <h1>s while the first one is being read.
    h1_depth: usize,
    title: String,
    h1: String,
    h1_done: bool,
    meta_date: Option<(&'static str, String)>,
    time_date: Option<String>,
    current: String,
    /// Some of `current` was read inside a paragraph element or table cell.
    current_in_paragraph: bool,
    /// Paragraphs in order, each marked true when it came from a paragraph element.
    blocks: Vec<(String, bool)>,
}

impl Reducer {
    fn open(&mut self, el: &Element) {
        let name = el.name();
        match name {
            "title" => self.in_title = self.title.is_empty(),
            "h1" if !self.h1_done => self.h1_depth += 1,
            "meta" => self.meta(el),
            "time" if self.time_date.is_none() => {
                self.time_date = el
                    .attr("datetime")
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
            }
            _ => {}
        }
        if name != "meta"
            && el
                .attr("itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
            && let Some(v) = el.attr("datetime").or_else(|| el.attr("content"))
        {
            self.set_meta_date("itemprop=\"datePublished\"", v);
        }
        if PARAGRAPHS.contains(&name) {
            self.end_block();
            self.paragraph_depth += 1;
        } else if CELLS.contains(&name) {
            if !self.current.trim().is_empty() {
                let kept = self.current.trim_end().len();
                self.current.truncate(kept);
                self.current.push_str(" | ");
            }
            self.paragraph_depth += 1;
        } else if OTHER_BLOCKS.contains(&name) {
            self.end_block();
        }
    }

    fn close(&mut self, el: &Element) {
        let name = el.name();
        match name {
            "title" => self.in_title = false,
            "h1" if self.h1_depth > 0 => {
                self.h1_depth -= 1;
                if self.h1_depth == 0 && !self.h1.trim().is_empty() {
                    self.h1_done = true;
                }
            }
            _ => {}
        }
        if PARAGRAPHS.contains(&name) {
            self.end_block();
            self.paragraph_depth = self.paragraph_depth.saturating_sub(1);
        } else if CELLS.contains(&name) {
            self.paragraph_depth = self.paragraph_depth.saturating_sub(1);
        } else if OTHER_BLOCKS.contains(&name) {
            self.end_block();
        }
    }

    fn meta(&mut self, el: &Element) {
        let Some(content) = el.attr("content") else {
            return;
        };
        let key = el
            .attr("property")
            .or_else(|| el.attr("name"))
            .or_else(|| el.attr("itemprop"));
        let Some(key) = key else { return };
        let label = match key.to_ascii_lowercase().as_str() {
            "article:published_time" => "<meta property=\"article:published_time\">",
            "og:published_time" => "<meta property=\"og:published_time\">",
            "datepublished" => "<meta itemprop=\"datePublished\">",
            "pubdate" | "publishdate" | "publish_date" | "publish-date" => {
                "<meta name=\"pubdate\">"
            }
            "dc.date.issued" | "dcterms.issued" => "<meta name=\"DC.date.issued\">",
            _ => return,
        };
        self.set_meta_date(label, content);
    }

    fn set_meta_date(&mut self, label: &'static str, value: &str) {
        let value = value.trim();
        if self.meta_date.is_none() && !value.is_empty() {
            self.meta_date = Some((label, value.to_string()));
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_title {
            append_collapsed(&mut self.title, text);
            return;
        }
        if self.h1_depth > 0 {
            append_collapsed(&mut self.h1, text);
        }
        append_collapsed(&mut self.current, text);
        self.current_in_paragraph |= self.paragraph_depth > 0;
    }

    fn end_block(&mut self) {
        let text = self.current.trim();
        if !text.is_empty() {
            self.blocks
                .push((text.to_string(), self.current_in_paragraph));
        }
        self.current.clear();
        self.current_in_paragraph = false;
    }

    fn finish(mut self) -> Reduced {
        self.end_block();
        let (in_paragraphs, elsewhere) = self.blocks.iter().fold((0, 0), |(p, o), (text, para)| {
            if *para {
                (p + text.len(), o)
            } else {
                (p, o + text.len())
            }
        });
        let keep_all = in_paragraphs * 2 < elsewhere;
        let paragraphs = self
            .blocks
            .into_iter()
            .filter(|(_, para)| keep_all || *para)
            .map(|(t, _)| t)
            .collect();
        let some = |s: String| {
            let s = s.trim().to_string();
            (!s.is_empty()).then_some(s)
        };
        Reduced {
            title: some(self.title),
            h1: some(self.h1),
            date: self
                .meta_date
                .or(self.time_date.map(|v| ("<time datetime>", v))),
            paragraphs,
        }
    }
}

/// Appends text with runs of whitespace collapsed to one space; a run holding a line break
/// between two Chinese characters is dropped (it is only where the source wrapped).
fn append_collapsed(buf: &mut String, text: &str) {
    let mut pending: Option<bool> = None;
    for c in text.chars() {
        if c.is_whitespace() {
            let newline = c == '\n' || c == '\r';
            pending = Some(pending.unwrap_or(false) || newline);
            continue;
        }
        if let Some(had_newline) = pending.take() {
            match buf.chars().next_back() {
                None | Some(' ') => {}
                Some(prev) if had_newline && is_wide(prev) && is_wide(c) => {}
                Some(_) => buf.push(' '),
            }
        }
        buf.push(c);
    }
    if pending.is_some() && !buf.is_empty() && !buf.ends_with(' ') {
        buf.push(' ');
    }
}
