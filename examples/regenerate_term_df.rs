//! Rebuilds src/digest/term_df.tsv (the extractive summarizer's background term frequencies)
//! from ../shared/corpus. Run after changing the term definition in src/digest/terms.rs:
//! `cargo run --release --example regenerate_term_df`.

fn main() -> anyhow::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = dossier::digest::terms::build_background_table(&root.join("../shared/corpus"))?;
    std::fs::write(root.join("src/digest/term_df.tsv"), table)?;
    Ok(())
}
