//! Cost of the user's catalog at a size far beyond what anyone keeps (`cargo bench --bench
//! user_catalog`): reading and checking 10,000 entries, and removing one of them as
//! `loadline user remove` does. Both must grow with the file's size, not with its square.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use loadline_core::catalog::user::UserCatalog;
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// How many entries the generated catalog holds: half outputs, half headphones.
const ENTRIES: usize = 10_000;

/// The provenance of every generated figure: the user's own measurement.
const MEASURED: &str = r#"basis = "measured", source = "own measurement""#;

/// The user's output number `k`, as the file holds it, after a comment of the user's.
fn output(k: usize) -> String {
    let max = |load: f64, vrms: f64| {
        format!(
            "    {{ load_ohm = {load:.1}, vrms = {vrms}, {MEASURED}, note = \"1 kHz, 1 % THD\" }},\n"
        )
    };
    format!(
        "# output {k}\n[[output]]\nmaker = \"Genco\"\nmodel = \"Box {k}\"\nvariant = \"front jack\"\n\
         kind = \"audio-interface\"\nr_out_ohm = {{ value = 4.7, {MEASURED} }}\n\
         noise_dbv = {{ value = -104.0, {MEASURED} }}\nnoise_a_weighted = true\n\
         max_output = [\n{}{}]\n",
        max(32.0, 1.1),
        max(300.0, 2.9)
    )
}

/// The user's headphone number `k`, as the file holds it.
fn headphone(k: usize) -> String {
    let figure = |value: f64| format!("{{ value = {value:.1}, {MEASURED} }}");
    format!(
        "[[headphone]]\nmaker = \"Genphone\"\nmodel = \"Can {k}\"\nkind = \"dynamic\"\n\
         nominal_ohm = {}\nsensitivity = {{ value = 102.0, unit = \"dB SPL/V\", {MEASURED} }}\n\
         curve = \"own measurement\"\n\n[headphone.points]\nrdc_ohm = {}\nz_1k_ohm = {}\n\
         z_10k_ohm = {}\n",
        figure(32.0),
        figure(30.0),
        figure(32.0),
        figure(35.0)
    )
}

/// A sound catalog of `n` entries with names of their own, blank lines between them.
fn catalog_text(n: usize) -> String {
    let outputs = (0..n - n / 2).map(output);
    let tables: Vec<String> = outputs.chain((0..n / 2).map(headphone)).collect();
    format!("# generated for the benchmark\n\n{}", tables.join("\n"))
}

/// Reading the catalog from its text and checking every entry, and the check alone.
fn load_and_check(c: &mut Criterion) {
    let text = catalog_text(ENTRIES);
    let path = Path::new("catalog.toml");
    let mut g = c.benchmark_group("user_catalog");
    g.sample_size(10);
    g.bench_function(format!("parse_and_check/{ENTRIES}"), |b| {
        b.iter(|| black_box(UserCatalog::parse(path, black_box(&text)).unwrap()))
    });
    let user = UserCatalog::parse(path, &text).unwrap();
    assert_eq!(user.outputs.len() + user.headphones.len(), ENTRIES);
    g.bench_function(format!("problems/{ENTRIES}"), |b| {
        b.iter(|| black_box(user.problems()))
    });
    g.finish();
}

/// Removing one output from the middle of the file as `loadline user remove` does: reading
/// the file, then removing the entry (which reads it again, and checks what it writes).
fn remove(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("user-catalog-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("catalog.toml");
    let text = catalog_text(ENTRIES);
    let mut g = c.benchmark_group("user_catalog");
    g.sample_size(10);
    g.bench_function(format!("remove_output/{ENTRIES}"), |b| {
        b.iter_batched(
            || std::fs::write(&path, &text).unwrap(),
            |()| {
                let user = UserCatalog::load(&path).unwrap();
                black_box(user.remove_output(ENTRIES / 4).unwrap())
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, load_and_check, remove);
criterion_main!(benches);
