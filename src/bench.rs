//! bench: how fast does search answer?
//!
//! Measures query latency the way a user meets it — parse, search, hydrate from the store,
//! snippets — over a query list (one query a line, e.g. ../shared/bench/queries.txt): warm-up
//! pass, then several timed passes, reported as p50 / p99 / max per sort order. It measures;
//! it asserts nothing (speed is recorded in BENCHMARKS.md, never checked by a timed test).

use std::time::Instant;

use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::search::{SearchRequest, SortOrder};

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub sort: SortOrder,
    pub queries: usize,
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_hits: f64,
}

/// Times every query `runs` times (after one warm-up pass) with each sort order, top `limit`.
pub fn query_latency(engine: &mut Engine, queries: &[String], runs: usize, limit: usize) -> Result<Vec<Latency>> {
    let mut out = Vec::new();
    for sort in [SortOrder::Newest, SortOrder::Relevance] {
        let request = |q: &str| SearchRequest { query: q.to_string(), sort, limit, ..Default::default() };
        let mut total_hits = 0usize;
        for q in queries {
            total_hits += engine.search(&request(q))?.total;
        }
        let mut samples = Vec::with_capacity(queries.len() * runs);
        for _ in 0..runs.max(1) {
            for q in queries {
                let t = Instant::now();
                let r = engine.search(&request(q))?;
                samples.push(t.elapsed().as_secs_f64() * 1e3);
                std::hint::black_box(r);
            }
        }
        samples.sort_by(f64::total_cmp);
        let pick = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1).min(samples.len() - 1)];
        out.push(Latency {
            sort,
            queries: queries.len(),
            samples: samples.len(),
            p50_ms: pick(0.50),
            p99_ms: pick(0.99),
            max_ms: samples.last().copied().unwrap_or(0.0),
            mean_hits: total_hits as f64 / queries.len().max(1) as f64,
        });
    }
    Ok(out)
}
