//! `dossier demo`: the first command of the README.

use super::*;

#[test]
fn demo_shows_the_rare_earth_workflow_newest_first() {
    let dir = tempdir();
    let out = ok(dossier(dir.path()).arg("demo"));
    assert!(out.contains("Workflow\n稀土供应链\nSearch documents"), "{out}");
    // Each hit: title line, then `source · YYYY-MM-DD HH:MM`.
    let dates: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(" · ").map(|(_, d)| d))
        .filter(|d| d.len() == 16 && d.as_bytes()[4] == b'-')
        .collect();
    assert!(dates.len() >= 5, "too few dated hits:\n{out}");
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "not newest first");
    assert!(out.contains("稀土"), "{out}");
}
