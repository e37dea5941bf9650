//! The core's module order, held: read from every source file's `crate::…` paths (outside its
//! tests), the modules must form no cycle, the real-time engine (`dsp`) must use nothing but
//! the physics and the units, and `docs/architecture.md` must list every module's uses as they
//! are.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Which top-level module of the core each module uses, outside tests and comments.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Tests sit at the end of each file, after `#[cfg(test)]`; what they use is not the
        // module's.
        // Comments name modules without using them.
        let code: String = (text.split("#[cfg(test)]").next().unwrap().lines())
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let used = graph.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && !name.is_empty() {
                used.insert(name);
            }
        }
    }
    graph
}

/// The modules bottom up (each after everything it uses), or the ones caught in a cycle.
fn order(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<String>, Vec<String>> {
    let mut placed: Vec<String> = Vec::new();
    loop {
        let next: Vec<String> = (graph.iter())
            .filter(|(m, used)| !placed.contains(m) && used.iter().all(|u| placed.contains(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if next.is_empty() {
            break;
        }
        placed.extend(next);
    }
    let left: Vec<String> = graph
        .keys()
        .filter(|m| !placed.contains(m))
        .cloned()
        .collect();
    if left.is_empty() {
        Ok(placed)
    } else {
        Err(left)
    }
}

#[test]
fn the_core_has_no_cycle_and_the_engine_is_at_the_bottom() {
    let graph = uses();
    for (module, used) in &graph {
        let list: Vec<String> = used.iter().map(|u| format!("`{u}`")).collect();
        println!(
            "| `{module}` | {} |",
            if list.is_empty() {
                "nothing".into()
            } else {
                list.join(", ")
            }
        );
    }
    let order = order(&graph).unwrap_or_else(|cycle| panic!("a cycle among {cycle:?}"));
    println!("bottom up: {}", order.join(" → "));
    let dsp = &graph["dsp"];
    assert!(
        dsp.iter().all(|u| u == "physics" || u == "units"),
        "the real-time engine uses {dsp:?}"
    );
    // The documentation's table, row by row.
    let doc = include_str!("../../../docs/architecture.md");
    for (module, used) in &graph {
        let list: Vec<String> = used.iter().map(|u| format!("`{u}`")).collect();
        let row = format!(
            "| `{module}` | {} |",
            if list.is_empty() {
                "nothing".into()
            } else {
                list.join(", ")
            }
        );
        assert!(doc.contains(&row), "docs/architecture.md lacks {row}");
    }
}

#[test]
fn a_cycle_is_caught() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("a".into(), ["b".to_string()].into());
    graph.insert("b".into(), ["a".to_string()].into());
    graph.insert("c".into(), BTreeSet::new());
    assert_eq!(order(&graph), Err(vec!["a".to_string(), "b".to_string()]));
    graph.remove("b");
    graph.get_mut("a").unwrap().clear();
    assert_eq!(order(&graph), Ok(vec!["a".to_string(), "c".to_string()]));
}
