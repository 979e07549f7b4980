//! render: how does a workflow's page read in a terminal, in Markdown, as JSON and as a feed?
//!
//! Renders a [`Page`] the way the seed pages read — "Workflow", the name, "Search documents",
//! then per document its title, `source · YYYY-MM-DD HH:MM` and digest — as terminal text,
//! Markdown, JSON and an Atom 1.0 feed (HTML is in [`super::html`]). Every rendering is a pure
//! function of the page: the same state renders to the same bytes, so a run that changed
//! nothing leaves every rendering as it was. This module must not run searches or make digests.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::digest::{Digest, render_markdown, render_terminal};
use crate::document::Lang;
use crate::engine::format_when;

use super::html::{self, encode_segment, escape, safe_url};
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

/// Renders `page` in `format`. `base_url` (e.g. `http://127.0.0.1:7700`) makes the feed's links
/// absolute; other formats ignore it.
pub fn render(page: &Page, format: Format, base_url: Option<&str>) -> Result<String, serde_json::Error> {
    Ok(match format {
        Format::Terminal => terminal(page),
        Format::Markdown => markdown(page),
        Format::Html => html::standalone_page(page),
        Format::Json => json(page)? + "\n",
        Format::Atom => atom(page, base_url),
    })
}

/// "1 document", "5 documents".
pub(super) fn documents(n: u64) -> String {
    if n == 1 {
        "1 document".to_string()
    } else {
        format!("{n} documents")
    }
}

fn footer_line(page: &Page) -> String {
    match &page.last_run {
        Some(r) => format!(
            "{} of {} · query {:?} · last run {}",
            page.entries.len(),
            documents(page.total),
            page.workflow.query,
            format_when(Some(r.ran_at))
        ),
        None => format!("not run yet · query {:?}", page.workflow.query),
    }
}

/// Plain text as on the seed pages.
pub fn terminal(page: &Page) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Workflow\n{}\nSearch documents\n", page.workflow.name);
    for e in &page.entries {
        let d = &e.document;
        let _ = writeln!(out, "{}", d.title);
        let _ = writeln!(out, "{} · {}", d.source, format_when(d.published_at));
        match &e.digest {
            Some(g) => out.push_str(&render_terminal(g)),
            None => out.push_str("(no digest yet)\n"),
        }
        let _ = writeln!(out, "[{}]\n", d.id);
    }
    let _ = writeln!(out, "{}", footer_line(page));
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
    for e in &page.entries {
        let d = &e.document;
        match d.url.as_deref().and_then(safe_url) {
            Some(url) => {
                let _ = writeln!(out, "## [{}](<{}>)\n", md_text(&d.title), url.replace('>', "%3E"));
            }
            None => {
                let _ = writeln!(out, "## {}\n", md_text(&d.title));
            }
        }
        let _ = writeln!(
            out,
            "{} · {} · `{}`\n",
            md_text(&d.source),
            format_when(d.published_at),
            d.id.replace('`', "'")
        );
        match &e.digest {
            Some(g) => out.push_str(&render_markdown(g)),
            None => out.push_str("*No digest yet.*\n"),
        }
        out.push('\n');
    }
    out
}

fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    title: &'a str,
    source: &'a str,
    published_at: Option<DateTime<Utc>>,
    /// `YYYY-MM-DD HH:MM` (UTC), as the page shows it.
    when: String,
    url: Option<&'a str>,
    lang: Lang,
    added_at: DateTime<Utc>,
    digest: Option<&'a Digest>,
}

/// The page as JSON (documents without their paragraphs; `GET /api/documents/{id}` has them).
pub fn json(page: &Page) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&JsonPage {
        workflow: &page.workflow,
        last_run: &page.last_run,
        total: page.total,
        entries: page
            .entries
            .iter()
            .map(|e| JsonEntry {
                id: &e.document.id,
                title: &e.document.title,
                source: &e.document.source,
                published_at: e.document.published_at,
                when: format_when(e.document.published_at),
                url: e.document.url.as_deref(),
                lang: e.document.lang,
                added_at: e.added_at,
                digest: e.digest.as_ref(),
            })
            .collect(),
    })
}

/// Text for XML: escaped, and without the characters XML 1.0 forbids (untrusted text may
/// carry control characters, which would make the whole feed unreadable).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An Atom 1.0 feed of the page, newest collected first: one entry per document, its digest
/// as HTML content. Ids are stable URNs, so a reader sees each document once. With `base_url`
/// the feed links to the server's pages; without, entries link to the documents' own URLs.
pub fn atom(page: &Page, base_url: Option<&str>) -> String {
    let base = base_url.map(|b| b.trim_end_matches('/'));
    let name = encode_segment(&page.workflow.name);
    let mut entries: Vec<&super::Entry> = page.entries.iter().collect();
    entries.sort_by(|a, b| {
        b.added_at
            .cmp(&a.added_at)
            .then(b.document.published_at.cmp(&a.document.published_at))
    });
    let updated = entries
        .iter()
        .map(|e| e.added_at)
        .chain(page.last_run.as_ref().map(|r| r.ran_at))
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>urn:dossier:workflow:{name}</id>");
    let _ = writeln!(out, "  <title>{}</title>", xml(&page.workflow.name));
    let _ = writeln!(
        out,
        "  <subtitle>dossier workflow · query: {}</subtitle>",
        xml(&page.workflow.query)
    );
    let _ = writeln!(out, "  <updated>{}</updated>", rfc3339(updated));
    out.push_str("  <author><name>dossier</name></author>\n  <generator>dossier</generator>\n");
    if let Some(b) = base {
        let _ = writeln!(
            out,
            "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
            xml(&format!("{b}/api/workflows/{name}/feed.atom"))
        );
        let _ = writeln!(
            out,
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml(&format!("{b}/workflows/{name}"))
        );
    }
    for e in entries {
        let d = &e.document;
        let doc_id = encode_segment(&d.id);
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>urn:dossier:document:{doc_id}</id>");
        let _ = writeln!(out, "    <title>{}</title>", xml(&d.title));
        let _ = writeln!(out, "    <updated>{}</updated>", rfc3339(e.added_at));
        if let Some(p) = d.published_at {
            let _ = writeln!(out, "    <published>{}</published>", rfc3339(p));
        }
        let _ = writeln!(out, "    <author><name>{}</name></author>", xml(&d.source));
        let page_url = base.map(|b| format!("{b}/documents/{doc_id}"));
        if let Some(u) = page_url.as_deref() {
            let _ = writeln!(
                out,
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                xml(u)
            );
        }
        if let Some(u) = d.url.as_deref().and_then(safe_url) {
            let rel = if page_url.is_some() { "related" } else { "alternate" };
            let _ = writeln!(out, "    <link rel=\"{rel}\" href=\"{}\"/>", xml(u));
        }
        let mut content = format!(
            "<p>{} · {}</p>",
            escape(&d.source),
            escape(&format_when(d.published_at))
        );
        match &e.digest {
            Some(g) => {
                let cite = |n: usize| page_url.as_ref().map(|u| format!("{u}#p{n}"));
                content.push_str(&html::digest_html(g, &cite));
            }
            None => content.push_str("<p>No digest yet.</p>"),
        }
        let _ = writeln!(out, "    <content type=\"html\">{}</content>", xml(&content));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
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
            w.workflow.name,
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

/// `dossier workflow show`: the definition and its runs.
pub fn info_text(w: &WorkflowInfo, runs: &[RunRecord]) -> String {
    let wf = &w.workflow;
    let mut out = String::new();
    let _ = writeln!(out, "Workflow {}", wf.name);
    let _ = writeln!(out, "  query:        {}", wf.query);
    if !wf.sources.is_empty() {
        let _ = writeln!(out, "  sources:      {}", wf.sources.join(", "));
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
    let _ = writeln!(out, "  summarizer:   {:?}, output {:?}", wf.summarizer, wf.output_lang);
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
    out
}

/// One line saying what a run did (the CLI prints it on stderr, the page on stdout).
pub fn outcome_text(o: &RunOutcome) -> String {
    let mut out = match &o.run {
        None => format!("{}: nothing new since the last run", o.workflow),
        Some(_) => format!(
            "{}: {}collected {}, made {}",
            o.workflow,
            if o.first_run { "first run: " } else { "" },
            documents(o.new_documents.len() as u64),
            if o.digests_made == 1 {
                "1 digest".to_string()
            } else {
                format!("{} digests", o.digests_made)
            }
        ),
    };
    if !o.digest_failures.is_empty() {
        let _ = write!(
            out,
            "; {} digests failed (the next run retries):",
            o.digest_failures.len()
        );
        for f in o.digest_failures.iter().take(5) {
            let _ = write!(out, "\n  {}: {}", f.id, f.message);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_forbidden_characters() {
        assert_eq!(xml("a\u{0}b\u{b}<c>&\"'\u{FFFF}"), "ab&lt;c&gt;&amp;&quot;&apos;");
    }
}
