//! PDF research reports: PDFs printed by headless Chromium from HTML research notes (CJK text in
//! Type 3 fonts with ToUnicode maps, two CSS columns, running headers and footers on every
//! page, a table, a disclaimer page) ingest with the right paragraphs, pages, title and cover
//! fields; a page holding only an image is refused as having no text layer; a broken PDF is an
//! error for that file while the others go on. Without Chromium the tests FAIL in CI and are
//! skipped (and say so) elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// Prints `html` to a PDF beside it with headless Chromium; `None` (after reporting the skip)
/// when Chromium is missing outside CI.
fn print_pdf(test: &str, html: &Path) -> Option<PathBuf> {
    let chromium = super::browser::chromium();
    if !chromium.exists() {
        let what = format!("{} not found (apt-get install -y chromium fonts-noto-cjk)", chromium.display());
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("the PDF test cannot run in CI: {what}");
        }
        skipped(test, &what);
        return None;
    }
    ran(test);
    let out = html.with_extension("pdf");
    let o = run(Command::new(&chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(html));
    assert!(out.exists(), "chromium printed nothing: {}", stderr(&o));
    Some(out)
}

fn show(dir: &Path, id: &str) -> serde_json::Value {
    json(dossier(dir).args(["show", id, "--json"]))
}

#[test]
fn a_printed_research_note_ingests_with_paragraphs_pages_and_cover_fields() {
    let dir = tempdir();
    let reports = dir.path().join("reports");
    let html = reports.join("note.html");
    write(&html, std::fs::read(root().join("tests/fixtures/pdf/note.html")).unwrap_or_default());
    let Some(_) = print_pdf("pdf::a_printed_research_note_ingests_with_paragraphs_pages_and_cover_fields", &html) else {
        return;
    };
    std::fs::remove_file(&html).unwrap_or_else(|e| panic!("{e}"));
    let s = json(dossier(dir.path()).args(["ingest", "--json"]).arg(&reports));
    assert_eq!((s["ingested"].as_u64(), s["failed"].as_u64()), (Some(1), Some(0)), "{s}");
    let doc = show(dir.path(), "file:note.pdf");
    let doc = if doc.get("document").is_some() { doc["document"].clone() } else { doc };
    assert_eq!(doc["title"], "北方稀土：配额提升叠加价格回暖，业绩拐点已至", "{doc}");
    assert_eq!(doc["published_at"], "2024-05-01T00:00:00Z");
    assert_eq!(doc["meta"]["broker"], "华泰证券");
    assert_eq!(doc["meta"]["rating"], "买入");
    assert_eq!(doc["meta"]["page_count"].as_u64(), Some(3), "{doc}");
    let paragraphs: Vec<String> = doc["paragraphs"]
        .as_array()
        .map(|a| a.iter().map(|p| p.as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default();
    let pages: Vec<u64> = doc["meta"]["pages"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p.as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(pages.len(), paragraphs.len(), "{doc}");
    let all = paragraphs.join("\n");
    let find = |needle: &str| {
        paragraphs
            .iter()
            .position(|p| p.contains(needle))
            .unwrap_or_else(|| panic!("no paragraph holds {needle:?}:\n{all}"))
    };
    // Headings are paragraphs of their own; running header, footer and disclaimers are gone.
    assert!(paragraphs.iter().any(|p| p == "核心观点"), "{all}");
    assert!(paragraphs.iter().any(|p| p == "盈利预测"), "{all}");
    for gone in ["华泰证券研究所 · 公司研究", "请务必阅读", "免责声明", "分析师声明", "仅供华泰证券"] {
        assert!(!all.contains(gone), "{gone:?} kept:\n{all}");
    }
    // Two columns read column by column: each paragraph whole, in order, lines joined without
    // spaces between Chinese characters.
    let first = find("北方稀土是全球最大的轻稀土供应商");
    assert!(paragraphs[first].ends_with("利润将明显修复。"), "{}", paragraphs[first]);
    assert!(!paragraphs[first].contains(' '), "{}", paragraphs[first]);
    let demand = find("从需求侧看");
    let english = find("The company reported first-quarter revenue");
    let forecast = find("我们预计公司2024至2026年");
    assert!(first < demand && demand < english && english < forecast, "{all}");
    assert!(paragraphs[english].contains("electric vehicles and wind turbines."), "{}", paragraphs[english]);
    assert!(!paragraphs[english].contains("  "), "{}", paragraphs[english]);
    // The table keeps its rows.
    let row = find("归母净利润（亿元）");
    assert_eq!(paragraphs[row], "归母净利润（亿元） | 23.7 | 32.1 | 45.6 | 58.9");
    // Pages: the cover's paragraphs are on page 1, the industry section runs onto page 2.
    assert_eq!(pages[first], 1, "{doc}");
    assert!(pages[find("海外方面")] >= 2, "{doc}");
    assert!(pages.windows(2).all(|w| w[0] <= w[1]), "{pages:?}");
}

#[test]
fn an_image_only_pdf_is_refused_and_a_broken_one_does_not_stop_the_others() {
    let dir = tempdir();
    let reports = dir.path().join("reports");
    let html = reports.join("scan.html");
    write(
        &html,
        "<!doctype html><html><body><canvas id=c width=600 height=300></canvas><script>\
         const x=document.getElementById('c').getContext('2d');x.font='30px sans-serif';\
         x.fillText('扫描件 Scanned page 2024',20,100);</script></body></html>",
    );
    let Some(_) = print_pdf("pdf::an_image_only_pdf_is_refused_and_a_broken_one_does_not_stop_the_others", &html) else {
        return;
    };
    std::fs::remove_file(&html).unwrap_or_else(|e| panic!("{e}"));
    write(&reports.join("broken.pdf"), b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<<>>\n%%EOF\n");
    std::fs::copy(root().join("tests/fixtures/pdf/report.pdf"), reports.join("report.pdf"))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(dossier(dir.path()).args(["ingest", "--json"]).arg(&reports));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_eq!((s["ingested"].as_u64(), s["failed"].as_u64()), (Some(1), Some(2)), "{s}");
    let errors = s.to_string() + &stderr(&o);
    assert!(errors.contains("scan.pdf") && errors.contains("no text layer — run OCR first"), "{errors}");
    assert!(errors.contains("broken.pdf") && errors.contains("not a readable PDF"), "{errors}");
    show(dir.path(), "file:report.pdf");
}
