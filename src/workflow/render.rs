//! render: how does a workflow's page read in a terminal, in Markdown, as JSON and as a feed?
//!
//! Renders a [`Page`] the way the seed pages read — "Workflow", the name, "Search documents",
//! then per document its title, `source · YYYY-MM-DD HH:MM` and digest — as terminal text,
//! Markdown, JSON and an Atom 1.0 feed (HTML is in [`super::html`]). Every rendering is a pure
//! function of the page: the same state renders to the same bytes, so a run that found nothing
//! new changes only the pages' "last run" time, and the feed not at all. Document text is
//! untrusted: terminal text and Markdown lose control characters ([`terminal_safe`]), and the
//! feed is written with quick-xml's `Writer`, which escapes every text and attribute. This
//! module must not run searches or make digests.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use chrono::{DateTime, SecondsFormat, Utc};
use maud::html;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use crate::digest::{Digest, render_markdown_for, render_terminal_for};
use crate::document::Lang;
use crate::engine::{format_published, format_when};
use crate::report::terminal_safe;

use super::html::{self, encode_segment, safe_url};
use super::brief::{self, Brief};
use super::{Page, RunOutcome, RunRecord, Workflow, WorkflowInfo};

/// The output forms of a workflow page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Terminal,
    Markdown,
    Html,
    Json,
    Atom,
}

/// Renders `page` in `format`. `base_url` (the server's public URL, e.g.
/// `https://news.example.org/dossier`) makes the feed's links absolute; other formats ignore it.
/// Errors are those of writers into memory (JSON, XML), which do not fail in practice.
pub fn render(page: &Page, format: Format, base_url: Option<&str>) -> io::Result<String> {
    Ok(match format {
        Format::Terminal => terminal(page),
        Format::Markdown => markdown(page),
        Format::Html => html::standalone_page(page),
        Format::Json => json(page)? + "\n",
        Format::Atom => atom(page, base_url)?,
    })
}

/// What the page says when a workflow asks for English digests but makes extractive ones,
/// which quote each document in its own language. `{name}` is the workflow's name, quoted for
/// a shell.
const ENGLISH_NEEDS_LLM: &str = "English digests of Chinese sources need an LLM endpoint: the \
extractive summarizer quotes each document in its own language. Set llm.base_url and llm.model in \
the configuration (or DOSSIER_LLM_URL and DOSSIER_LLM_MODEL), then choose it with \
`dossier workflow edit {name} --summarizer llm`.";

/// The workflow name as a shell word: as it is when it holds only letters (any script),
/// digits and `-_.`, else in single quotes. A name with a backtick (which would end the note's
/// code span) is written `NAME`.
fn shell_word(name: &str) -> String {
    if name.contains('`') {
        "NAME".to_string()
    } else if name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

/// The note a workflow's page and `workflow show` carry about the language of its digests:
/// set to English with only the extractive summarizer, it cannot keep that promise.
pub fn language_note(wf: &Workflow) -> Option<String> {
    use super::{OutputLanguage, SummarizerChoice};
    (wf.summarizer == SummarizerChoice::Extractive && wf.output_lang == OutputLanguage::En)
        .then(|| ENGLISH_NEEDS_LLM.replace("{name}", &shell_word(&wf.name)))
}

/// Which summarizer made how many of the digests, in which language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MadeBy {
    pub summarizer: String,
    pub lang: Lang,
    pub count: u64,
}

/// [`language_note`] for a page: only when some Chinese document on it has (or will get) a
/// digest that is not in English — a page of imported English digests keeps its promise.
pub fn page_language_note(page: &Page) -> Option<String> {
    let broken = page.entries.iter().any(|e| {
        e.document.lang == Lang::Zh
            && !e.document.is_title_only()
            && e.digest.as_ref().is_none_or(|g| g.lang != Lang::En)
    });
    language_note(&page.workflow).filter(|_| broken)
}

/// [`MadeBy`] for the digests of a page's entries, most first.
pub fn made_by(page: &Page) -> Vec<MadeBy> {
    let mut out: Vec<MadeBy> = Vec::new();
    for g in page.entries.iter().filter_map(|e| e.digest.as_ref()) {
        match out.iter_mut().find(|m| m.summarizer == g.summarizer && m.lang == g.lang) {
            Some(m) => m.count += 1,
            None => out.push(MadeBy { summarizer: g.summarizer.clone(), lang: g.lang, count: 1 }),
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.summarizer.cmp(&b.summarizer)));
    out
}

/// "4 extractive in Chinese, 1 llm:qwen in English" (or "none yet").
pub fn made_by_words(made: &[MadeBy]) -> String {
    if made.is_empty() {
        return "none yet".to_string();
    }
    let lang = |l: Lang| match l {
        Lang::Zh => "Chinese",
        Lang::En => "English",
    };
    made.iter()
        .map(|m| format!("{} {} in {}", m.count, terminal_safe(&m.summarizer), lang(m.lang)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1 document", "5 documents".
pub(super) fn documents(n: u64) -> String {
    if n == 1 {
        "1 document".to_string()
    } else {
        format!("{n} documents")
    }
}

/// "12 documents", "12 documents, 3 title only": title-only items are counted apart, since
/// they have nothing to read.
pub(super) fn documents_counted(total: u64, title_only: u64) -> String {
    if title_only == 0 {
        documents(total)
    } else {
        format!("{}, {title_only} title only", documents(total))
    }
}

/// ` · imported — citations refer to the original page's paragraphs` after an imported seed
/// page's date line: its `[n]` are not this store's paragraphs. A feed item whose linked page
/// could not be read gets ` · feed summary only` instead: its digest covers the summary.
pub fn imported_tag(d: &crate::Document) -> &'static str {
    if d.is_imported() {
        IMPORTED_TAG
    } else if d.meta.get("text").and_then(|t| t.as_str()) == Some("summary") {
        SUMMARY_TAG
    } else {
        ""
    }
}

/// See [`imported_tag`].
pub const SUMMARY_TAG: &str = " · feed summary only (the linked page's full text could not be read)";

/// See [`imported_tag`].
pub const IMPORTED_TAG: &str = " · imported (another tool's digest; its [n] cite the original page's paragraphs)";

/// The one line a title-only item gets: `title — source · time · title only [id]`.
fn title_only_line(d: &crate::Document) -> String {
    format!(
        "{} — {} · {} · title only [{}]",
        terminal_safe(&d.title),
        terminal_safe(&d.source_label()),
        format_published(d.published_at, d.published_precision),
        terminal_safe(&d.id)
    )
}

fn footer_line(page: &Page) -> String {
    match &page.last_run {
        // `{:?}` shows a control character in the query as an escape, never raw.
        Some(r) => format!(
            "{} of {} · query {:?} · last run {}",
            page.entries.len(),
            documents_counted(page.total, page.title_only),
            page.workflow.query,
            format_when(Some(r.ran_at))
        ),
        None => format!("not run yet · query {:?}", page.workflow.query),
    }
}

/// Plain text as on the seed pages.
pub fn terminal(page: &Page) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Workflow\n{}\nSearch documents\n", terminal_safe(&page.workflow.name));
    let _ = writeln!(out, "Digests: {}", made_by_words(&made_by(page)));
    if let Some(note) = page_language_note(page) {
        let _ = writeln!(out, "Note: {note}");
    }
    out.push('\n');
    if let Some(b) = &page.brief {
        out.push_str(&brief_terminal(b));
        out.push('\n');
    }
    for e in &page.entries {
        let d = &e.document;
        if d.is_title_only() {
            let _ = writeln!(out, "{}\n", title_only_line(d));
            continue;
        }
        let _ = writeln!(out, "{}", terminal_safe(&d.title));
        let _ = writeln!(out, "{} · {}{}", terminal_safe(&d.source_label()), format_published(d.published_at, d.published_precision), imported_tag(d));
        match &e.digest {
            Some(g) => out.push_str(&render_terminal_for(g, d)),
            None => out.push_str("(no digest yet)\n"),
        }
        if let Some(line) = story_sources_line(e) {
            let _ = writeln!(out, "{}", terminal_safe(&line));
        }
        let _ = writeln!(out, "[{}]\n", terminal_safe(&d.id));
    }
    let _ = writeln!(out, "{}", footer_line(page));
    out
}

/// `+2 sources: 环球时报 via 腾讯新闻 2023-10-10, … (dossier story 7)` for an entry standing for a
/// story with copies.
fn story_sources_line(e: &super::Entry) -> Option<String> {
    let s = e.story.story.filter(|_| !e.story.also.is_empty())?;
    Some(format!("{} (dossier story {})", crate::stories::collapse::sources_line(&e.story.also), s.id))
}

/// A run brief as text: its head line, the stories, the figures and what is new, each line
/// ending in its citation `qq-34199 [4]`.
pub fn brief_terminal(b: &Brief) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Run brief · {} · made by {}", b.head_line(), terminal_safe(&b.made_by));
    if b.stories.is_empty() {
        let _ = writeln!(out, "  No story to brief: the run's documents have no digest with a verified claim.");
    } else {
        let _ = writeln!(out, "Stories");
        for s in &b.stories {
            let _ = writeln!(out, "  - {}", story_line(s, terminal_text));
        }
    }
    let ledger = |out: &mut String, disputed: bool| {
        let mut lines = b.ledger.iter().filter(|c| c.disputed() == disputed).peekable();
        if lines.peek().is_some() {
            let _ = writeln!(out, "{}", ledger_heading(disputed));
        }
        for c in lines {
            let label = crate::stories::figures::labelled(&c.measure);
            let _ = writeln!(out, "  {} {}{}", if disputed { '!' } else { '-' }, terminal_safe(&label), c.values_text(terminal_text));
        }
    };
    ledger(&mut out, true);
    if !b.figures.is_empty() {
        let _ = writeln!(out, "Figures");
        for f in &b.figures {
            let _ = writeln!(
                out,
                "  - {} — {} {}",
                terminal_safe(&f.figure),
                terminal_safe(&f.text),
                terminal_safe(&brief::cite_text(&f.cite))
            );
        }
    }
    ledger(&mut out, false);
    let _ = writeln!(out, "{}", b.new_since_line());
    out
}

/// The heading of the brief's ledger section of figures the copies of a story disagree on (shown
/// before the run's figures: the analyst checks these first) or agree on (after them).
pub fn ledger_heading(disputed: bool) -> &'static str {
    if disputed { "Figures the sources disagree on" } else { "Figures the sources agree on" }
}

/// One story: its claim, citation, the other documents telling it, and whether it is new;
/// `clean` makes each piece safe for the output (terminal or Markdown).
fn story_line(s: &brief::Story, clean: fn(&str) -> String) -> String {
    let mut line = format!("{} {}", clean(&s.text), clean(&brief::cite_text(&s.cite)));
    if !s.also.is_empty() {
        let _ = write!(line, " (also {})", clean(&s.also.join(", ")));
    }
    match &s.follows {
        Some(prev) => {
            let _ = write!(line, " · continues {}", clean(prev));
        }
        None => line.push_str(" · new"),
    }
    line
}

fn terminal_text(s: &str) -> String {
    terminal_safe(s).into_owned()
}

/// The brief in Markdown, above the documents.
pub fn brief_markdown(b: &Brief) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Run brief\n\n*{} · made by {}*\n", md_text(&b.head_line()), md_text(&b.made_by));
    if b.stories.is_empty() {
        let _ = writeln!(out, "No story to brief: the run's documents have no digest with a verified claim.\n");
    } else {
        let _ = writeln!(out, "### Stories\n");
        for s in &b.stories {
            let _ = writeln!(out, "- {}", story_line(s, md_text));
        }
        out.push('\n');
    }
    let ledger = |out: &mut String, disputed: bool| {
        let lines: Vec<&brief::Checked> = b.ledger.iter().filter(|c| c.disputed() == disputed).collect();
        if !lines.is_empty() {
            let _ = writeln!(out, "### {}\n", ledger_heading(disputed));
            for c in lines {
                let _ = writeln!(out, "- {}{}", md_text(&crate::stories::figures::labelled(&c.measure)), c.values_text(md_text));
            }
            out.push('\n');
        }
    };
    ledger(&mut out, true);
    if !b.figures.is_empty() {
        let _ = writeln!(out, "### Figures\n");
        for f in &b.figures {
            let _ = writeln!(out, "- **{}** — {} {}", md_text(&f.figure), md_text(&f.text), md_text(&brief::cite_text(&f.cite)));
        }
        out.push('\n');
    }
    ledger(&mut out, false);
    let _ = writeln!(out, "*{}*\n", md_text(&b.new_since_line()));
    out
}

/// Markdown: the name as the page title, one `##` section per document.
pub fn markdown(page: &Page) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}\n\n*Search documents* — {}\n",
        md_text(&page.workflow.name),
        md_text(&footer_line(page))
    );
    let _ = writeln!(out, "*Digests: {}*\n", md_text(&made_by_words(&made_by(page))));
    if let Some(note) = page_language_note(page) {
        let _ = writeln!(out, "> **Note:** {}\n", md_text(&note));
    }
    if let Some(b) = &page.brief {
        out.push_str(&brief_markdown(b));
    }
    for e in &page.entries {
        if e.document.is_title_only() {
            out.push_str(&markdown_title_only(&e.document));
            continue;
        }
        out.push_str(&markdown_heading(&e.document, "##"));
        match &e.digest {
            Some(g) => out.push_str(&render_markdown_for(g, &e.document)),
            None => out.push_str("*No digest yet.*\n"),
        }
        if let Some(line) = story_sources_line(e) {
            let _ = writeln!(out, "\n*{}*", md_text(&line));
        }
        out.push('\n');
    }
    out
}

/// A document's Markdown heading at `level` (`#`, `##`): its title (a link to its URL when that
/// is http(s)), then `source · YYYY-MM-DD HH:MM · `id``, each followed by a blank line. The
/// time is the stored UTC moment; a source that gave only a day shows `YYYY-MM-DD` (a row
/// stored before dossier kept that fact cannot be told from 00:00 and shows as 00:00).
pub fn markdown_heading(d: &crate::Document, level: &str) -> String {
    let mut out = String::new();
    match d.url.as_deref().and_then(safe_url) {
        Some(url) => {
            let url = terminal_safe(url).replace('>', "%3E");
            let _ = writeln!(out, "{level} [{}](<{url}>)\n", md_text(&d.title));
        }
        None => {
            let _ = writeln!(out, "{level} {}\n", md_text(&d.title));
        }
    }
    let _ = writeln!(
        out,
        "{} · {}{} · `{}`\n",
        md_text(&d.source_label()),
        format_published(d.published_at, d.published_precision),
        md_text(imported_tag(d)),
        terminal_safe(&d.id).replace('`', "'")
    );
    out
}

/// A title-only item in Markdown: one list line, the title a link to its URL when it has one.
fn markdown_title_only(d: &crate::Document) -> String {
    let title = match d.url.as_deref().and_then(safe_url) {
        Some(url) => format!("[{}](<{}>)", md_text(&d.title), terminal_safe(url).replace('>', "%3E")),
        None => md_text(&d.title),
    };
    format!(
        "- {title} — {} · {} · *title only* · `{}`\n\n",
        md_text(&d.source_label()),
        format_published(d.published_at, d.published_precision),
        terminal_safe(&d.id).replace('`', "'")
    )
}

/// Text for Markdown: syntax characters escaped, control characters dropped.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal_safe(s).chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Serialize)]
struct JsonPage<'a> {
    workflow: &'a Workflow,
    last_run: &'a Option<RunRecord>,
    total: u64,
    /// How many of `total` hold only their title.
    title_only: u64,
    /// Which summarizer made the shown digests, in which language.
    digests_made_by: Vec<MadeBy>,
    /// Set when the workflow's output language cannot be kept (English, extractive).
    #[serde(skip_serializing_if = "Option::is_none")]
    language_note: Option<String>,
    /// The brief of the last run that collected documents.
    brief: &'a Option<Brief>,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    title: &'a str,
    source: &'a str,
    /// The original outlet the text names; `source` stays the feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    outlet: Option<&'a str>,
    /// An imported seed page: its digest's citations refer to the other tool's paragraphs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    imported: bool,
    published_at: Option<DateTime<Utc>>,
    /// `YYYY-MM-DD HH:MM` (UTC), as the page shows it.
    when: String,
    url: Option<&'a str>,
    lang: Lang,
    added_at: DateTime<Utc>,
    /// The item holds only its title: it has no digest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    title_only: bool,
    digest: Option<&'a Digest>,
    /// The story it stands for (absent for documents stored with stories off).
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<crate::stories::StoryRef>,
    /// The story's other members, best first.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    also: &'a [crate::stories::collapse::OtherSource],
}

/// The page as JSON (documents without their paragraphs; `GET /api/documents/{id}` has them).
pub fn json(page: &Page) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&JsonPage {
        workflow: &page.workflow,
        last_run: &page.last_run,
        total: page.total,
        title_only: page.title_only,
        digests_made_by: made_by(page),
        language_note: page_language_note(page),
        brief: &page.brief,
        entries: page
            .entries
            .iter()
            .map(|e| JsonEntry {
                id: &e.document.id,
                title: &e.document.title,
                source: &e.document.source,
                outlet: e.document.outlet(),
                imported: e.document.is_imported(),
                published_at: e.document.published_at,
                when: format_published(e.document.published_at, e.document.published_precision),
                url: e.document.url.as_deref(),
                lang: e.document.lang,
                added_at: e.added_at,
                title_only: e.document.is_title_only(),
                digest: e.digest.as_ref(),
                story: e.story.story,
                also: &e.story.also,
            })
            .collect(),
    })
}

/// Text for XML without the characters XML 1.0 forbids (untrusted text may carry control
/// characters, which would make the whole feed unreadable). Escaping is the writer's job.
fn xml_chars(s: &str) -> Cow<'_, str> {
    let forbidden =
        |c: char| ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}');
    if s.chars().any(forbidden) {
        Cow::Owned(s.chars().filter(|&c| !forbidden(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `<name>text</name>`, the text cleaned and escaped.
fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_chars(text)))?;
    Ok(())
}

/// An Atom 1.0 feed of the page, newest collected first: one entry per document, its digest
/// as HTML content, a link to the document's page on the server and, when the document has an
/// http(s) URL, a `related` link to the original. Ids are stable URNs, so a reader sees each
/// document once. Links start with `base_url` — the configured public URL (`serve.public_url`)
/// or `--base-url`, never a request's Host header; without one they are relative to the
/// server's root and the subtitle says how to make them absolute.
pub fn atom(page: &Page, base_url: Option<&str>) -> io::Result<String> {
    let base = base_url.map(|b| b.trim_end_matches('/')).unwrap_or("");
    let name = encode_segment(&page.workflow.name);
    let mut entries: Vec<&super::Entry> = page.entries.iter().collect();
    entries.sort_by(|a, b| {
        b.added_at
            .cmp(&a.added_at)
            .then(b.document.published_at.cmp(&a.document.published_at))
    });
    // The feed changes when entries arrive, not when a run looks and finds nothing: only an
    // empty feed takes its time from the last run.
    let updated = entries
        .iter()
        .map(|e| e.added_at)
        .max()
        .or(page.last_run.as_ref().map(|r| r.ran_at))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut subtitle = format!("dossier workflow · query: {}", page.workflow.query);
    if base_url.is_none() {
        subtitle.push_str(
            " · links are relative to the dossier server; set serve.public_url for absolute links",
        );
    }
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text_element(w, "id", &format!("urn:dossier:workflow:{name}"))?;
            text_element(w, "title", &page.workflow.name)?;
            text_element(w, "subtitle", &subtitle)?;
            text_element(w, "updated", &rfc3339(updated))?;
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", "dossier"))?;
            text_element(w, "generator", "dossier")?;
            w.create_element("link")
                .with_attributes([
                    ("rel", "self"),
                    ("type", "application/atom+xml"),
                    ("href", format!("{base}/api/workflows/{name}/feed.atom").as_str()),
                ])
                .write_empty()?;
            w.create_element("link")
                .with_attributes([
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", format!("{base}/workflows/{name}").as_str()),
                ])
                .write_empty()?;
            if let Some(b) = &page.brief {
                atom_brief(w, b, &name, base)?;
            }
            for e in &entries {
                atom_entry(w, e, base)?;
            }
            Ok(())
        })?;
    let mut xml = String::from_utf8(w.into_inner()).map_err(io::Error::other)?;
    xml.push('\n');
    Ok(xml)
}

/// The run brief as the feed's first entry, one per run (a new run's brief is a new entry),
/// its citations linking to the documents' paragraphs on the server.
fn atom_brief(w: &mut Writer<Vec<u8>>, b: &Brief, name: &str, base: &str) -> io::Result<()> {
    let cite = |c: &brief::Cite| {
        html! {
            " " (c.doc)
            @for n in &c.paragraphs {
                a.cite href={ (base) "/documents/" (encode_segment(&c.doc)) "#p" (n) } { "[" (n) "]" }
            }
        }
    };
    let content = html! {
        p { (b.head_line()) " · made by " (b.made_by) }
        @if !b.stories.is_empty() {
            h3 { "Stories" }
            ul { @for s in &b.stories { li lang=(s.lang.as_str()) { (s.text) (cite(&s.cite)) @if s.follows.is_some() { " · continues" } @else { " · new" } } } }
        }
        @for disputed in [true, false] {
            @let lines: Vec<&brief::Checked> = b.ledger.iter().filter(|c| c.disputed() == disputed).collect();
            @if !disputed && !b.figures.is_empty() {
                h3 { "Figures" }
                ul { @for f in &b.figures { li lang=(f.lang.as_str()) { strong { (f.figure) } " — " (f.text) (cite(&f.cite)) } } }
            }
            @if !lines.is_empty() {
                h3 { (ledger_heading(disputed)) }
                ul {
                    @for c in lines {
                        li lang=(c.lang.as_str()) { (super::html::checked_values(c, cite)) }
                    }
                }
            }
        }
        p { (b.new_since_line()) }
    };
    w.create_element("entry").write_inner_content(|w| {
        text_element(w, "id", &format!("urn:dossier:workflow:{name}:run:{}", b.run_id))?;
        text_element(w, "title", &format!("Run brief · run #{}", b.run_id))?;
        text_element(w, "updated", &rfc3339(b.ran_at))?;
        w.create_element("author").write_inner_content(|w| text_element(w, "name", "dossier"))?;
        w.create_element("link")
            .with_attributes([("rel", "alternate"), ("type", "text/html"), ("href", format!("{base}/workflows/{name}").as_str())])
            .write_empty()?;
        w.create_element("content")
            .with_attribute(("type", "html"))
            .write_text_content(BytesText::new(&xml_chars(&content.into_string())))?;
        Ok(())
    })?;
    Ok(())
}

fn atom_entry(w: &mut Writer<Vec<u8>>, e: &super::Entry, base: &str) -> io::Result<()> {
    let d = &e.document;
    let doc_id = encode_segment(&d.id);
    let page_url = format!("{base}/documents/{doc_id}");
    let when = format_published(d.published_at, d.published_precision);
    let cite = |n: usize| Some(format!("{page_url}#p{n}"));
    let content = html! {
        p { (d.source_label()) " · " (when) (imported_tag(d)) }
        @match &e.digest {
            Some(g) => (html::digest_html(g, &cite)),
            None if d.is_title_only() => p { "Title only: the item holds nothing but its headline." },
            None => p { "No digest yet." },
        }
        @if let Some(line) = story_sources_line(e) {
            p { (line) }
        }
    };
    w.create_element("entry")
        .with_attribute(("xml:lang", d.lang.as_str()))
        .write_inner_content(|w| {
            text_element(w, "id", &format!("urn:dossier:document:{doc_id}"))?;
            text_element(w, "title", &d.title)?;
            text_element(w, "updated", &rfc3339(e.added_at))?;
            if let Some(p) = d.published_at {
                text_element(w, "published", &rfc3339(p))?;
            }
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", &d.source_label()))?;
            w.create_element("link")
                .with_attributes([("rel", "alternate"), ("type", "text/html"), ("href", page_url.as_str())])
                .write_empty()?;
            if let Some(u) = d.url.as_deref().and_then(safe_url) {
                w.create_element("link")
                    .with_attributes([("rel", "related"), ("href", &*xml_chars(u))])
                    .write_empty()?;
            }
            // Feed readers that show one line per entry show the summary: the digest's line.
            if let Some(g) = &e.digest {
                text_element(w, "summary", &without_citations(&crate::seed::render_seed_line(g)))?;
            }
            w.create_element("content")
                .with_attribute(("type", "html"))
                .write_text_content(BytesText::new(&xml_chars(&content.into_string())))?;
            Ok(())
        })?;
    Ok(())
}

/// A digest line without its `[n]` citations: a feed reader's one-line summary cannot link
/// them, and bare numbers in brackets read as noise.
fn without_citations(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(rest[..open].trim_end_matches(' '));
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..=open]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `dossier workflow list`: one line per workflow.
pub fn list_text(list: &[WorkflowInfo]) -> String {
    if list.is_empty() {
        return "No workflows yet; add one with `dossier workflow add NAME --query QUERY`.\n".to_string();
    }
    let mut out = String::new();
    for w in list {
        let _ = writeln!(
            out,
            "{}\t{:?}\t{}\tlast run {}",
            terminal_safe(&w.workflow.name),
            w.workflow.query,
            documents(w.documents),
            w.last_run
                .as_ref()
                .map(|r| format_when(Some(r.ran_at)))
                .unwrap_or_else(|| "never".into())
        );
    }
    out
}

/// How a workflow's digests are made, in words (the flags' values in parentheses).
fn digest_words(wf: &Workflow) -> String {
    use super::{OutputLanguage, SummarizerChoice};
    let how = match wf.summarizer {
        SummarizerChoice::Extractive => "extractive (quoted sentences, offline)",
        SummarizerChoice::Llm => "LLM (the configured llm.* endpoint)",
    };
    let lang = match wf.output_lang {
        OutputLanguage::En => "in English",
        OutputLanguage::Source => "in each document's own language",
    };
    match wf.summarizer {
        // Extractive digests quote the source, whatever the output language says.
        SummarizerChoice::Extractive => format!("{how}, in each document's own language"),
        SummarizerChoice::Llm => format!("{how}, {lang}"),
    }
}

/// `dossier workflow show`: the definition and its runs.
/// `made` says which summarizer made the digests of its documents, in which language.
/// `brief` is the brief of its last run that collected documents, shown below the runs.
pub fn info_text(w: &WorkflowInfo, runs: &[RunRecord], made: &[MadeBy], brief: Option<&Brief>) -> String {
    let wf = &w.workflow;
    let mut out = String::new();
    let _ = writeln!(out, "Workflow {}", terminal_safe(&wf.name));
    let _ = writeln!(out, "  query:        {}", terminal_safe(&wf.query));
    if !wf.sources.is_empty() {
        let _ = writeln!(out, "  sources:      {}", terminal_safe(&wf.sources.join(", ")));
    }
    if let Some(l) = wf.lang {
        let _ = writeln!(out, "  language:     {l}");
    }
    if wf.since.is_some() || wf.until.is_some() {
        let _ = writeln!(
            out,
            "  published:    {} .. {}",
            wf.since.map(|t| format_when(Some(t))).unwrap_or_default(),
            wf.until.map(|t| format_when(Some(t))).unwrap_or_default()
        );
    }
    if let Some(d) = wf.within_days {
        let _ = writeln!(out, "  window:       last {d} days");
    }
    let _ = writeln!(out, "  digests:      {}", digest_words(wf));
    let _ = writeln!(out, "  made so far:  {}", made_by_words(made));
    if let Some(note) = language_note(wf) {
        let _ = writeln!(out, "  note:         {note}");
    }
    let _ = writeln!(out, "  first run:    newest {}", wf.first_run);
    let _ = writeln!(out, "  documents:    {}", w.documents);
    let _ = writeln!(out, "  created:      {}", format_when(Some(w.created_at)));
    if runs.is_empty() {
        let _ = writeln!(out, "  runs:         none yet");
    } else {
        let _ = writeln!(out, "  runs:");
        for r in runs.iter().take(10) {
            let _ = writeln!(
                out,
                "    #{} {}: {} new, {} digests made{}",
                r.id,
                format_when(Some(r.ran_at)),
                r.new_documents,
                r.digests_made,
                if r.digest_failures > 0 {
                    format!(", {} digests failed", r.digest_failures)
                } else {
                    String::new()
                }
            );
        }
    }
    if let Some(b) = brief {
        out.push('\n');
        out.push_str(&brief_terminal(b));
    }
    out
}

/// One line saying what a run did (the CLI prints it on stderr, the page on stdout).
pub fn outcome_text(o: &RunOutcome) -> String {
    let workflow = terminal_safe(&o.workflow);
    let mut out = if !o.changed() && !o.first_run {
        format!("{workflow}: nothing new since the last run")
    } else {
        format!(
            "{}: {}collected {}, made {}",
            workflow,
            if o.first_run { "first run: " } else { "" },
            documents(o.new_documents.len() as u64),
            if o.digests_made == 1 {
                "1 digest".to_string()
            } else {
                format!("{} digests", o.digests_made)
            }
        )
    };
    if o.title_only > 0 {
        let _ = write!(out, " ({} title only: nothing to digest)", o.title_only);
    }
    if !o.digest_failures.is_empty() {
        let _ = write!(
            out,
            "; {} digests failed (the next run retries):",
            o.digest_failures.len()
        );
        for f in o.digest_failures.iter().take(5) {
            let _ = write!(out, "\n  {}: {}", terminal_safe(&f.id), terminal_safe(&f.message));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_drop_citation_markers_only() {
        assert_eq!(without_citations("Prices fell [1][2]. Output rose [11]."), "Prices fell. Output rose.");
        assert_eq!(without_citations("Index [a] and [3x] stay [ ]"), "Index [a] and [3x] stay [ ]");
    }
    use crate::workflow::html::tests::{ESCAPES, hostile_page};

    /// No byte a terminal acts on: C0 but `\n`/`\t`, DEL, C1.
    fn assert_no_controls(text: &str) {
        let bad: Vec<char> = text.chars().filter(|&c| c.is_control() && c != '\n' && c != '\t').collect();
        assert!(bad.is_empty(), "control characters {bad:?} in:\n{text}");
    }

    #[test]
    fn xml_text_drops_forbidden_characters() {
        assert_eq!(xml_chars("a\u{0}b\u{b}<c>&\"'\u{FFFF}\t"), "ab<c>&\"'\t");
    }

    #[test]
    fn terminal_and_markdown_lose_control_characters() {
        let page = hostile_page([Lang::Zh, Lang::En]);
        let text = terminal(&page);
        assert_no_controls(&text);
        // What followed ESC stays visible, so nothing is silently hidden either.
        assert!(text.contains("<script>alert(5)</script>[2J]8;;https://evil.example/click]8;;31m\n"), "{text}");
        let md = markdown(&page);
        assert_no_controls(&md);
        assert!(md.contains("## \\<script\\>alert(5)\\</script\\>\\[2J\\]8;;https://evil.example/click\\]8;;31m\n"), "{md}");
        assert!(!md.contains("](<") || md.contains("](<https://example.com/a?b=1&c=\"2\">)"), "only the http URL is a link:\n{md}");
        assert!(!md.to_ascii_lowercase().contains("javascript:"), "{md}");
        let mut info = page.workflow.clone();
        info.query.push_str(ESCAPES);
        let list = list_text(&[WorkflowInfo {
            workflow: info,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
            documents: 1,
            last_run: None,
        }]);
        assert_no_controls(&list);
    }

    #[test]
    fn hostile_feed_parses_with_links_from_the_public_url() {
        let page = hostile_page([Lang::Zh, Lang::En]);
        let xml = atom(&page, Some("https://news.example.org/dossier/")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{7}'), "XML 1.0 forbids them:\n{xml}");
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(feed.title.map(|t| t.content).as_deref(), Some("稀土\"><svg onload=alert(4)>"));
        let hrefs = |links: &[feed_rs::model::Link]| -> Vec<(Option<String>, String)> {
            links.iter().map(|l| (l.rel.clone(), l.href.clone())).collect()
        };
        let name = "%E7%A8%80%E5%9C%9F%22%3E%3Csvg%20onload%3Dalert%284%29%3E";
        assert_eq!(
            hrefs(&feed.links),
            vec![
                (Some("self".into()), format!("https://news.example.org/dossier/api/workflows/{name}/feed.atom")),
                (Some("alternate".into()), format!("https://news.example.org/dossier/workflows/{name}")),
            ]
        );
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().map(|t| t.content.as_str()),
            Some("<script>alert(5)</script>[2J]8;;https://evil.example/click]8;;\u{9b}31m"),
            "as text, without the controls XML forbids"
        );
        // The javascript: URL is no link; the https one is `related`, next to the page.
        assert_eq!(
            hrefs(&first.links),
            vec![(Some("alternate".into()), "https://news.example.org/dossier/documents/x%2F1%22%3F%23".into())]
        );
        assert_eq!(
            hrefs(&feed.entries[1].links),
            vec![
                (Some("alternate".into()), "https://news.example.org/dossier/documents/en-2".into()),
                (Some("related".into()), "https://example.com/a?b=1&c=%222%22".into()),
            ]
        );
        assert!(xml.contains("<link rel=\"related\" href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\"/>"), "{xml}");
        let content = first.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
        assert!(content.contains("<a class=\"cite\" href=\"https://news.example.org/dossier/documents/x%2F1%22%3F%23#p1\""), "{content}");
        assert!(content.contains("&lt;script&gt;alert(3)&lt;/script&gt;"), "the digest HTML is escaped once more:\n{content}");
        assert!(!content.contains("<script"), "{content}");
    }

    /// A brief quoting hostile documents: every rendering escapes it or drops its controls, and
    /// its citations link to the documents' paragraphs (on the server, or in the page).
    #[test]
    fn a_hostile_brief_renders_inert_with_citation_links() {
        let mut page = hostile_page([Lang::Zh, Lang::En]);
        let id = page.entries[0].document.id.clone();
        let cite = brief::Cite { doc: id.clone(), paragraphs: vec![1] };
        page.brief = Some(Brief {
            run_id: 3,
            ran_at: DateTime::<Utc>::UNIX_EPOCH,
            made_by: "extractive".into(),
            previous_run: Some(2),
            documents: 2,
            title_only: 0,
            stories: vec![brief::Story {
                text: format!("<script>alert(6)</script>{ESCAPES}"),
                lang: Lang::Zh,
                cite: cite.clone(),
                title: "t".into(),
                also: vec!["en-2".into()],
                follows: None,
            }],
            figures: vec![brief::Figure { figure: "5%<b>".into(), text: "涨5%<b>".into(), lang: Lang::Zh, cite: cite.clone() }],
            ledger: vec![brief::Checked {
                measure: "售价<i>\u{1b}[2J".into(),
                lang: Lang::Zh,
                values: vec![
                    brief::Stated { figure: "39.59万元".into(), cites: vec![cite.clone()] },
                    brief::Stated { figure: "29.59万元".into(), cites: vec![cite] },
                ],
            }],
            dropped: 0,
        });
        let text = terminal(&page);
        assert_no_controls(&text);
        assert!(text.contains("Run brief · run #3 · 1970-01-01 00:00 · 2 documents · made by extractive\nStories\n  - <script>alert(6)</script>"), "{text}");
        assert!(text.contains("(also en-2) · new\nFigures the sources disagree on\n"), "{text}");
        assert!(text.contains("\nFigures\n  - 5%<b> — 涨5%<b> x/1\"?# [1]\nNew since run #2: 1 of 1 story.\n"), "{text}");
        assert!(text.contains("Figures the sources disagree on\n  ! 售价<i>[2J: 39.59万元 x/1\"?# [1] ≠ 29.59万元 x/1\"?# [1]\nFigures\n"), "{text}");
        assert!(text.find("Run brief").unwrap_or(usize::MAX) < text.find(&page.entries[1].document.title).unwrap_or(0));
        let md = markdown(&page);
        assert_no_controls(&md);
        assert!(md.contains("## Run brief\n") && md.contains("\\<script\\>alert(6)"), "{md}");
        let standalone = html::standalone_page(&page);
        assert!(!standalone.contains("<script>alert(6)") && standalone.contains("&lt;script&gt;alert(6)"), "{standalone}");
        assert!(standalone.contains("<a class=\"cite\" href=\"#d1-p1\" data-doc=\"x/1&quot;?#\" data-p=\"1\">[1]</a>"), "{standalone}");
        let served = html::page_body(&page, &html::Links::Server { prefix: "" }, None).into_string();
        assert!(served.contains("href=\"/documents/x%2F1%22%3F%23#p1\""), "{served}");
        assert!(served.contains("售价&lt;i&gt;") && served.contains("<strong>39.59万元</strong>"), "{served}");
        let xml = atom(&page, None).unwrap_or_else(|e| panic!("{e}"));
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(feed.entries.len(), 3, "the brief, then the documents");
        assert_eq!(feed.entries[0].title.as_ref().map(|t| t.content.as_str()), Some("Run brief · run #3"));
        let body = feed.entries[0].content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
        assert!(body.contains("&lt;script&gt;alert(6)") && body.contains("href=\"/documents/x%2F1%22%3F%23#p1\""), "{body}");
        let v: serde_json::Value = serde_json::from_str(&json(&page).unwrap_or_default()).unwrap_or_default();
        assert_eq!(v["brief"]["stories"][0]["cite"]["doc"], id.as_str());
    }

    #[test]
    fn without_a_public_url_the_feed_links_relative_and_says_so() {
        let xml = atom(&hostile_page([Lang::Zh, Lang::En]), None).unwrap_or_else(|e| panic!("{e}"));
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let subtitle = feed.description.map(|t| t.content).unwrap_or_default();
        assert!(subtitle.contains("set serve.public_url"), "{subtitle}");
        for e in &feed.entries {
            assert!(e.links.iter().any(|l| l.href.starts_with("/documents/")), "{:?}", e.links);
            assert!(e.links.iter().all(|l| !l.href.contains("127.0.0.1")), "{:?}", e.links);
        }
    }
}
