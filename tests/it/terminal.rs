//! Terminal output of untrusted documents: a title, source or paragraph carrying escape
//! sequences (clear screen, an OSC 8 hyperlink, the one-byte CSI) reaches stdout as plain text
//! through every command that prints documents, in terminal and Markdown form.

use super::{dossier, ok, tempdir, write};

/// Clear the screen, plant a hyperlink, colour via the C1 CSI, ring the bell, return the carriage.
const ESCAPES: &str = "\u{1b}[2J\u{1b}]8;;https://evil.example/\u{7}click\u{1b}]8;;\u{7}\u{9b}31m\r\u{7f}";

/// Characters a terminal acts on (newline and tab are layout).
fn controls(s: &str) -> Vec<char> {
    s.chars().filter(|&c| c.is_control() && c != '\n' && c != '\t').collect()
}

#[test]
fn escape_sequences_in_documents_never_reach_the_terminal() {
    let dir = tempdir();
    let d = dir.path();
    let doc = serde_json::json!({
        "id": "esc-1",
        "title": format!("稀土出口管制{ESCAPES}标题"),
        "source": format!("Wire{ESCAPES}"),
        "url": format!("https://example.com/{ESCAPES}"),
        "lang": "zh",
        "published_at": "2024-05-01T10:00:00Z",
        "paragraphs": [
            format!("稀土出口管制措施于5月1日生效{ESCAPES}。"),
            "中国商务部表示，稀土相关技术出口须经许可，涉及提炼、加工和利用技术。".to_string(),
        ],
    });
    let input = d.join("esc.jsonl");
    write(&input, format!("{doc}\n"));
    ok(dossier(d).arg("ingest").arg(&input));
    ok(dossier(d).args(["workflow", "add", "esc", "--query", "稀土"]));
    let outputs = [
        ok(dossier(d).args(["search", "稀土"])),
        ok(dossier(d).args(["search", "稀土", "--digest"])),
        ok(dossier(d).args(["show", "esc-1"])),
        ok(dossier(d).args(["digest", "esc-1"])),
        ok(dossier(d).args(["digest", "esc-1", "--markdown"])),
        ok(dossier(d).args(["workflow", "run", "esc"])),
        ok(dossier(d).args(["workflow", "show", "esc", "--format", "markdown"])),
        ok(dossier(d).args(["stats"])),
    ];
    for out in &outputs {
        assert_eq!(controls(out), Vec::<char>::new(), "{out:?}");
    }
    // The text itself is kept: what followed each ESC shows, nothing is hidden.
    assert!(outputs[2].contains("稀土出口管制[2J]8;;https://evil.example/click]8;;31m标题"), "{:?}", outputs[2]);
}
