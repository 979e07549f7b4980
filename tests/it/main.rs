//! Integration tests: drive the real `dossier` binary on the real sample bundled in data/ and on
//! the small fixtures in tests/fixtures/, so that a bare clone runs them all; the checks over
//! the full shared corpora are scripts/full-corpus-checks.sh. One module per feature.

mod bad_input;
mod demo;
mod digest;
mod eval;
mod ingest;
mod interrupt;
mod llm;
mod pdf;
mod processes;
mod provenance;
mod query;
mod search;
mod stories;
mod serve;
mod sources;
mod terminal;
mod workflow;
mod browser;
mod webui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repo root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The three real saved result pages (copies of ../shared/seeds/).
pub fn seeds() -> PathBuf {
    root().join("tests/fixtures/seed/real")
}

pub fn sample() -> PathBuf {
    root().join("data").join("sample.jsonl.gz")
}

/// A `dossier` command on `data_dir`, with a quiet log and a clean environment.
pub fn dossier(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.arg("--data-dir").arg(data_dir);
    c.env_remove("DOSSIER_DATA_DIR").env_remove("DOSSIER_CONFIG").env_remove("DOSSIER_PUBLIC_URL").env("RUST_LOG", "warn");
    c
}

/// Runs a command, returning its output; panics with stderr when it could not start.
pub fn run(cmd: &mut Command) -> Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("could not run {cmd:?}: {e}"),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and requires success.
pub fn ok(cmd: &mut Command) -> String {
    let o = run(cmd);
    assert!(o.status.success(), "{cmd:?} failed ({}):\n{}\n{}", o.status, stdout(&o), stderr(&o));
    stdout(&o)
}

pub fn json(cmd: &mut Command) -> serde_json::Value {
    let out = ok(cmd);
    match serde_json::from_str(&out) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}):\n{out}"),
    }
}

/// A data directory holding the bundled sample, ingested once per test run and shared by
/// read-only tests.
pub fn sample_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        ok(dossier(dir.path()).arg("ingest").arg(sample()));
        dir
    })
    .path()
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Where skipped tests leave their reports: one file per test, named after it.
fn skip_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped")
}

/// Reports that `test` did not run, and why. libtest shows a passing test as `ok` and swallows
/// what it prints with `eprintln!`, so the notice goes straight to the process's stderr, and
/// a report file `target/tmp/skipped/<test>` stays until the test runs for real:
/// `ls target/tmp/skipped` lists what the last runs left out. Each notice carries a running count,
/// so the last one says how many tests this run left out.
pub fn skipped(test: &str, why: &str) {
    static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let count = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let dir = skip_dir();
    let line = format!(
        "SKIPPED: {test} did NOT run ({count} skipped so far in this run): {why} (report in {})\n",
        dir.display()
    );
    // Not eprintln!: the test harness would capture it.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{line}").as_bytes());
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(test), line));
}

/// Clears the skip report of `test`: it ran.
pub fn ran(test: &str) {
    let _ = std::fs::remove_file(skip_dir().join(test));
}
