//! eval: how good is search, in numbers?
//!
//! Measures retrieval quality on a BEIR-layout relevance set (corpus.jsonl, queries.jsonl,
//! qrels.tsv — e.g. ../shared/eval/cmrc2018): ingests the corpus into a fresh data directory,
//! runs every query by relevance, and reports recall@k and nDCG@k. It judges the engine through
//! its public API and must not tune anything.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::engine::{Engine, IngestOptions};
use crate::error::{Error, Location, Result};
use crate::search::{MatchMode, SearchRequest, SortOrder};

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub dataset: String,
    pub documents: u64,
    pub queries: usize,
    pub k: usize,
    pub match_mode: MatchMode,
    pub recall_at_k: f64,
    pub ndcg_at_k: f64,
    /// Share of queries whose first hit is relevant.
    pub mrr: f64,
    pub seconds: f64,
}

#[derive(Deserialize)]
struct BeirDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct BeirQuery {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

fn lines(path: &Path) -> Result<Vec<(u64, String)>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, l) in std::io::BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| Error::io(path, e))?;
        if !l.trim().is_empty() {
            out.push((i as u64 + 1, l));
        }
    }
    Ok(out)
}

fn bad(path: &Path, line: u64, message: String) -> Error {
    Error::BadInput { location: Location { file: path.to_path_buf(), line: Some(line) }, message }
}

/// Runs the evaluation in `dir` using a fresh data directory under `work_dir`.
pub fn run(base: &Config, dir: &Path, work_dir: &Path, k: usize, match_mode: MatchMode) -> Result<EvalReport> {
    let started = std::time::Instant::now();
    // The corpus in dossier's own ingest format.
    let corpus_path = dir.join("corpus.jsonl");
    let converted = work_dir.join("eval-corpus.jsonl");
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&converted).map_err(|e| Error::io(&converted, e))?,
        );
        for (n, l) in lines(&corpus_path)? {
            let d: BeirDoc = serde_json::from_str(&l).map_err(|e| bad(&corpus_path, n, e.to_string()))?;
            let rec = serde_json::json!({"id": d.id, "title": d.title, "source": "eval", "lang": "zh",
                "paragraphs": [d.text]});
            writeln!(out, "{rec}").map_err(|e| Error::io(&converted, e))?;
        }
        out.flush().map_err(|e| Error::io(&converted, e))?;
    }
    let config = Config { data_dir: work_dir.join("data"), ..base.clone() };
    let mut engine = Engine::open(config)?;
    let summary = engine.ingest(
        &[converted],
        &IngestOptions::default(),
        Arc::new(AtomicBool::new(false)),
        &mut |f| tracing::warn!(location = %f.location, "{}", f.message),
    )?;

    let qrels_path = dir.join("qrels.tsv");
    let mut qrels: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for (n, l) in lines(&qrels_path)? {
        let cols: Vec<&str> = l.split('\t').collect();
        if n == 1 && cols.first() == Some(&"query-id") {
            continue;
        }
        let [q, d, score] = cols[..] else {
            return Err(bad(&qrels_path, n, "expected query-id<TAB>corpus-id<TAB>score".into()));
        };
        let score: f64 = score.trim().parse().map_err(|_| bad(&qrels_path, n, format!("score {score:?} is not a number")))?;
        if score > 0.0 {
            qrels.entry(q.to_string()).or_default().insert(d.to_string(), score);
        }
    }
    let queries_path = dir.join("queries.jsonl");
    let (mut recall, mut ndcg, mut mrr, mut n) = (0.0, 0.0, 0.0, 0usize);
    for (line, l) in lines(&queries_path)? {
        let q: BeirQuery = serde_json::from_str(&l).map_err(|e| bad(&queries_path, line, e.to_string()))?;
        let Some(rel) = qrels.get(&q.id) else { continue };
        let request = SearchRequest {
            query: sanitize(&q.text),
            sort: SortOrder::Relevance,
            match_mode,
            limit: k,
            ..Default::default()
        };
        let hits = match engine.search(&request) {
            Ok(r) => r.hits.into_iter().map(|h| h.id).collect::<Vec<_>>(),
            // A question with no searchable words finds nothing; it still counts.
            Err(e) if e.is_user_error() => vec![],
            Err(e) => return Err(e),
        };
        let found = hits.iter().filter(|h| rel.contains_key(*h)).count();
        recall += found as f64 / rel.len() as f64;
        let dcg: f64 = hits
            .iter()
            .enumerate()
            .map(|(i, h)| rel.get(h).copied().unwrap_or(0.0) / ((i + 2) as f64).log2())
            .sum();
        let mut ideal: Vec<f64> = rel.values().copied().collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, g)| g / ((i + 2) as f64).log2()).sum();
        ndcg += if idcg > 0.0 { dcg / idcg } else { 0.0 };
        mrr += hits.iter().position(|h| rel.contains_key(h)).map(|p| 1.0 / (p + 1) as f64).unwrap_or(0.0);
        n += 1;
    }
    let n_f = n.max(1) as f64;
    Ok(EvalReport {
        dataset: dir.display().to_string(),
        documents: summary.ingested + summary.unchanged + summary.updated,
        queries: n,
        k,
        match_mode,
        recall_at_k: recall / n_f,
        ndcg_at_k: ndcg / n_f,
        mrr: mrr / n_f,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A natural-language question is not written in the query language: drop the characters
/// that have meaning there (quotes, a leading minus, a bare OR).
fn sanitize(q: &str) -> String {
    q.chars()
        .map(|c| if matches!(c, '"' | '“' | '”') { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .filter(|w| *w != "OR")
        .map(|w| w.trim_start_matches('-'))
        .collect::<Vec<_>>()
        .join(" ")
}
