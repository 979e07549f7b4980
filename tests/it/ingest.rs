//! Ingest: formats, idempotence, updates, duplicate detection, stats.

use super::*;

fn line(id: &str, title: &str, paras: &[&str], date: &str) -> String {
    serde_json::json!({"id": id, "title": title, "source": "测试社", "published_at": date,
        "lang": "zh", "paragraphs": paras})
    .to_string()
}

#[test]
fn sample_ingests_whole_and_reingest_is_a_no_op() {
    let dir = tempdir();
    let first = json(dossier(dir.path()).args(["ingest", "--json"]).arg(sample()));
    let n = first["ingested"].as_u64().unwrap_or(0);
    assert!(n > 2500, "{first}");
    assert_eq!(first["failed"], 0, "{first}");
    let again = json(dossier(dir.path()).args(["ingest", "--json"]).arg(sample()));
    assert_eq!(again["ingested"], 0);
    assert_eq!(again["unchanged"].as_u64(), Some(n));
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["documents"].as_u64(), Some(n));
    assert_eq!(stats["index_documents"].as_u64(), Some(n));
    assert_eq!(stats["index_lag"], 0);
    let langs = stats["by_lang"].to_string();
    assert!(langs.contains("zh") && langs.contains("en"), "{langs}");
}

#[test]
fn same_id_with_new_content_updates_store_and_index() {
    let dir = tempdir();
    let f = dir.path().join("a.jsonl");
    write(&f, line("u1", "央行降准", &["央行宣布降准0.5个百分点。"], "2024-05-01") + "\n");
    ok(dossier(dir.path()).arg("ingest").arg(&f));
    write(&f, line("u1", "央行降息", &["央行宣布下调政策利率10个基点。"], "2024-05-02") + "\n");
    let s = json(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!((s["ingested"].as_u64(), s["updated"].as_u64()), (Some(0), Some(1)), "{s}");
    let old = json(dossier(dir.path()).args(["search", "降准", "--json"]));
    assert_eq!(old["total"], 0, "old text still indexed: {old}");
    let new = json(dossier(dir.path()).args(["search", "降息", "--json"]));
    assert_eq!(new["total"], 1);
    assert_eq!(new["hits"][0]["published_at"], "2024-05-02T00:00:00Z");
}

#[test]
fn exact_duplicates_under_other_ids_are_reported() {
    let dir = tempdir();
    let f = dir.path().join("d.jsonl");
    let text = ["北方稀土公告称，2024年上半年实现营业收入147.66亿元。"];
    write(&f, [line("a", "北方稀土半年报", &text, "2024-08-01"), line("b", "北方稀土半年报", &text, "2024-08-02")].join("\n"));
    let s = json(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!(s["ingested"], 2);
    assert_eq!(s["duplicates"][0]["id"], "b");
    assert_eq!(s["duplicates"][0]["duplicate_of"], "a");
    let text_out = ok(dossier(dir.path()).arg("ingest").arg(&f));
    assert!(text_out.contains("unchanged 2"), "{text_out}");
}

#[test]
fn directories_of_text_markdown_html_and_feeds_ingest() {
    let dir = tempdir();
    let src = dir.path().join("notes");
    write(&src.join("a.txt"), "稀土出口管制升级\n\n商务部宣布对部分中重稀土物项实施出口管制。\n\n涉及钐、钆、铽等7类。");
    write(&src.join("b.md"), "# 锂电池周报\n\n本周碳酸锂价格下跌**3.2%**，报7.5万元/吨。\n");
    write(
        &src.join("c.html"),
        "<html><head><title>光伏出口</title><script>alert(1)</script><style>p{}</style></head>\
         <body><p>光伏组件出口量同比增长34%。</p><p onclick=\"x()\">硅料价格企稳。</p></body></html>",
    );
    write(
        &src.join("feed.xml"),
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>财经快讯</title>
        <item><title>央行开展逆回购</title><guid>rss-1</guid><pubDate>Wed, 01 May 2024 10:30:00 +0800</pubDate>
        <description>&lt;p&gt;央行开展2000亿元7天期逆回购操作。&lt;/p&gt;</description></item></channel></rss>"#,
    );
    let s = json(dossier(dir.path()).args(["ingest", "--json"]).arg(&src));
    assert_eq!(s["ingested"], 4, "{s}");
    assert_eq!(s["failed"], 0, "{s}");
    let hit = json(dossier(dir.path()).args(["search", "逆回购", "--json"]));
    assert_eq!(hit["hits"][0]["title"], "央行开展逆回购");
    assert_eq!(hit["hits"][0]["published_at"], "2024-05-01T02:30:00Z");
    let script = json(dossier(dir.path()).args(["search", "alert", "--json"]));
    assert_eq!(script["total"], 0, "script text was indexed: {script}");
}

#[test]
fn ingest_help_says_what_a_path_may_be() {
    let help = ok(dossier(&tempdir().path().join("unused")).args(["ingest", "--help"]));
    let path = help.split_once("<PATH>...").map_or("", |(_, rest)| rest);
    for what in ["directories", "JSONL", ".gz", ".txt, .md and .html", "RSS 2.0 and Atom feed files", "PDFs are not supported yet"] {
        assert!(path.contains(what), "ingest --help does not say {what:?}:\n{help}");
    }
}
