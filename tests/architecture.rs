//! The layering of ../shared/DESIGN.md, checked on the source: data flows
//! one way (a face builds options, `ops` runs the stages, `ingest` →
//! `rules` → `report`, `store`, `notify`), so no stage may name a stage
//! above it or a face, and only the faces and `config` read the
//! environment. The check reads `src/` as text: every `crate::NAME` path
//! outside comments counts as a use of `NAME`.

use std::path::{Path, PathBuf};

/// For each stage, the top-level modules it must never use.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "ingest",
        &["rules", "report", "store", "notify", "ops", "cli", "web"],
    ),
    ("rules", &["report", "store", "notify", "ops", "cli", "web"]),
    ("report", &["store", "notify", "ops", "cli", "web"]),
    ("store", &["report", "notify", "ops", "cli", "web"]),
    ("notify", &["ops", "cli", "web"]),
    (
        "finding",
        &["ingest", "rules", "report", "store", "ops", "cli"],
    ),
    ("config", &["ops", "cli", "web"]),
    (
        "password",
        &["store", "notify", "report", "ops", "cli", "web"],
    ),
    (
        "progress",
        &["ingest", "rules", "store", "notify", "ops", "cli", "web"],
    ),
    ("ops", &["cli", "web"]),
    // Calendar arithmetic for every layer: it uses none of them.
    (
        "time",
        &[
            "ingest", "rules", "report", "store", "notify", "ops", "cli", "web", "config",
        ],
    ),
];

/// Where the environment may be read: the faces and the one Config.
const READS_ENV: &[&str] = &["cli", "web", "config", "main"];

/// Crates of one face only: the terminal's arguments and bars, the web's
/// server. The stages get a `progress::Progress` instead of a bar.
const FACE_CRATES: &[(&str, &[&str])] = &[
    ("clap", &["cli", "main"]),
    ("indicatif", &["cli"]),
    ("axum", &["web"]),
];

/// The top-level module a file of `src/` belongs to (`src/store/users.rs`
/// → `store`, `src/config.rs` → `config`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let first = rel.components().next().map_or_else(String::new, |c| {
        c.as_os_str().to_string_lossy().into_owned()
    });
    first.trim_end_matches(".rs").to_string()
}

/// The text of `source` without its comments (line comments, doc
/// comments and block comments), so that prose naming a module is not a
/// use of it.
fn code_of(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else if rest.starts_with('"') {
            // A string literal is data, not a path.
            let mut end = 1;
            let bytes = rest.as_bytes();
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            rest = rest.get(end + 1..).unwrap_or("");
            out.push_str("\"\"");
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out
}

/// The modules `code` names as `crate::NAME`, and whether it reads the
/// environment.
fn uses(code: &str) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let boundary = code[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if !boundary {
            continue;
        }
        let name: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    let env = code.contains("env::var") || code.contains("env::vars");
    (names, env)
}

/// Whether `code` names the crate `krate` (`krate::...` at a word's start).
fn names_crate(code: &str, krate: &str) -> bool {
    let pattern = format!("{krate}::");
    code.match_indices(&pattern).any(|(i, _)| {
        code[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != ':')
    })
}

/// Every problem with one file, as sentences.
fn problems(module: &str, file: &str, source: &str) -> Vec<String> {
    let code = code_of(source);
    let (names, env) = uses(&code);
    let mut out = Vec::new();
    for (krate, faces) in FACE_CRATES {
        if !faces.contains(&module) && names_crate(&code, krate) {
            out.push(format!("{file}: uses {krate}, which belongs to a face"));
        }
    }
    if let Some((_, banned)) = FORBIDDEN.iter().find(|(m, _)| *m == module) {
        for n in names.iter().filter(|n| banned.contains(&n.as_str())) {
            out.push(format!(
                "{file}: the {module} stage uses crate::{n}, a stage above it"
            ));
        }
    }
    if env && !READS_ENV.contains(&module) {
        out.push(format!(
            "{file}: reads the environment; only the faces and config.rs may (pass a Config)"
        ));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_stage_uses_a_stage_above_it_and_only_faces_read_the_environment() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut all = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let shown = f.strip_prefix(&src).unwrap().display().to_string();
        all.extend(problems(&module_of(&src, f), &shown, &text));
    }
    assert!(all.is_empty(), "layering broken:\n{}", all.join("\n"));
}

/// The files of `src/store/` that `source` names as `super::FILE`.
fn store_files_named(source: &str, files: &[String]) -> Vec<String> {
    let code = code_of(source);
    files
        .iter()
        .filter(|f| {
            code.contains(&format!("super::{f}::")) || code.contains(&format!("super::{f};"))
        })
        .cloned()
        .collect()
}

/// The store's files import one another without a circle, so each can be
/// read (and, for a second backend, written) from the bottom up.
#[test]
fn no_circle_between_store_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            if p.extension()? != "rs" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .filter(|f| f != "mod")
        .collect();
    files.sort();
    let edges: Vec<(String, Vec<String>)> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(format!("{f}.rs"))).unwrap();
            (f.clone(), store_files_named(&text, &files))
        })
        .collect();
    assert_eq!(circle(&edges), None, "store files in a circle");
}

/// A circle in the graph, if there is one (depth-first search).
fn circle(edges: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &[(String, Vec<String>)],
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            return Some(path[i..].to_vec());
        }
        if done.iter().any(|d| d == node) {
            return None;
        }
        path.push(node.to_string());
        let next = edges
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, e)| e.clone());
        for n in next.unwrap_or_default() {
            if let Some(c) = visit(&n, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.push(node.to_string());
        None
    }
    let mut done = Vec::new();
    edges
        .iter()
        .find_map(|(n, _)| visit(n, edges, &mut Vec::new(), &mut done))
}

/// The check itself can fail: a forbidden import, an environment read in a
/// stage, and what must not count (comments, strings, longer names).
#[test]
fn the_check_finds_what_it_should_and_only_that() {
    let bad = "use crate::rules::Finding;\nfn f() { let _ = std::env::var(\"X\"); }";
    let found = problems("ingest", "ingest/x.rs", bad);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("crate::rules"));
    let fine = "// crate::store is mentioned here\n/* crate::ops */\nlet s = \"crate::cli\";\n\
                use crate::columns; use mycrate::store;";
    assert_eq!(
        problems("ingest", "ingest/y.rs", fine),
        Vec::<String>::new()
    );
    assert!(problems("cli", "cli/z.rs", bad).is_empty());
    let bar = "fn f(b: &indicatif::ProgressBar) {}";
    assert_eq!(problems("password", "password.rs", bar).len(), 1);
    assert!(problems("cli", "cli/bars.rs", bar).is_empty());
    let edges = vec![
        ("a".to_string(), vec!["b".to_string()]),
        ("b".to_string(), vec!["a".to_string()]),
    ];
    assert!(circle(&edges).is_some());
    assert_eq!(circle(&edges[..1]), None);
}
