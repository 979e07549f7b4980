//! Search quality on ../shared/eval/cmrc2018 (BEIR layout). The floors are what was measured
//! when this test was written (recall@10 0.924, nDCG@10 0.881 with --match any), less a small
//! margin: a change that lowers them must be a deliberate one.

use super::*;

#[test]
fn cmrc2018_recall_and_ndcg_stay_above_the_measured_floor() {
    let dir = tempdir();
    let r = json(dossier(dir.path()).arg("eval").arg(shared().join("eval/cmrc2018")).arg("--json"));
    eprintln!("cmrc2018: {r}");
    assert_eq!(r["queries"], 4221, "{r}");
    let recall = r["recall_at_k"].as_f64().unwrap_or(0.0);
    let ndcg = r["ndcg_at_k"].as_f64().unwrap_or(0.0);
    assert!(recall >= 0.91, "recall@10 fell to {recall}");
    assert!(ndcg >= 0.86, "nDCG@10 fell to {ndcg}");
}
