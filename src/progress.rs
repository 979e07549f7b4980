//! progress: how does long work show that it is moving?
//!
//! A progress report for ingest, reindex and digest runs: a live bar with documents/s and MB/s
//! when stderr is a terminal, plain `tracing` lines every few seconds otherwise (logs, CI). It
//! only displays; it must not decide anything about the work it reports on. Each log line says
//! what its numbers measure: ingest counts input bytes read of the inputs' size on disk (a .gz
//! input is counted compressed) and, separately, MB of new document text; reindex counts
//! document text; digest runs count documents.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the amount of work is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Bytes of the input files as read (compressed for .gz).
    InputBytes,
    /// Bytes of document text.
    TextBytes,
    Documents,
}

pub struct Progress {
    bar: Option<ProgressBar>,
    unit: Unit,
    label: &'static str,
    total: u64,
    started: Instant,
    last_log: Instant,
    docs: u64,
    bytes: u64,
    /// New document text so far (ingest), reported beside the input bytes.
    text_bytes: u64,
}

/// The numbers of one progress log line, named for what they measure.
#[derive(Debug, Clone, PartialEq)]
struct LogLine {
    docs: u64,
    docs_per_s: f64,
    /// (done, total, per second) in the unit of the work, MB for bytes.
    done: f64,
    of: f64,
    per_s: f64,
    /// MB of new text, for work measured in input bytes.
    new_text_mb: Option<f64>,
}

impl Progress {
    /// Progress over input files of `total_bytes` on disk (0 when unknown). `interactive`
    /// chooses the bar over log lines; pass whether stderr is a terminal.
    pub fn new(label: &'static str, total_bytes: u64, interactive: bool) -> Progress {
        Progress::with_unit(label, total_bytes, interactive, Unit::InputBytes)
    }

    /// Progress over `total_bytes` of document text.
    pub fn text(label: &'static str, total_bytes: u64, interactive: bool) -> Progress {
        Progress::with_unit(label, total_bytes, interactive, Unit::TextBytes)
    }

    /// Progress over `total_docs` documents (work not measured in bytes).
    pub fn docs(label: &'static str, total_docs: u64, interactive: bool) -> Progress {
        Progress::with_unit(label, total_docs, interactive, Unit::Documents)
    }

    fn with_unit(label: &'static str, total: u64, interactive: bool, unit: Unit) -> Progress {
        let bar = interactive.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = if unit == Unit::Documents {
                "{prefix:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}"
            } else {
                "{prefix:>8} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}"
            };
            let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress { bar, unit, label, total, started: now, last_log: now, docs: 0, bytes: 0, text_bytes: 0 }
    }

    /// A progress report that shows nothing (tests, library callers).
    pub fn hidden() -> Progress {
        Progress::new("", 0, false).silent()
    }

    fn silent(mut self) -> Progress {
        self.label = "";
        self
    }

    /// Records the new document text so far, for work measured in input bytes; call before
    /// [`Progress::update`].
    pub fn set_text_bytes(&mut self, text_bytes: u64) {
        self.text_bytes = text_bytes;
    }

    /// Records that the work has reached `bytes` (or documents, for [`Progress::docs`]) and
    /// `docs` so far.
    pub fn update(&mut self, bytes: u64, docs: u64) {
        self.bytes = bytes;
        self.docs = docs;
        let secs = self.started.elapsed().as_secs_f64().max(1e-6);
        if let Some(bar) = &self.bar {
            bar.set_position(bytes.min(self.total.max(bytes)));
            bar.set_message(format!("{docs} docs, {:.0} docs/s", docs as f64 / secs));
        } else if !self.label.is_empty() && self.last_log.elapsed() >= Duration::from_secs(5) {
            self.last_log = Instant::now();
            let l = self.log_line(secs);
            let docs_per_s = format!("{:.0}", l.docs_per_s);
            match self.unit {
                Unit::Documents => tracing::info!(
                    task = self.label,
                    docs,
                    of_docs = self.total,
                    docs_per_s,
                    "progress"
                ),
                Unit::InputBytes => tracing::info!(
                    task = self.label,
                    docs,
                    input_mb_read = format!("{:.1}", l.done),
                    of_input_mb = format!("{:.1}", l.of),
                    input_mb_per_s = format!("{:.1}", l.per_s),
                    new_text_mb = format!("{:.1}", l.new_text_mb.unwrap_or_default()),
                    docs_per_s,
                    "progress"
                ),
                Unit::TextBytes => tracing::info!(
                    task = self.label,
                    docs,
                    text_mb = format!("{:.1}", l.done),
                    of_text_mb = format!("{:.1}", l.of),
                    text_mb_per_s = format!("{:.1}", l.per_s),
                    docs_per_s,
                    "progress"
                ),
            }
        }
    }

    fn log_line(&self, secs: f64) -> LogLine {
        let scale = if self.unit == Unit::Documents { 1.0 } else { 1e6 };
        LogLine {
            docs: self.docs,
            docs_per_s: self.docs as f64 / secs,
            done: self.bytes as f64 / scale,
            of: self.total as f64 / scale,
            per_s: self.bytes as f64 / scale / secs,
            new_text_mb: (self.unit == Unit::InputBytes).then(|| self.text_bytes as f64 / 1e6),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 75.1 MB .gz holding 300 MB of text: the input's share and the text are two numbers,
    /// never one `mb` of the other's `of_mb`.
    #[test]
    fn ingest_reports_input_bytes_of_input_size_and_text_apart() {
        let mut p = Progress::new("ingest", 75_100_000, false);
        p.set_text_bytes(150_000_000);
        p.bytes = 37_550_000;
        p.docs = 1000;
        let l = p.log_line(10.0);
        assert_eq!((l.done, l.of, l.per_s), (37.55, 75.1, 3.755));
        assert_eq!(l.new_text_mb, Some(150.0));
        assert_eq!((l.docs, l.docs_per_s), (1000, 100.0));
    }

    #[test]
    fn reindex_reports_text_and_digests_report_documents() {
        let mut p = Progress::text("reindex", 300_000_000, false);
        p.bytes = 30_000_000;
        let l = p.log_line(1.0);
        assert_eq!((l.done, l.of, l.new_text_mb), (30.0, 300.0, None));
        let mut p = Progress::docs("digest", 50, false);
        p.bytes = 5;
        let l = p.log_line(1.0);
        assert_eq!((l.done, l.of, l.new_text_mb), (5.0, 50.0, None));
    }
}
