//! Bad input: every kind of broken record gets a clear error naming file, line and problem;
//! the rest still ingests; the exit status says something failed.

use super::*;

fn good(id: &str, text: &str) -> String {
    serde_json::json!({"id": id, "title": format!("标题{id}"), "source": "s", "published_at": "2024-05-01",
        "lang": "zh", "paragraphs": [text]})
    .to_string()
}

/// A file with one good record between each kind of bad one.
fn mixed_file(dir: &Path) -> PathBuf {
    let mut bytes: Vec<u8> = Vec::new();
    let mut push = |l: &[u8]| {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    };
    push(good("g1", "稀土价格上涨").as_bytes());
    push(br#"{"id": "m1", "title": "broken", "paragraphs": ["#); // malformed JSON
    push(good("g2", "锂价下跌").as_bytes());
    let mut invalid = good("iu", "无效编码").into_bytes();
    invalid.splice(30..30, [0xff, 0xfe]); // invalid UTF-8 inside the line
    push(&invalid);
    push(good("g3", "光伏装机").as_bytes());
    push(good("g1", "重复的编号").as_bytes()); // duplicate id in this file
    push(br#"{"id": "np", "title": "no paragraphs", "lang": "zh"}"#); // missing paragraphs
    push(br#"{"id": "bd", "title": "bad date", "published_at": "May fifth", "paragraphs": ["x"]}"#);
    push(good("g4", "铜价走高").as_bytes());
    let f = dir.join("mixed.jsonl");
    write(&f, bytes);
    f
}

#[test]
fn each_bad_record_is_reported_and_the_rest_ingests() {
    let dir = tempdir();
    let f = mixed_file(dir.path());
    let o = run(dossier(dir.path()).args(["ingest"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "must fail when a record failed");
    let err = stderr(&o).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("bad_input_errors", err);
    let out = stdout(&o);
    assert!(out.contains("ingested 4") && out.contains("failed 5"), "{out}");
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["documents"], 4);
    assert_eq!(stats["index_documents"], 4);
}

#[test]
fn strict_stops_at_the_first_error_keeping_what_came_before() {
    let dir = tempdir();
    let f = mixed_file(dir.path());
    let o = run(dossier(dir.path()).args(["ingest", "--strict", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert_eq!((s["ingested"].as_u64(), s["failed"].as_u64()), (Some(1), Some(1)), "{s}");
}

#[test]
fn an_enormous_document_is_refused_with_its_size() {
    let dir = tempdir();
    let big = "稀".repeat(50 * 1024 * 1024 / 3);
    let f = dir.path().join("big.jsonl");
    write(&f, format!("{}\n{}\n", serde_json::json!({"id": "big", "title": "big", "paragraphs": [big]}), good("after", "后面的文档")));
    let o = run(dossier(dir.path()).args(["ingest"]).arg(&f));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("big.jsonl:1") && err.contains("MB"), "{err}");
    assert!(stdout(&o).contains("ingested 1"), "{}", stdout(&o));
}

#[test]
fn a_missing_path_is_a_user_error() {
    let dir = tempdir();
    let o = run(dossier(dir.path()).args(["ingest", "/nonexistent/news.jsonl"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/news.jsonl"), "{}", stderr(&o));
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_damage() {
    let dir = tempdir();
    let bytes = std::fs::read(sample()).unwrap_or_default();
    let f = dir.path().join("cut.jsonl.gz");
    write(&f, &bytes[..bytes.len() / 2]);
    let o = run(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert!(s["ingested"].as_u64().unwrap_or(0) > 500, "{s}");
    assert!(stderr(&o).contains("cut.jsonl.gz"), "{}", stderr(&o));
}
