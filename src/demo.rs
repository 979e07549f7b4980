//! demo: what does dossier do, in one command?
//!
//! Ingests the sample of real articles bundled in the binary (data/sample.jsonl.gz: every
//! qqnews article that mentions 稀土 plus a slice of each shared corpus, rebuilt by
//! scripts/make-sample.py) into a data directory it keeps (unless asked for a temporary one),
//! creates the 稀土供应链 workflow there and runs it, shows the workflow's page — newest first,
//! each document with its verified extractive digest — and ends with three commands to try
//! next on that same directory: a search, the web UI, and an ingest of one's own files. It
//! uses only the public engine and workflow API, as a user's own script would.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::config::Config;
use crate::engine::{Engine, IngestOptions};
use crate::error::{Error, Result};
use crate::report::terminal_safe;
use crate::workflow::{self, WorkflowInput, Workflows, render};

/// The bundled sample.
pub const SAMPLE: &[u8] = include_bytes!("../data/sample.jsonl.gz");

/// Where the demo puts its data when not told otherwise: `dossier-demo` beside the default data
/// directory (e.g. ~/.local/share/dossier-demo), so it is easy to find and to delete, and never
/// mixes the sample into one's own collection.
pub fn default_dir() -> PathBuf {
    crate::config::default_data_dir().with_file_name("dossier-demo")
}

/// Where the demo's data goes.
#[derive(Debug, Clone)]
pub enum DemoDir {
    /// Kept in this directory, which the closing commands use.
    Keep(PathBuf),
    /// A temporary directory, deleted when the demo ends.
    Temporary,
}

/// Whether [`ensure_workflow`] made the workflow or found it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowState {
    Created,
    Existing,
}

/// Makes workflow `name` searching `query` (defaults for everything else) unless one of that
/// name exists, which is left as it is: its owner may have edited it.
pub fn ensure_workflow(engine: &Engine, name: &str, query: &str) -> Result<WorkflowState> {
    let w = Workflows::open(engine.store())?;
    match w.get(name) {
        Ok(_) => Ok(WorkflowState::Existing),
        Err(Error::NotFound { .. }) => {
            let input = WorkflowInput { name: name.to_string(), query: query.to_string(), ..Default::default() };
            w.add(&input.validate(engine)?)?;
            Ok(WorkflowState::Created)
        }
        Err(e) => Err(e),
    }
}

/// Runs the demo and returns what it shows: the workflow named after `query` (created, or run
/// again if an earlier demo made it) and, for a kept directory, the next commands.
pub fn run(base: &Config, query: &str, dir: &DemoDir) -> Result<String> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let data_dir = match dir {
        DemoDir::Keep(d) => d.clone(),
        DemoDir::Temporary => tmp.path().join("data"),
    };
    std::fs::create_dir_all(&data_dir).map_err(|e| Error::io(&data_dir, e))?;
    // The sample stays beside the data, so the printed ingest command has a file to read.
    let sample = data_dir.join("sample.jsonl.gz");
    std::fs::write(&sample, SAMPLE).map_err(|e| Error::io(&sample, e))?;
    let config = Config { data_dir: data_dir.clone(), ..base.clone() };
    let mut engine = Engine::open(config)?;
    let summary = engine.ingest(
        std::slice::from_ref(&sample),
        &IngestOptions::default(),
        Arc::new(AtomicBool::new(false)),
        &mut |f| tracing::warn!(location = %f.location, "{}", f.message),
    )?;
    let state = ensure_workflow(&engine, query, query)?;
    let outcome = workflow::run(&engine, query)?;
    let page = Workflows::open(engine.store())?.page(query, workflow::DEFAULT_PAGE_LIMIT)?;

    let mut out = String::new();
    let kept = matches!(dir, DemoDir::Keep(_));
    let _ = writeln!(
        out,
        "Sample: {} real articles in {}{}",
        summary.ingested + summary.updated + summary.unchanged,
        data_dir.display(),
        if kept { "" } else { " (temporary)" },
    );
    let _ = writeln!(
        out,
        "{} workflow {}: {}",
        match state {
            WorkflowState::Created => "Created",
            WorkflowState::Existing => "Ran the existing",
        },
        terminal_safe(query),
        render::outcome_text(&outcome).trim_end().split_once(": ").map_or("", |(_, what)| what)
    );
    out.push('\n');
    out.push_str(&render::terminal(&page));
    out.push('\n');
    if kept {
        out.push_str(&next_commands(&data_dir, query, &base.serve.addr, &sample));
    } else {
        let _ = writeln!(
            out,
            "The temporary directory is deleted now. Run `dossier demo` without --temp to keep the data and \
             get three commands to try on it."
        );
    }
    Ok(out)
}

/// The closing lines: three commands that work as printed on `data_dir`.
fn next_commands(data_dir: &Path, query: &str, addr: &str, sample: &Path) -> String {
    let dossier = format!("dossier --data-dir {}", sh_quote(&data_dir.display().to_string()));
    let words: Vec<String> = query.split_whitespace().map(sh_quote).collect();
    let mut out = String::new();
    let _ = writeln!(out, "The demo's data stays in {}. Try next:", data_dir.display());
    let _ = writeln!(out, "  {dossier} search {}", words.join(" "));
    let _ = writeln!(out, "  {dossier} serve    # then open http://{addr}/workflows/{}", url_segment(query));
    let _ = writeln!(
        out,
        "  {dossier} ingest {}    # or your own files, directories, .jsonl(.gz), RSS/Atom feeds",
        sh_quote(&sample.display().to_string())
    );
    let _ = writeln!(out, "Delete that directory when you are done with the demo.");
    out
}

/// `s` as one shell word: unchanged when it holds nothing a POSIX shell would act on,
/// otherwise in single quotes.
fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | ':' | '@' | '+' | ',' | '='));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A URL path segment that a browser takes as typed: ASCII other than unreserved characters is
/// percent-encoded, other characters stay readable (browsers encode them themselves).
fn url_segment(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let readable = if c.is_ascii() {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
        } else {
            !c.is_control() && !c.is_whitespace()
        };
        if readable {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_a_shell_would_act_on_them() {
        assert_eq!(sh_quote("/home/u/.local/share/dossier-demo"), "/home/u/.local/share/dossier-demo");
        assert_eq!(sh_quote("稀土供应链"), "稀土供应链");
        assert_eq!(sh_quote("/tmp/my demo"), "'/tmp/my demo'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("$HOME"), "'$HOME'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn url_segments_keep_chinese_readable_and_encode_ascii_syntax() {
        assert_eq!(url_segment("稀土供应链"), "稀土供应链");
        assert_eq!(url_segment("稀土 出口/周报?"), "稀土%20出口%2F周报%3F");
    }
}
