//! demo: what does dossier do, in one command?
//!
//! Ingests the sample of real articles bundled in the binary (data/sample.jsonl.gz: every
//! qqnews article that mentions 稀土 plus a slice of each shared corpus, rebuilt by
//! scripts/make-sample.py) into a temporary data directory, then shows a workflow query's
//! documents newest first, each with its verified extractive digest. It uses only the public engine API, as a user's own script would.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::config::Config;
use crate::engine::{Engine, IngestOptions};
use crate::error::{Error, Result};
use crate::report::{self, Highlight};
use crate::search::{SearchRequest, SortOrder};

/// The bundled sample.
pub const SAMPLE: &[u8] = include_bytes!("../data/sample.jsonl.gz");

/// Runs the demo and returns what it shows. `keep` keeps the data directory there.
pub fn run(base: &Config, query: &str, keep: Option<&Path>) -> Result<String> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let data_dir = keep.map(Path::to_path_buf).unwrap_or_else(|| tmp.path().join("data"));
    let sample = tmp.path().join("sample.jsonl.gz");
    std::fs::write(&sample, SAMPLE).map_err(|e| Error::io(&sample, e))?;
    let config = Config { data_dir: data_dir.clone(), ..base.clone() };
    let mut engine = Engine::open(config)?;
    let summary = engine.ingest(
        &[sample],
        &IngestOptions::default(),
        Arc::new(AtomicBool::new(false)),
        &mut |f| tracing::warn!(location = %f.location, "{}", f.message),
    )?;
    let results = engine.search(&SearchRequest {
        query: query.to_string(),
        sort: SortOrder::Newest,
        limit: 10,
        ..Default::default()
    })?;
    // Each hit with its digest, as on the seed pages (offline extractive summarizer).
    let opts = crate::digesting::DigestOptions { query: Some(query.to_string()), ..Default::default() };
    let mut digests = Vec::with_capacity(results.hits.len());
    for hit in &results.hits {
        digests.push(Some(crate::digest::render_terminal(&engine.digester().digest(&hit.id, &opts)?)));
    }
    let mut out = String::new();
    out.push_str(&format!(
        "Sample: {} real articles ingested into {}{}\n\nWorkflow\n{}\nSearch documents\n\n",
        summary.ingested + summary.updated + summary.unchanged,
        data_dir.display(),
        if keep.is_some() { "" } else { " (temporary)" },
        query
    ));
    out.push_str(&report::search_text(&results, Highlight::Markdown, Some(&digests)));
    Ok(out)
}
