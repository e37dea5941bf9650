//! The user's catalog: written and read back, found by name beside the built-in entries,
//! removed without touching the rest of the file, and refused with the file and the line when
//! it is unsound, without taking the built-in catalog with it.

use loadline_core::analysis::AnalysedOutput;
use loadline_core::catalog::user::{Pick, Problem, UserCatalog, UserCatalogError};
use loadline_core::catalog::{self, Basis, Figure, MaxOutput, OutputEntry, OutputKind};
use std::path::{Path, PathBuf};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("user-catalog")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn measured(value: f64) -> Figure {
    Figure {
        value,
        basis: Basis::Measured,
        source: "own measurement".into(),
        note: String::new(),
        range: None,
    }
}

/// An interface the user measured: 4.7 Ω, 1.1 V RMS into 32 Ω and 2.9 V into 300 Ω.
fn my_interface() -> OutputEntry {
    let max = |load_ohm: f64, vrms: f64| MaxOutput {
        load_ohm,
        vrms: Some(vrms),
        mw: None,
        dbu: None,
        basis: Basis::Measured,
        source: "own measurement".into(),
        note: "1 kHz, 1 % THD".into(),
    };
    let name = ["Acme", "Box 2", "front jack"];
    OutputEntry {
        max_output: vec![max(32.0, 1.1), max(300.0, 2.9)],
        noise_floor_dbv: Some(measured(-104.0)),
        noise_a_weighted: true,
        ..OutputEntry::new(name, OutputKind::AudioInterface, measured(4.7))
    }
}

fn problems(e: UserCatalogError) -> Vec<Problem> {
    match e {
        UserCatalogError::Invalid { problems, .. } => problems,
        other => panic!("expected problems, got {other}"),
    }
}

/// Why an entry was not added.
fn refused(e: UserCatalogError) -> Vec<String> {
    match e {
        UserCatalogError::Refused { problems, .. } => problems,
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn an_added_output_reads_back_and_is_found_beside_the_built_in_ones() {
    let dir = scratch("added");
    let path = dir.join("sub/catalog.toml");
    let empty = UserCatalog::load(&path).unwrap();
    assert!(empty.outputs.is_empty() && empty.headphones.is_empty());

    let written = empty.add_output(&my_interface()).unwrap();
    let read = UserCatalog::load(&path).unwrap();
    assert_eq!(read, written);
    assert_eq!(read.outputs.len(), 1);
    assert_eq!(read.outputs[0].entry, my_interface());
    assert_eq!(read.outputs[0].line, 1);

    // Found as people type it, and marked as the user's; built-in names still pick theirs.
    assert_eq!(read.pick_output("acme box 2").unwrap(), Pick::Yours(0));
    let motu = catalog::find_output("motu m2").unwrap();
    assert_eq!(read.pick_output("motu m2").unwrap(), Pick::BuiltIn(motu));
    let analysed = AnalysedOutput::user(&read.outputs[0].entry);
    assert_eq!(analysed.name, "Acme Box 2 front jack (yours)");
    assert_eq!(analysed.stage, my_interface().stage());
    // Nothing of it is estimated: no ranges.
    assert!(analysed.range_stages.is_empty());
    assert!(catalog::estimated(&analysed.provenance).is_empty());
}

#[test]
fn an_estimate_of_the_users_is_ranged_across_the_catalogs_sourced_interfaces() {
    let mut e = my_interface();
    e.r_out_ohm = Figure {
        value: 10.0,
        basis: Basis::Estimated,
        source: "a guess".into(),
        note: "typical of its class".into(),
        range: None,
    };
    let range = catalog::entry_estimate_range(&e)
        .unwrap()
        .r_out_ohm
        .unwrap();
    // The MOTU M2's estimate spans the same peers (every sourced audio interface).
    let m2 = catalog::estimate_range(catalog::find_output("motu m2").unwrap()).unwrap();
    assert_eq!(Some(range), m2.r_out_ohm);
    let stages = AnalysedOutput::user(&e).range_stages;
    let r_outs: Vec<f64> = stages.iter().map(|s| s.source.r_out_ohm).collect();
    assert_eq!(r_outs.first(), Some(&range[0]));
    assert_eq!(r_outs.last(), Some(&range[1]));
}

#[test]
fn removing_an_entry_keeps_the_rest_of_the_file_and_its_comments() {
    let dir = scratch("removing");
    let path = dir.join("catalog.toml");
    std::fs::write(&path, "# my devices, measured with REW\n").unwrap();
    let mut second = my_interface();
    second.variant = "rear jack".into();
    let user = UserCatalog::load(&path).unwrap();
    let user = user.add_output(&my_interface()).unwrap();
    let user = user.add_output(&second).unwrap();
    assert_eq!(user.outputs.len(), 2);
    let user = user.remove_output(0).unwrap();
    assert_eq!(user.outputs.len(), 1);
    assert_eq!(user.outputs[0].entry, second);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# my devices, measured with REW\n"),
        "{text}"
    );
    // Every line of the removed entry went, down to its last table.
    assert!(!text.contains("front jack"), "{text}");
    assert_eq!(text.matches("own measurement").count(), 4, "{text}");
    let user = user.remove_output(0).unwrap();
    assert!(user.outputs.is_empty());
}

/// The problems of a file holding `text`.
fn problems_of(text: &str) -> Vec<Problem> {
    problems(UserCatalog::parse(Path::new("catalog.toml"), text).unwrap_err())
}

#[test]
fn a_file_that_is_not_toml_is_refused_at_its_line() {
    let p = problems_of("[[output]]\nmaker = \"Acme\"\nmodel = Box\n");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].line, 3, "{p:?}");
}

#[test]
fn an_unsound_entry_is_refused_before_anything_is_written() {
    let dir = scratch("unsound");
    let path = dir.join("catalog.toml");
    let user = UserCatalog::load(&path)
        .unwrap()
        .add_output(&my_interface())
        .unwrap();
    let good = std::fs::read_to_string(&user.path).unwrap();
    // A second entry: an impossible output impedance, and no source.
    let mut bad = my_interface();
    bad.variant = "rear jack".into();
    bad.r_out_ohm.value = -3.0;
    bad.noise_floor_dbv.as_mut().unwrap().source.clear();
    let err = user.add_output(&bad).unwrap_err();
    // The refusal cites no line: the entry is in no file.
    assert!(!err.to_string().contains("catalog.toml:"), "{err}");
    let p = refused(err);
    assert_eq!(p.len(), 2, "{p:?}");
    for problem in &p {
        assert!(problem.starts_with("Acme Box 2 rear jack: "), "{problem:?}");
    }
    assert!(p[0].contains("outside the plausible 0 to 1000 Ω"), "{p:?}");
    // Nothing was written: the file is as it was.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
}

#[test]
fn a_problem_in_a_file_is_at_the_line_of_its_key() {
    let dir = scratch("key-lines");
    let path = dir.join("catalog.toml");
    let user = UserCatalog::load(&path)
        .unwrap()
        .add_output(&my_interface())
        .unwrap();
    let text = std::fs::read_to_string(&user.path).unwrap();
    // Edited by hand: an impossible output impedance, some lines into the entry.
    let edited = text.replacen("value = 4.7", "value = -4.7", 1);
    assert_ne!(edited, text, "the fixture's output impedance is 4.7 Ω");
    let key_line = edited
        .lines()
        .position(|l| l.trim() == "value = -4.7")
        .unwrap()
        + 1;
    std::fs::write(&path, &edited).unwrap();
    let p = problems(UserCatalog::load(&path).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    // The line of the figure's table (`[output.r_out_ohm]`), just above its value.
    assert_eq!(p[0].line, key_line - 1, "{p:?}\n{edited}");
    assert!(p[0].message.contains("r_out_ohm"), "{p:?}");
}

#[test]
fn a_name_that_is_taken_is_refused() {
    let mut copy = my_interface();
    let builtin = &catalog::outputs()[catalog::find_output("motu m2").unwrap()];
    (copy.maker, copy.model, copy.variant) = (
        builtin.maker.clone(),
        builtin.model.clone(),
        builtin.variant.clone(),
    );
    let dir = scratch("taken");
    let user = UserCatalog::load(&dir.join("catalog.toml")).unwrap();
    let p = refused(user.add_output(&copy).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("another entry has this name"), "{p:?}");
    // Twice the same name of the user's own.
    let user = user.add_output(&my_interface()).unwrap();
    let p = refused(user.add_output(&my_interface()).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn an_unreadable_file_is_an_error_that_names_it() {
    let dir = scratch("unreadable");
    // A directory where the file should be.
    let path = dir.join("catalog.toml");
    std::fs::create_dir(&path).unwrap();
    let err = UserCatalog::load(&path).unwrap_err();
    assert!(matches!(err, UserCatalogError::Read { .. }), "{err}");
    assert!(err.to_string().contains("catalog.toml"), "{err}");
    // The built-in catalog is untouched by it.
    assert!(catalog::problems().is_empty());
}

/// The user's interface given as the model's own figures, as the editor saves a custom output.
fn my_interface_by_its_figures() -> OutputEntry {
    OutputEntry {
        max_output: Vec::new(),
        full_scale_dbu: Some(measured(16.0)),
        i_max_ma_peak: Some(measured(90.0)),
        rail_v_peak: Some(measured(5.5)),
        r_sag_ohm: Some(measured(2.0)),
        flicker_corner_hz: Some(measured(40.0)),
        ..my_interface()
    }
}

#[test]
fn an_output_given_by_the_models_figures_reads_back_as_those_figures() {
    let dir = scratch("direct");
    let path = dir.join("catalog.toml");
    let entry = my_interface_by_its_figures();
    let user = UserCatalog::load(&path)
        .unwrap()
        .add_output(&entry)
        .unwrap();
    let read = UserCatalog::load(&path).unwrap();
    assert_eq!(read, user);
    let back = &read.outputs[0].entry;
    assert_eq!(back, &entry);
    let figures = back.model_figures();
    assert_eq!(figures.full_scale_dbu, Some(16.0));
    assert_eq!(figures.r_out_ohm, 4.7);
    assert_eq!(figures.rail_v_peak, Some(5.5));
    assert_eq!(figures.i_max_ma_peak, Some(90.0));
    assert_eq!(figures.r_sag_ohm, Some(2.0));
    assert_eq!(figures.noise_floor_dbv, Some((-104.0, true)));
    assert_eq!(figures.flicker_corner_hz, 40.0);
    assert_eq!(back.stage(), figures.stage());
    assert!(back.levels_sourced());
}

#[test]
fn an_output_gives_its_level_one_way_only() {
    let messages = |e: OutputEntry| -> Vec<String> {
        let dir = scratch("level-form");
        let user = UserCatalog::load(&dir.join("catalog.toml")).unwrap();
        refused(user.add_output(&e).unwrap_err())
    };
    let neither = OutputEntry {
        full_scale_dbu: None,
        ..my_interface_by_its_figures()
    };
    assert!(messages(neither)[0].contains("no maximum output figure"));
    let both = OutputEntry {
        max_output: my_interface().max_output,
        i_max_ma_peak: None,
        r_sag_ohm: None,
        ..my_interface_by_its_figures()
    };
    assert!(messages(both)[0].contains("both maximum outputs and a full scale"));
    let limit_without_full_scale = OutputEntry {
        i_max_ma_peak: Some(measured(90.0)),
        ..my_interface()
    };
    assert!(messages(limit_without_full_scale)[0].contains("current limit"));
}

#[test]
fn an_entry_replaced_keeps_its_place_and_the_rest_of_the_file() {
    let dir = scratch("replaced");
    let path = dir.join("catalog.toml");
    std::fs::write(&path, "# my devices\n").unwrap();
    let mut second = my_interface();
    second.variant = "rear jack".into();
    let user = UserCatalog::load(&path)
        .unwrap()
        .add_output(&my_interface())
        .unwrap()
        .add_output(&second)
        .unwrap();
    let mut better = my_interface_by_its_figures();
    better.r_out_ohm = measured(2.2);
    let user = user.replace_output(0, &better).unwrap();
    let names: Vec<String> = user.outputs.iter().map(|e| e.entry.name()).collect();
    assert_eq!(names, ["Acme Box 2 front jack", "Acme Box 2 rear jack"]);
    assert_eq!(user.outputs[0].entry, better);
    assert_eq!(user.outputs[1].entry, second);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# my devices\n")
    );
    // A replacement that is unsound leaves the file as it was.
    let before = std::fs::read_to_string(&path).unwrap();
    let mut bad = better.clone();
    bad.r_out_ohm.value = -1.0;
    assert!(user.replace_output(1, &bad).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn a_write_that_fails_leaves_the_file_as_it_was() {
    let dir = scratch("write-fails");
    let path = dir.join("catalog.toml");
    let one = UserCatalog::load(&path)
        .unwrap()
        .add_output(&my_interface())
        .unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    // A write goes through `catalog.toml.partial`: where that cannot be written (here a
    // directory stands in its way), the command fails and the file keeps every entry.
    std::fs::create_dir(dir.join("catalog.toml.partial")).unwrap();
    let mut other = my_interface();
    other.model = "Box 3".into();
    assert!(matches!(
        one.add_output(&other),
        Err(UserCatalogError::Write { .. })
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // Once it can be written, the new file replaces the old whole, and nothing is left beside.
    std::fs::remove_dir(dir.join("catalog.toml.partial")).unwrap();
    let two = one.add_output(&other).unwrap();
    assert_eq!(two.outputs.len(), 2);
    assert_eq!(UserCatalog::load(&path).unwrap(), two);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["catalog.toml"]);
}

/// What the fuzz target does, on a deterministic stream of damaged files: characters flipped,
/// lines dropped or doubled in a sound catalog; reading never panics, a catalog read has no
/// problem left, and every problem refused is at a line of the file.
#[test]
fn damaged_catalogs_never_panic_and_cite_lines_of_the_file() {
    let seed = include_str!("../../../fuzz/corpus/user_catalog/output-and-headphone.toml");
    assert!(UserCatalog::parse(Path::new("seed.toml"), seed).is_ok());
    let mut rng = loadline_core::dsp::noise::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.next_u64();
    let (mut read, mut refused) = (0, 0);
    for _ in 0..1500 {
        let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
        for _ in 0..1 + next() % 3 {
            let at = (next() as usize) % lines.len();
            match next() % 4 {
                0 => {
                    lines.remove(at);
                }
                1 => lines.insert(at, lines[at].clone()),
                _ => {
                    let mut chars: Vec<char> = lines[at].chars().collect();
                    if !chars.is_empty() {
                        let k = (next() as usize) % chars.len();
                        chars[k] = ['0', '-', '=', '"', '.', 'e', '[', ']', '9', '\u{7}']
                            [(next() % 10) as usize];
                    }
                    lines[at] = chars.into_iter().collect();
                }
            }
            if lines.is_empty() {
                break;
            }
        }
        let text = lines.join("\n");
        match UserCatalog::parse(Path::new("damaged.toml"), &text) {
            Ok(catalog) => {
                assert!(catalog.problems().is_empty());
                read += 1;
            }
            Err(UserCatalogError::Invalid { problems, .. }) => {
                let count = text.lines().count().max(1);
                assert!(
                    problems.iter().all(|p| p.line <= count),
                    "{problems:?}\n{text}"
                );
                refused += 1;
            }
            Err(other) => panic!("{other}"),
        }
    }
    println!("{read} damaged catalogs read, {refused} refused");
    assert!(read > 0 && refused > 0);
}

/// TOML reports what it still waited for at the very end of the file: a file that ends in a
/// newline has that at its last line, not on the empty line after it (which no editor shows).
#[test]
fn an_error_at_the_end_is_at_the_last_line() {
    let text = "[[output]]\nmaker = \"Acme\"\nr_out_ohm = { value = 4.7,\n";
    let p = problems(UserCatalog::parse(Path::new("end.toml"), text).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].line, 3, "{p:?}");
}
