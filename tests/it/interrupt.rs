//! An interrupted ingest (Ctrl-C, kill -9) loses nothing reported as ingested, leaves store and
//! index consistent, and a rerun completes it.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

/// A JSONL file of `copies` renamed copies of the sample: big enough to interrupt mid-way.
pub(super) fn big_input(dir: &Path, copies: usize) -> (PathBuf, usize) {
    let text = {
        let f = std::fs::File::open(sample()).unwrap_or_else(|e| panic!("{e}"));
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(f), &mut s);
        s
    };
    let path = dir.join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}")));
    let mut n = 0;
    for c in 0..copies {
        for line in text.lines() {
            let Ok(mut v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let id = format!("{}-copy{c}", v["id"].as_str().unwrap_or(""));
            v["id"] = id.into();
            // Vary the text so copies are not exact duplicates.
            if let Some(p) = v["paragraphs"].as_array_mut() {
                p.push(format!("副本{c}").into());
            }
            let _ = writeln!(out, "{v}");
            n += 1;
        }
    }
    let _ = out.flush();
    (path, n)
}

pub(super) fn wait_for_rows(dir: &Path, at_least: u64, child: &mut std::process::Child) {
    let db = dir.join("dossier.db");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "ingest made no progress");
        if let Ok(Some(_)) = child.try_wait() {
            panic!("ingest finished before it could be interrupted; make the input bigger");
        }
        if let Ok(conn) = rusqlite::Connection::open(&db) {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0)).unwrap_or(0);
            if n as u64 >= at_least {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_consistent_and_complete(dir: &Path, input: &Path, expected: usize) {
    let s = json(dossier(dir).args(["ingest", "--json"]).arg(input));
    let total = s["ingested"].as_u64().unwrap_or(0) + s["unchanged"].as_u64().unwrap_or(0);
    assert_eq!(total as usize, expected, "rerun did not complete the ingest: {s}");
    let stats = json(dossier(dir).args(["stats", "--json"]));
    assert_eq!(stats["documents"].as_u64(), Some(expected as u64));
    assert_eq!(stats["index_documents"].as_u64(), Some(expected as u64), "{stats}");
    assert_eq!(stats["index_lag"], 0);
}

#[test]
fn kill_9_mid_ingest_then_rerun_completes() {
    let dir = tempdir();
    let (input, expected) = big_input(dir.path(), 6);
    let mut child = dossier(dir.path())
        .args(["ingest"])
        .arg(&input)
        .env("DOSSIER_INDEX_HEAP_MB", "64")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_rows(dir.path(), 3000, &mut child);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    // What the store holds must be searchable after the next command catches the index up.
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    let stored = stats["documents"].as_u64().unwrap_or(0);
    assert!(stored >= 2000, "{stats}");
    let found = json(dossier(dir.path()).args(["search", "*", "--json", "--limit", "1"]));
    assert_eq!(found["total"].as_u64(), Some(stored), "index did not catch up: {found}");
    assert_consistent_and_complete(dir.path(), &input, expected);
}

#[test]
fn ctrl_c_commits_reports_and_exits_130() {
    let dir = tempdir();
    let (input, expected) = big_input(dir.path(), 6);
    let mut child = dossier(dir.path())
        .args(["ingest", "--json"])
        .arg(&input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_rows(dir.path(), 3000, &mut child);
    // SIGINT, as a terminal's Ctrl-C sends.
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(s["interrupted"], true, "{s}");
    let reported = s["ingested"].as_u64().unwrap_or(0);
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    assert!(stats["documents"].as_u64().unwrap_or(0) >= reported, "reported {reported}, stored {stats}");
    assert_eq!(stats["index_documents"], stats["documents"]);
    assert_consistent_and_complete(dir.path(), &input, expected);
}
