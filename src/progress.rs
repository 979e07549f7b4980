//! progress: how does long work show that it is moving?
//!
//! A progress report for ingest, reindex and digest runs: a live bar with documents/s and MB/s
//! when stderr is a terminal, plain `tracing` lines every few seconds otherwise (logs, CI). It
//! only displays; it must not decide anything about the work it reports on.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    /// Whether the amount of work is bytes (ingest, reindex) or documents (digests).
    in_bytes: bool,
    label: &'static str,
    total: u64,
    started: Instant,
    last_log: Instant,
    docs: u64,
    bytes: u64,
}

impl Progress {
    /// `total_bytes` is the amount of work in bytes (0 when unknown). `interactive` chooses the
    /// bar over log lines; pass whether stderr is a terminal.
    pub fn new(label: &'static str, total_bytes: u64, interactive: bool) -> Progress {
        Progress::with_unit(label, total_bytes, interactive, true)
    }

    /// Progress over `total_docs` documents (work not measured in bytes).
    pub fn docs(label: &'static str, total_docs: u64, interactive: bool) -> Progress {
        Progress::with_unit(label, total_docs, interactive, false)
    }

    fn with_unit(label: &'static str, total: u64, interactive: bool, in_bytes: bool) -> Progress {
        let bar = interactive.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = if in_bytes {
                "{prefix:>8} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}"
            } else {
                "{prefix:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}"
            };
            let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress { bar, in_bytes, label, total, started: now, last_log: now, docs: 0, bytes: 0 }
    }

    /// A progress report that shows nothing (tests, library callers).
    pub fn hidden() -> Progress {
        Progress::new("", 0, false).silent()
    }

    fn silent(mut self) -> Progress {
        self.label = "";
        self
    }

    /// Records that the work has reached `bytes` and `docs` so far.
    pub fn update(&mut self, bytes: u64, docs: u64) {
        self.bytes = bytes;
        self.docs = docs;
        let secs = self.started.elapsed().as_secs_f64().max(1e-6);
        if let Some(bar) = &self.bar {
            bar.set_position(bytes.min(self.total.max(bytes)));
            bar.set_message(format!("{docs} docs, {:.0} docs/s", docs as f64 / secs));
        } else if !self.label.is_empty() && self.last_log.elapsed() >= Duration::from_secs(5) {
            self.last_log = Instant::now();
            if !self.in_bytes {
                tracing::info!(
                    task = self.label,
                    docs,
                    of_docs = self.total,
                    docs_per_s = format!("{:.0}", docs as f64 / secs),
                    "progress"
                );
                return;
            }
            tracing::info!(
                task = self.label,
                docs,
                mb = format!("{:.1}", bytes as f64 / 1e6),
                of_mb = format!("{:.1}", self.total as f64 / 1e6),
                docs_per_s = format!("{:.0}", docs as f64 / secs),
                mb_per_s = format!("{:.1}", bytes as f64 / 1e6 / secs),
                "progress"
            );
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}
