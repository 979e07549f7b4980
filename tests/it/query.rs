//! What a query means: compound and unknown words, synonyms and aliases, English ↔ Chinese,
//! each with `--explain`, on the bundled sample; the user's synonyms file.

use super::*;

fn search(data_dir: &Path, args: &[&str]) -> serde_json::Value {
    json(dossier(data_dir).arg("search").args(args).arg("--json"))
}

fn hits(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["hits"].as_array().cloned().unwrap_or_default()
}

fn total(v: &serde_json::Value) -> u64 {
    v["total"].as_u64().unwrap_or(0)
}

/// The `(matched, via)` pairs `--explain` gives a hit for `term`.
fn explained(hit: &serde_json::Value, term: &str) -> Vec<(String, String)> {
    hit["explain"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["term"] == term)
        .map(|e| (e["matched"].as_str().unwrap_or("").to_string(), e["via"].as_str().unwrap_or("").to_string()))
        .collect()
}

fn text_of(id: &str) -> String {
    let doc = json(dossier(sample_dir()).args(["show", id, "--json"]));
    format!("{} {}", doc["title"].as_str().unwrap_or(""), doc["paragraphs"])
}

#[test]
fn a_compound_word_finds_its_parts_below_exact_matches() {
    let literal = search(sample_dir(), &["企业破产", "--literal", "--limit", "100"]);
    let v = search(sample_dir(), &["企业破产", "--sort", "relevance", "--explain", "--limit", "100"]);
    assert!(total(&v) >= 3 * total(&literal).max(1), "企业破产: {} expanded vs {} literal", total(&v), total(&literal));
    let hits = hits(&v);
    // Every document with the word as typed comes before every document found only through
    // its parts or synonyms, however their titles weigh.
    let exact: Vec<bool> = hits.iter().map(|h| explained(h, "企业破产").iter().any(|(_, via)| via == "query")).collect();
    assert!(exact.first() == Some(&true), "no exact match first: {exact:?}");
    assert!(exact.windows(2).all(|w| w[0] || !w[1]), "an exact match below an expansion: {exact:?}");
    let first = text_of(hits[0]["id"].as_str().unwrap_or(""));
    assert!(first.contains("企业破产"), "the first hit does not say 企业破产");
    let vias: Vec<(String, String)> = hits.iter().flat_map(|h| explained(h, "企业破产")).collect();
    assert!(vias.contains(&("企业 破产".into(), "part".into())), "{vias:?}");
    assert!(vias.contains(&("破产".into(), "synonym".into())), "{vias:?}");
}

#[test]
fn an_event_word_with_a_function_character_finds_the_word() {
    // 被约谈 is 被 + 约谈 (约谈 is in the segmenter's dictionary); 被 alone does not veto a
    // match, so literally it finds the four documents that say 约谈; expanded, 约谈 is the
    // word inside the event name, and the event vocabulary (问询函, 监管谈话) finds more.
    let literal = search(sample_dir(), &["被约谈", "--literal"]);
    let v = search(sample_dir(), &["被约谈", "--explain", "--limit", "50"]);
    let ids: Vec<String> = hits(&v).iter().filter_map(|h| h["id"].as_str().map(String::from)).collect();
    for id in ["qq-10481", "qq-23182", "finna-5615", "finqa-d84f6855e249"] {
        assert!(ids.iter().any(|i| i == id), "{id} (says 约谈) not found: {ids:?}");
    }
    assert!(total(&literal) == 4 && total(&v) > 4, "被约谈: {} literal, {} expanded", total(&literal), total(&v));
    let first = hits(&v).into_iter().next().unwrap_or_default();
    assert!(explained(&first, "被约谈").contains(&("约谈".into(), "inner_word".into())), "{first}");
    // The snippet highlights what matched.
    let snippet = &first["snippet"];
    let text: Vec<char> = snippet["text"].as_str().unwrap_or("").chars().collect();
    // Highlights are per index term; adjacent ones read as one.
    let mut marked: Vec<(usize, String)> = Vec::new();
    for r in snippet["highlights"].as_array().into_iter().flatten() {
        let (a, b) = (r[0].as_u64().unwrap_or(0) as usize, r[1].as_u64().unwrap_or(0) as usize);
        let piece: String = text.get(a..b).unwrap_or_default().iter().collect();
        match marked.last_mut() {
            Some((end, m)) if *end == a => {
                m.push_str(&piece);
                *end = b;
            }
            _ => marked.push((b, piece)),
        }
    }
    let marked: Vec<String> = marked.into_iter().map(|(_, m)| m).collect();
    assert!(marked.iter().any(|m| m == "约谈"), "{marked:?} in {snippet}");
    assert!(!marked.iter().any(|m| m == "被"), "the function character is highlighted: {marked:?}");
}

#[test]
fn function_characters_do_not_veto_a_match() {
    let plain = total(&search(sample_dir(), &["稀土 出口管制"]));
    let with = total(&search(sample_dir(), &["稀土 的 出口管制"]));
    assert!(plain >= 5 && with == plain, "稀土 出口管制: {plain}, with 的: {with}");
}

#[test]
fn an_event_name_finds_the_words_articles_use() {
    // 高管变动 is cut into 高/管/变动: literally, three documents have 高管 and 变动.
    let literal = total(&search(sample_dir(), &["高管变动", "--literal"]));
    let v = search(sample_dir(), &["高管变动", "--explain", "--limit", "50"]);
    assert!(total(&v) >= 10 + literal, "高管变动: {} expanded, {literal} literal", total(&v));
    for hit in hits(&v) {
        let e = explained(&hit, "高管变动");
        assert!(!e.is_empty(), "{}: nothing explained", hit["id"]);
        let text = text_of(hit["id"].as_str().unwrap_or(""));
        assert!(e.iter().any(|(m, _)| text.contains(m.as_str())), "{}: {e:?} not in the text", hit["id"]);
    }
    // Terminal output says it too.
    let out = ok(dossier(sample_dir()).args(["search", "高管变动", "--explain", "--limit", "1"]));
    assert!(out.contains("  matched: 高管变动 → "), "{out}");
    assert!(out.contains("(synonym)"), "{out}");
}

#[test]
fn a_ticker_finds_the_company_by_its_names() {
    let v = search(sample_dir(), &["600111", "--explain"]);
    assert!(total(&v) >= 2, "600111: {v}");
    let e = explained(&hits(&v)[0], "600111");
    assert!(e.contains(&("北方稀土".into(), "alias".into())), "{e:?}");
}

#[test]
fn english_queries_find_chinese_documents() {
    let v = search(sample_dir(), &["rare earth export controls", "--lang", "zh", "--explain", "--limit", "50"]);
    assert!(total(&v) >= 8, "rare earth export controls over Chinese: {}", total(&v));
    for hit in hits(&v) {
        let text = text_of(hit["id"].as_str().unwrap_or(""));
        assert!(text.contains("稀土") && text.contains("出口管制"), "{} lacks 稀土 or 出口管制", hit["id"]);
        assert!(explained(&hit, "rare earth").contains(&("稀土".into(), "translation".into())), "{hit}");
        assert!(explained(&hit, "export control").contains(&("出口管制".into(), "translation".into())), "{hit}");
    }
}

#[test]
fn chinese_queries_find_english_documents() {
    let v = search(sample_dir(), &["稀土", "--lang", "en", "--explain"]);
    let ids: Vec<String> = hits(&v).iter().filter_map(|h| h["id"].as_str().map(String::from)).collect();
    assert!(ids.contains(&"reut-11999".to_string()), "稀土 over English: {ids:?}");
    let hit = hits(&v).into_iter().find(|h| h["id"] == "reut-11999").unwrap_or_default();
    assert!(explained(&hit, "稀土").contains(&("rare earth".into(), "translation".into())), "{hit}");
}

#[test]
fn quoted_phrases_stay_strict() {
    assert_eq!(total(&search(sample_dir(), &["\"高管变动\""])), 0);
    assert_eq!(
        total(&search(sample_dir(), &["\"企业破产\""])),
        total(&search(sample_dir(), &["企业破产", "--literal"]))
    );
}

#[test]
fn the_users_synonyms_file_adds_terms_and_a_broken_one_is_a_clear_error() {
    let dir = tempdir();
    let docs = dir.path().join("docs.jsonl");
    write(
        &docs,
        concat!(
            r#"{"id":"a","title":"光伏装机","source":"t","lang":"zh","paragraphs":["今年太阳能装机创新高。"]}"#,
            "\n",
            r#"{"id":"b","title":"硅料","source":"t","lang":"zh","paragraphs":["硅料价格下跌。"]}"#,
            "\n"
        ),
    );
    let data = dir.path().join("data");
    ok(dossier(&data).arg("ingest").arg(&docs));
    let ids = |v: serde_json::Value| hits(&v).iter().filter_map(|h| h["id"].as_str().map(String::from)).collect::<Vec<_>>();
    assert_eq!(ids(search(&data, &["太阳能"])), ["a"]);
    write(&data.join("synonyms.toml"), "[expand]\n\"太阳能\" = [\"硅料\"]\n");
    let v = search(&data, &["太阳能", "--explain"]);
    let mut found = ids(v.clone());
    found.sort();
    assert_eq!(found, ["a", "b"], "{v}");
    let b = hits(&v).into_iter().find(|h| h["id"] == "b").unwrap_or_default();
    assert_eq!(explained(&b, "太阳能"), [("硅料".to_string(), "synonym".to_string())]);
    // A broken file is an error that names it and says what to do.
    write(&data.join("synonyms.toml"), "[expand]\n\"太阳能\" = \"硅料\"\n");
    let o = run(dossier(&data).args(["search", "太阳能"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("synonyms.toml") && err.contains("line 2") && err.contains("fix the file"), "{err}");
}
