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
    /// The queries with the slowest median, slowest first (where a p99 comes from).
    pub slowest: Vec<QueryTime>,
}

/// One query's median time over the runs, and how many documents it matched.
#[derive(Debug, Clone, Serialize)]
pub struct QueryTime {
    pub query: String,
    pub median_ms: f64,
    pub hits: usize,
}

/// Queries listed in [`Latency::slowest`].
const SLOWEST: usize = 5;

/// Times every query `runs` times (after one warm-up pass) with each sort order, top `limit`.
pub fn query_latency(engine: &mut Engine, queries: &[String], runs: usize, limit: usize) -> Result<Vec<Latency>> {
    let mut out = Vec::new();
    for sort in [SortOrder::Newest, SortOrder::Relevance] {
        let request = |q: &str| SearchRequest { query: q.to_string(), sort, limit, ..Default::default() };
        let mut hits = Vec::with_capacity(queries.len());
        for q in queries {
            hits.push(engine.search(&request(q))?.total);
        }
        let total_hits: usize = hits.iter().sum();
        let mut samples = Vec::with_capacity(queries.len() * runs);
        let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
        for _ in 0..runs.max(1) {
            for (i, q) in queries.iter().enumerate() {
                let t = Instant::now();
                let r = engine.search(&request(q))?;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                samples.push(ms);
                per_query[i].push(ms);
                std::hint::black_box(r);
            }
        }
        let mut slowest: Vec<QueryTime> = per_query
            .iter_mut()
            .zip(queries)
            .zip(&hits)
            .map(|((times, q), &hits)| {
                times.sort_by(f64::total_cmp);
                QueryTime { query: q.clone(), median_ms: times[times.len() / 2], hits }
            })
            .collect();
        slowest.sort_by(|a, b| b.median_ms.total_cmp(&a.median_ms));
        slowest.truncate(SLOWEST);
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
            slowest,
        });
    }
    Ok(out)
}
