//! Search: the query language, filters, order, snippets, JSON shape, bad queries.

use super::*;

fn search(args: &[&str]) -> serde_json::Value {
    json(dossier(sample_dir()).arg("search").args(args).arg("--json"))
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"].as_array().into_iter().flatten().filter_map(|h| h["id"].as_str().map(String::from)).collect()
}

#[test]
fn newest_first_is_the_default_and_undated_sort_last() {
    // One page holds every 稀土 hit of the sample, so the two undated articles (finnl-10660,
    // finnl-14456) are on it and their place can be checked.
    let v = search(&["稀土", "--limit", "500", "--collapse", "none"]);
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    assert!(v["total"].as_u64().unwrap_or(0) >= 105, "every 稀土 article of the sample: {}", v["total"]);
    assert_eq!(hits.len() as u64, v["total"].as_u64().unwrap_or(0), "not every hit fits on the page");
    let dates: Vec<Option<&str>> = hits.iter().map(|h| h["published_at"].as_str()).collect();
    let undated = dates.iter().filter(|d| d.is_none()).count();
    assert!(undated >= 2, "the sample's undated 稀土 articles are missing from the hits: {dates:?}");
    let first_undated = dates.iter().position(Option::is_none).unwrap_or(dates.len());
    assert!(
        dates[first_undated..].iter().all(Option::is_none),
        "a dated hit comes after an undated one: {dates:?}"
    );
    let dated: Vec<&str> = dates[..first_undated].iter().flatten().copied().collect();
    assert!(dated.len() >= 100, "{dated:?}");
    let mut sorted = dated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dated, sorted, "dated hits are not newest first");
}

#[test]
fn a_query_without_spaces_finds_its_words_apart() {
    let v = search(&["稀土供应链", "--limit", "100"]);
    assert!(v["total"].as_u64().unwrap_or(0) >= 5, "{v}");
    // Every hit mentions both words, and some do not have them adjacent.
    let mut apart = 0;
    for id in ids(&v) {
        let doc = json(dossier(sample_dir()).args(["show", &id, "--json"]));
        let text = format!("{} {}", doc["title"].as_str().unwrap_or(""), doc["paragraphs"]);
        assert!(text.contains("稀土") && text.contains("供应链"), "{id} lacks a word");
        if !text.contains("稀土供应链") {
            apart += 1;
        }
    }
    assert!(apart > 0, "no hit had the words apart");
    let phrase = search(&["\"稀土供应链\"", "--limit", "100"]);
    assert!(phrase["total"].as_u64() < v["total"].as_u64(), "phrase must be stricter: {} vs {}", phrase["total"], v["total"]);
}

#[test]
fn or_and_exclusion_work_in_chinese_and_english() {
    let a = search(&["稀土"])["total"].as_u64().unwrap_or(0);
    let b = search(&["锂电池"])["total"].as_u64().unwrap_or(0);
    let both = search(&["稀土 锂电池"])["total"].as_u64().unwrap_or(0);
    let either = search(&["稀土 OR 锂电池"])["total"].as_u64().unwrap_or(0);
    assert_eq!(either, a + b - both);
    let excl = search(&["稀土 -锂电池"])["total"].as_u64().unwrap_or(0);
    assert_eq!(excl, a - both);
    let oil = search(&["oil", "--lang", "en"])["total"].as_u64().unwrap_or(0);
    let crude = search(&["\"crude oil\"", "--lang", "en"])["total"].as_u64().unwrap_or(0);
    assert!(oil > crude && crude > 0, "oil {oil}, \"crude oil\" {crude}");
    // English stemming: "prices" finds "price".
    assert!(search(&["prices"])["total"] == search(&["price"])["total"]);
}

#[test]
fn filters_by_date_source_and_language() {
    let v = search(&["稀土", "--since", "2024-01-01", "--until", "2024年3月31日", "--limit", "100"]);
    for h in v["hits"].as_array().into_iter().flatten() {
        let d = h["published_at"].as_str().unwrap_or("");
        assert!(("2024-01-01".."2024-04-01").contains(&d), "{d}");
    }
    assert!(v["total"].as_u64().unwrap_or(0) > 0);
    let en = search(&["trade", "--lang", "en", "--limit", "50"]);
    assert!(en["hits"].as_array().into_iter().flatten().all(|h| h["lang"] == "en"));
    let src = search(&["稀土", "--source", "腾讯新闻", "--limit", "50"]);
    assert!(src["total"].as_u64().unwrap_or(0) > 0);
    assert!(src["hits"].as_array().into_iter().flatten().all(|h| h["source"] == "腾讯新闻"));
    let none = search(&["稀土", "--source", "no such source"]);
    assert_eq!(none["total"], 0);
}

#[test]
fn snippets_highlight_whole_chinese_words() {
    let v = search(&["稀土", "--limit", "20"]);
    let mut highlighted = 0;
    for h in v["hits"].as_array().into_iter().flatten() {
        let text: Vec<char> = h["snippet"]["text"].as_str().unwrap_or("").chars().collect();
        for r in h["snippet"]["highlights"].as_array().into_iter().flatten() {
            let (s, e) = (r[0].as_u64().unwrap_or(0) as usize, r[1].as_u64().unwrap_or(0) as usize);
            let word: String = text[s..e].iter().collect();
            assert_eq!(word, "稀土");
            highlighted += 1;
        }
    }
    assert!(highlighted >= 10, "{v}");
}

/// Piped, a snippet is the source's own text, unmarked: sources carry `**` themselves
/// (qq-30598 opens with `**中国信达…`), so no added marker could be told from theirs.
#[test]
fn piped_snippets_are_the_source_text_without_added_markers() {
    let v = search(&["稀土", "--limit", "500"]);
    let out = ok(dossier(sample_dir()).args(["search", "稀土", "--limit", "500"]));
    let mut with_source_stars = 0;
    // Title-only hits are one line without a snippet (title_only_items_are_marked_and_can_be_hidden).
    for h in v["hits"].as_array().into_iter().flatten().filter(|h| h.get("title_only").is_none()) {
        let text = h["snippet"]["text"].as_str().unwrap_or("");
        assert!(out.contains(&format!("\n  {text}\n")), "{}: snippet not printed as it is:\n{text}", h["id"]);
        with_source_stars += usize::from(text.contains("**"));
    }
    assert!(with_source_stars >= 1, "no snippet carries the source's own ** any more; pick another example");
    assert!(!out.contains('\u{1b}'), "no colour when piped");
}

/// A data directory nothing was ingested into: search and stats say so and how to ingest,
/// instead of "No documents match" or "no date .. no date".
#[test]
fn an_empty_data_dir_says_nothing_was_ingested_yet() {
    let dir = tempdir();
    // A home of its own, so that no demo directory of the real one is mentioned.
    let home = tempdir();
    let dossier = |d: &std::path::Path| {
        let mut c = dossier(d);
        c.env("HOME", home.path()).env_remove("XDG_DATA_HOME");
        c
    };
    let o = run(dossier(dir.path()).args(["search", "稀土供应链"]));
    // Exit 0: an empty result is a correct answer, as for any search; the hint is on stderr.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let hint = format!(
        "nothing has been ingested into {} yet: add some with `dossier ingest PATH` (JSONL, .txt/.md/.html files, directories, RSS/Atom feeds), or try `dossier demo`\n",
        dir.path().display()
    );
    assert_eq!(stderr(&o), hint);
    let o = run(dossier(dir.path()).args(["search", "稀土供应链", "--json"]));
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert_eq!(v["total"], 0, "{}", stdout(&o));
    assert_eq!(stderr(&o), hint);
    let stats = ok(dossier(dir.path()).arg("stats"));
    assert_eq!(
        stats,
        format!(
            "data directory: {}\nno documents yet: add some with `dossier ingest PATH` (JSONL, .txt/.md/.html files, directories, RSS/Atom feeds), or try `dossier demo`\n",
            dir.path().display()
        )
    );
    // After `dossier demo`, the hint points at the demo's directory.
    ok(dossier(dir.path()).args(["demo", "--keep"]).arg(home.path().join(".local/share/dossier-demo")));
    let other = tempdir();
    let o = run(dossier(other.path()).args(["search", "稀土供应链"]));
    let demo = home.path().join(".local/share/dossier-demo");
    assert!(
        stderr(&o).ends_with(&format!("\nthe demo's data is in {0}: dossier --data-dir {0} search …\n", demo.display())),
        "{}",
        stderr(&o)
    );
    // With documents, a search that finds nothing still says so on stdout.
    let o = run(dossier(sample_dir()).args(["search", "不存在的词语组合xyzzy"]));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "No documents match \"不存在的词语组合xyzzy\".\n");
}

/// `show`: title, `source · time`, id and url lines, then the numbered paragraphs as plain
/// text — qq-10648 opens with a `# ` heading, qq-15222 has `_图片说明_` captions.
#[test]
fn show_prints_plain_numbered_paragraphs_with_id_and_url() {
    let heading = ok(dossier(sample_dir()).args(["show", "qq-10648"]));
    assert!(
        heading.starts_with("俄媒：俄国家杜马批准关于俄通过远东路线向中国输送天然气的协议\n腾讯新闻 · 2023-05-31\nid:  qq-10648\nurl: none recorded\n\n[1] 俄媒："),
        "{heading}"
    );
    let captions = ok(dossier(sample_dir()).args(["show", "qq-15222"]));
    insta::assert_snapshot!("show_qq_15222", captions);
    for out in [&heading, &captions] {
        for line in out.lines().filter(|l| l.starts_with('[')) {
            let p = line.split_once("] ").map_or("", |(_, p)| p);
            assert!(!p.starts_with('#') && !(p.starts_with('_') && p.ends_with('_')), "{line}");
        }
    }
}

#[test]
fn json_shape_is_stable() {
    let v = search(&["北方稀土", "--limit", "2"]);
    let mut shape = v.clone();
    for h in shape["hits"].as_array_mut().into_iter().flatten() {
        h["score"] = serde_json::json!("<score>");
    }
    insta::assert_json_snapshot!("search_json", shape);
}

#[test]
fn bad_queries_are_clear_errors() {
    let mut errors = String::new();
    for q in ["\"稀土", "稀土 OR", "-稀土", "稀土 OR -镓", "，。"] {
        let o = run(dossier(sample_dir()).args(["search", "--", q]));
        assert_eq!(o.status.code(), Some(2), "{q}");
        errors.push_str(&stderr(&o));
    }
    let o = run(dossier(sample_dir()).args(["search", "稀土", "--since", "last week"]));
    assert_eq!(o.status.code(), Some(2));
    errors.push_str(&stderr(&o));
    insta::assert_snapshot!("bad_query_errors", errors);
}

#[test]
fn every_bench_query_runs() {
    // A copy of ../shared/bench/queries.txt, the list BENCHMARKS.md times.
    let path = root().join("tests/fixtures/bench/queries.txt");
    let queries = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(queries.lines().count() >= 50, "{} holds too few queries", path.display());
    for q in queries.lines().filter(|l| !l.trim().is_empty()) {
        search(&[q]);
    }
}

/// Title-only items (text = `# headline`) are marked and listed as one line by default, and
/// `--title-only hide` leaves them out of the hits and the total alike.
#[test]
fn title_only_items_are_marked_and_can_be_hidden() {
    let shown = search(&["稀土", "--limit", "500"]);
    let hits = shown["hits"].as_array().cloned().unwrap_or_default();
    let marked: Vec<&str> =
        hits.iter().filter(|h| h["title_only"] == true).filter_map(|h| h["id"].as_str()).collect();
    assert!(marked.contains(&"qq-42548"), "the sample's 稀土管理条例 headline is title-only: {marked:?}");
    assert_eq!(shown["title_only"].as_u64(), Some(marked.len() as u64));
    for id in &marked {
        let doc = json(dossier(sample_dir()).args(["show", id, "--json"]));
        assert!(doc["paragraphs"].as_array().into_iter().flatten().all(|p| p.as_str().is_some_and(|p| p.starts_with('#'))), "{id}: {doc}");
    }
    let hidden = search(&["稀土", "--limit", "500", "--title-only", "hide"]);
    assert_eq!(hidden["title_only_hidden"], true);
    assert!(hidden["hits"].as_array().into_iter().flatten().all(|h| h.get("title_only").is_none()));
    assert_eq!(
        hidden["total"].as_u64().unwrap_or(0) + marked.len() as u64,
        shown["total"].as_u64().unwrap_or(0),
        "hiding must take exactly the title-only items out of the total"
    );
    // Offsets count only what is shown: page 2 of the hidden list continues page 1.
    let page1 = search(&["稀土", "--limit", "5", "--title-only", "hide"]);
    let page2 = search(&["稀土", "--limit", "5", "--offset", "5", "--title-only", "hide"]);
    let all: Vec<String> = ids(&hidden).into_iter().take(10).collect();
    assert_eq!([ids(&page1), ids(&page2)].concat(), all);

    let text = ok(dossier(sample_dir()).args(["search", "稀土管理条例"]));
    assert!(text.contains("李强签署国务院令 公布《稀土管理条例》 — 腾讯新闻 · "), "{text}");
    assert!(text.contains(" · title only [qq-42548]\n"), "{text}");
    assert!(text.contains("of these title only (--title-only hide leaves them out)"), "{text}");
    let bad = run(dossier(sample_dir()).args(["search", "稀土", "--title-only", "maybe"]));
    assert!(stderr(&bad).contains("show") && stderr(&bad).contains("hide"), "{}", stderr(&bad));
}
