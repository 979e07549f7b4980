//! Stories: copies of one story ingested in two batches are one story — a workflow run counts it
//! once, the late copy joins the story page, search collapses it (`--collapse none` does not) —
//! and a kill -9 during ingest leaves every document in exactly one story after a rerun.

use std::process::Stdio;

use serde_json::Value;

use super::*;

fn fixture_lines() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/stories/eu_wind.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    text.lines().map(str::to_string).collect()
}

fn line_of(lines: &[String], id: &str) -> String {
    lines.iter().find(|l| l.contains(&format!("\"id\": \"{id}\""))).cloned().unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn a_late_copy_joins_its_story_and_is_not_new_to_a_workflow() {
    let dir = tempdir();
    let d = dir.path();
    let lines = fixture_lines();
    let first = d.join("first.jsonl");
    let late = d.join("late.jsonl");
    write(&first, format!("{}\n{}\n", line_of(&lines, "qq-21472"), line_of(&lines, "qq-21505")));
    write(&late, format!("{}\n", line_of(&lines, "qq-21473")));

    ok(dossier(d).arg("ingest").arg(&first));
    ok(dossier(d).args(["workflow", "add", "风电", "--query", "风电", "--first-run", "10"]));
    let run1 = run(dossier(d).args(["workflow", "run", "风电", "--format", "json"]));
    assert!(run1.status.success(), "{}", stderr(&run1));
    assert!(stderr(&run1).contains("collected 1 document"), "{}", stderr(&run1));

    ok(dossier(d).arg("ingest").arg(&late));
    let run2 = run(dossier(d).args(["workflow", "run", "风电", "--format", "json"]));
    assert!(run2.status.success(), "{}", stderr(&run2));
    // The late copy is collected (and digested) but is no new story.
    assert!(stderr(&run2).contains("collected 0 documents"), "{}", stderr(&run2));
    let page: Value = serde_json::from_str(&stdout(&run2)).unwrap_or_else(|e| panic!("{e}"));
    let entries = page["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "one entry for the story: {page}");
    assert_eq!(entries[0]["id"], "qq-21472", "the more complete text stands for the story");
    assert_eq!(entries[0]["story"]["size"], 2);
    assert_eq!(entries[0]["also"][0]["id"], "qq-21473");
    let md = ok(dossier(d).args(["workflow", "show", "风电", "--format", "markdown"]));
    assert!(md.contains("+1 source: 腾讯新闻 2023-10-10 (dossier story"), "{md}");

    // The story page lists both, each with what it adds.
    let story = json(dossier(d).args(["story", "qq-21473", "--json"]));
    let ids: Vec<&str> = story["members"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["qq-21472", "qq-21473"], "{story}");
    assert!(story["digest"].as_array().is_some_and(|d| !d.is_empty()), "{story}");
    let text = ok(dossier(d).args(["story", story["id"].to_string().as_str()]));
    assert!(text.contains("qq-21472 ["), "{text}");

    // Search: one hit per story newest first; every document with --collapse none.
    let hits = json(dossier(d).args(["search", "风电", "--json"]));
    assert_eq!(hits["hits"].as_array().map(Vec::len), Some(1), "{hits}");
    assert_eq!(hits["hits"][0]["story"]["size"], 2);
    let all = json(dossier(d).args(["search", "风电", "--json", "--collapse", "none"]));
    assert_eq!(all["hits"].as_array().map(Vec::len), Some(2), "{all}");
    assert_eq!(all["hits"][1]["story"], all["hits"][0]["story"]);
    let missing = run(dossier(d).args(["story", "999"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("not found"), "{}", stderr(&missing));
}

#[test]
fn kill_9_mid_ingest_then_rerun_leaves_every_document_in_one_story() {
    let dir = tempdir();
    let (input, expected) = super::interrupt::big_input(dir.path(), 4);
    let mut child = dossier(dir.path())
        .args(["ingest"])
        .arg(&input)
        .env("DOSSIER_INDEX_HEAP_MB", "64")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    super::interrupt::wait_for_rows(dir.path(), 2000, &mut child);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    ok(dossier(dir.path()).arg("ingest").arg(&input));
    let conn = rusqlite::Connection::open(dir.path().join("dossier.db")).unwrap_or_else(|e| panic!("{e}"));
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}")) };
    assert_eq!(count("SELECT COUNT(*) FROM documents") as usize, expected);
    assert_eq!(count("SELECT COUNT(*) FROM documents WHERE id NOT IN (SELECT doc_id FROM story_members)"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM story_members WHERE doc_id NOT IN (SELECT id FROM documents)"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM story_members WHERE story_id NOT IN (SELECT id FROM stories)"), 0);
    // The renamed copies of one article (each with a line of its own) are one story.
    assert_eq!(count("SELECT COUNT(DISTINCT story_id) FROM story_members WHERE doc_id LIKE 'qq-21472-copy%' OR doc_id LIKE 'qq-21473-copy%'"), 1);
}

/// The section of `text` from the line starting with `from` up to (not including) the first line
/// after it that starts with one of `until`.
fn section<'a>(text: &'a str, from: &str, until: &[&str]) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{text}"));
    let rest = &text[start..];
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| until.iter().any(|u| rest[i..].starts_with(u)))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Three real copies of one Tencent News article (qqnews qq-18608, qq-18609, qq-18566, all of
/// 2023-09-01): qq-18609 [12] prices the new long-range Model 3 at 39.59万元 where the other
/// two say 29.59万元. The story page and the workflow brief flag that, each value cited, before
/// the figures all three agree on (Tesla's Q2 revenue), which are listed once with every source.
#[test]
fn a_figure_real_copies_disagree_on_is_flagged_on_the_story_page_and_in_the_brief() {
    let dir = tempdir();
    let d = dir.path();
    ok(dossier(d).arg("ingest").arg(root().join("tests/fixtures/stories/model3_price.jsonl")));
    let story = json(dossier(d).args(["story", "qq-18609", "--json"]));
    let ids: Vec<&str> = story["members"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids.len(), 3, "the three copies are one story: {story}");
    let price: Vec<&Value> = story["figures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["conflicts_with"].as_array().is_some_and(|c| !c.is_empty()))
        .collect();
    let raws: Vec<&str> = price.iter().filter_map(|f| f["raw"].as_str()).collect();
    assert_eq!(raws, ["29.59万元", "39.59万元"], "{story}");
    assert_eq!(price[1]["conflicts_with"][0], "29.59万元", "{story}");

    let text = ok(dossier(d).args(["story", story["id"].to_string().as_str()]));
    let ledger = section(&text, "Figures (conflicts first)", &["Sources"]);
    let conflict = ledger.lines().nth(1).unwrap_or_default();
    assert!(
        conflict.starts_with("! 长续航全轮驱动焕新版的售价: 29.59万元 — ")
            && ["qq-18608 [4][12]", "qq-18609 [4]", "qq-18566 [4][12]"].iter().all(|c| conflict.contains(c))
            && conflict.ends_with(" ≠ 39.59万元 — qq-18609 [12] (sources disagree)"),
        "the disputed price comes first, both values cited:\n{ledger}"
    );
    let revenue: Vec<&str> = ledger.lines().filter(|l| l.contains("249.27亿美元")).collect();
    assert_eq!(revenue.len(), 1, "an agreed figure is listed once: {ledger}");
    assert!(revenue[0].starts_with("- 特斯拉营收 (2023年Q2): 249.27亿美元 — ") && revenue[0].matches(" [29]").count() == 3, "{ledger}");
    insta::assert_snapshot!("story_model3_ledger", ledger);

    ok(dossier(d).args(["workflow", "add", "特斯拉", "--query", "特斯拉", "--first-run", "10"]));
    ok(dossier(d).args(["workflow", "run", "特斯拉"]));
    let page = ok(dossier(d).args(["workflow", "show", "特斯拉"]));
    let brief = section(&page, "Figures the sources disagree on", &["New since", "First run"]);
    let conflict = brief.lines().nth(1).unwrap_or_default();
    assert!(
        conflict.starts_with("  ! 长续航全轮驱动焕新版的售价: 29.59万元 ")
            && ["qq-18608 [4][12]", "qq-18609 [4]", "qq-18566 [4][12]"].iter().all(|c| conflict.contains(c))
            && conflict.ends_with(" ≠ 39.59万元 qq-18609 [12]"),
        "{page}"
    );
    assert_eq!(brief.matches("249.27亿美元").count(), 1, "an agreed figure is listed once: {brief}");
    insta::assert_snapshot!("brief_model3_ledger", brief);
    let md = ok(dossier(d).args(["workflow", "show", "特斯拉", "--format", "markdown"]));
    assert!(md.contains("### Figures the sources disagree on\n"), "{md}");
    let v = json(dossier(d).args(["workflow", "show", "特斯拉", "--format", "json"]));
    assert_eq!(v["brief"]["ledger"][0]["values"][1]["cites"][0]["doc"], "qq-18609", "{v}");
}
