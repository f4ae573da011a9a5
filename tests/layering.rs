//! The house rules that a compiler does not check: inside each crate the modules' imports form no
//! circle (the arrows only point one way), and no source file outside tests grows past 450 lines.
//!
//! The import graph is read from the sources: `use` trees, inline `crate::`/`super::`/`self::`
//! paths and paths through a child module, resolved to the module that defines the item (a
//! `pub use` re-export is followed to where the item lives). Test code is left out: a test module
//! may look at everything around it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test: a failure should stop it loudly

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const CRATES: [&str; 4] = ["crates/core", "crates/store", "crates/notify", "crates/api"];
const MAX_LINES: usize = 450;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

#[test]
fn modules_import_each_other_without_a_circle() {
    let mut report = String::new();
    for krate in CRATES {
        let graph = ModuleGraph::read(&workspace().join(krate).join("src"));
        for circle in graph.circles() {
            report.push_str(&format!(
                "\n{krate}: a circle through {}\n",
                circle.join(", ")
            ));
            for (from, to, why) in graph.edges_within(&circle) {
                report.push_str(&format!("    {from} -> {to}   ({why})\n"));
            }
        }
    }
    assert!(report.is_empty(), "modules that import each other:{report}");
}

#[test]
fn no_source_file_outside_tests_is_over_the_limit() {
    let mut too_long = Vec::new();
    for krate in CRATES {
        for file in rust_files(&workspace().join(krate).join("src")) {
            let text = fs::read_to_string(&file).expect("readable source");
            let lines = text.lines().count();
            if lines > MAX_LINES && !is_test_file(&file) {
                too_long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "files over {MAX_LINES} lines: {too_long:#?}"
    );
}

#[test]
fn the_checker_sees_a_circle_and_a_clean_tree() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).expect("write");
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub use c::Thing;\n",
    );
    write(
        "a.rs",
        "use crate::b::helper;\n#[cfg(test)]\nmod tests { use crate::c::Thing; }\n",
    );
    write("b.rs", "pub fn helper() {}\nfn back() { crate::a::x(); }\n");
    write(
        "c.rs",
        "pub struct Thing;\n// crate::a::x in a comment\nconst S: &str = \"crate::a\";\n",
    );
    let graph = ModuleGraph::read(dir.path());
    assert_eq!(
        graph.circles(),
        vec![vec!["a".to_string(), "b".to_string()]]
    );

    write(
        "b.rs",
        "pub fn helper() {}\nfn thing() -> crate::Thing { crate::Thing }\n",
    );
    let graph = ModuleGraph::read(dir.path());
    assert!(graph.circles().is_empty(), "a re-export is followed to c");
    assert!(graph.edges.contains_key(&("b".into(), "c".into())));
}

fn is_test_file(file: &Path) -> bool {
    file.file_name().is_some_and(|name| name == "tests.rs")
        || file.components().any(|part| part.as_os_str() == "tests")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A module's path inside its crate, `[]` for the crate root.
type ModPath = Vec<String>;

#[derive(Debug)]
struct Module {
    path: ModPath,
    /// Paths this module names, as written, with the line for the report.
    uses: Vec<(Vec<String>, String)>,
    /// Names this module re-exports (`pub use`), as written.
    reexports: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Default)]
struct ModuleGraph {
    modules: BTreeMap<ModPath, Module>,
    /// (from, to) → the first line that made the arrow.
    edges: BTreeMap<(String, String), String>,
}

impl ModuleGraph {
    fn read(src: &Path) -> Self {
        let mut graph = ModuleGraph::default();
        for file in rust_files(src) {
            let relative = file.strip_prefix(src).expect("under src");
            let Some(path) = module_path(relative) else {
                continue;
            };
            if path.iter().any(|part| part == "tests") {
                continue;
            }
            let text = without_tests(&without_comments_and_strings(
                &fs::read_to_string(&file).expect("readable source"),
            ));
            let (uses, reexports) = named_paths(&text);
            graph.modules.insert(
                path.clone(),
                Module {
                    path,
                    uses,
                    reexports,
                },
            );
        }
        graph.link();
        graph
    }

    fn link(&mut self) {
        let mut edges = BTreeMap::new();
        for module in self.modules.values() {
            for (written, line) in &module.uses {
                let Some(target) = self.resolve(&module.path, written, 0) else {
                    continue;
                };
                if target != module.path {
                    edges
                        .entry((name(&module.path), name(&target)))
                        .or_insert_with(|| line.clone());
                }
            }
        }
        self.edges = edges;
    }

    /// The module that defines what `written` names from inside `from`; `None` outside the crate.
    fn resolve(&self, from: &ModPath, written: &[String], depth: usize) -> Option<ModPath> {
        let (mut at, rest): (ModPath, &[String]) = match written.first()?.as_str() {
            "crate" => (Vec::new(), &written[1..]),
            "self" => (from.clone(), &written[1..]),
            "super" => {
                let mut at = from.clone();
                let mut rest = written;
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop();
                    rest = &rest[1..];
                }
                (at, rest)
            }
            first => {
                let mut child = from.clone();
                child.push(first.to_string());
                if !self.modules.contains_key(&child) {
                    return None;
                }
                (from.clone(), written)
            }
        };
        let mut rest = rest.iter();
        let mut item = None;
        for segment in rest.by_ref() {
            let mut deeper = at.clone();
            deeper.push(segment.clone());
            if self.modules.contains_key(&deeper) {
                at = deeper;
            } else {
                item = Some(segment.clone());
                break;
            }
        }
        // An item that this module re-exports lives where the re-export points.
        if let (Some(item), Some(module)) = (item, self.modules.get(&at))
            && depth < 8
            && let Some((_, source)) = module.reexports.iter().find(|(name, _)| *name == item)
        {
            return self.resolve(&at, source, depth + 1).or(Some(at));
        }
        Some(at)
    }

    /// Groups of modules that reach each other through their imports (Tarjan's algorithm).
    fn circles(&self) -> Vec<Vec<String>> {
        let nodes: BTreeSet<&String> = self.edges.keys().flat_map(|(a, b)| [a, b]).collect();
        let nodes: Vec<&String> = nodes.into_iter().collect();
        let index_of = |name: &String| nodes.iter().position(|n| *n == name).expect("a node");
        let mut next = vec![Vec::new(); nodes.len()];
        for (from, to) in self.edges.keys() {
            next[index_of(from)].push(index_of(to));
        }
        let mut tarjan = Tarjan {
            next,
            index: vec![None; nodes.len()],
            low: vec![0; nodes.len()],
            on_stack: vec![false; nodes.len()],
            stack: Vec::new(),
            counter: 0,
            groups: Vec::new(),
        };
        for node in 0..nodes.len() {
            if tarjan.index[node].is_none() {
                tarjan.visit(node);
            }
        }
        let mut circles: Vec<Vec<String>> = tarjan
            .groups
            .into_iter()
            .filter(|group| group.len() > 1)
            .map(|group| {
                let mut names: Vec<String> = group.iter().map(|&i| nodes[i].clone()).collect();
                names.sort();
                names
            })
            .collect();
        circles.sort();
        circles
    }

    fn edges_within(&self, circle: &[String]) -> Vec<(String, String, String)> {
        self.edges
            .iter()
            .filter(|((a, b), _)| circle.contains(a) && circle.contains(b))
            .map(|((a, b), why)| (a.clone(), b.clone(), why.clone()))
            .collect()
    }
}

struct Tarjan {
    next: Vec<Vec<usize>>,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    counter: usize,
    groups: Vec<Vec<usize>>,
}

impl Tarjan {
    fn visit(&mut self, node: usize) {
        self.index[node] = Some(self.counter);
        self.low[node] = self.counter;
        self.counter += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        for next in self.next[node].clone() {
            match self.index[next] {
                None => {
                    self.visit(next);
                    self.low[node] = self.low[node].min(self.low[next]);
                }
                Some(index) if self.on_stack[next] => self.low[node] = self.low[node].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[node]) == self.index[node] {
            let mut group = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack[member] = false;
                group.push(member);
                if member == node {
                    break;
                }
            }
            self.groups.push(group);
        }
    }
}

fn name(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// `lib.rs` → root, `a.rs` and `a/mod.rs` → `a`, `a/b.rs` → `a::b`; binaries are other crates.
fn module_path(relative: &Path) -> Option<ModPath> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    match file.as_str() {
        "main.rs" if parts.is_empty() => return None,
        "lib.rs" if parts.is_empty() => {}
        "mod.rs" => {}
        other => parts.push(other.strip_suffix(".rs")?.to_string()),
    }
    if parts.iter().any(|part| part == "bin") {
        return None;
    }
    Some(parts)
}

/// The source with comments blanked and string and character literals emptied, so that a path
/// in a doc comment or a message is not read as an import. Line breaks stay.
fn without_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if chars[i] == 'r'
            && (rest.get(1) == Some(&'#') || rest.get(1) == Some(&'"'))
            && !chars.get(i.wrapping_sub(1)).is_some_and(|c| is_ident(*c))
        {
            let hashes = rest[1..].iter().take_while(|c| **c == '#').count();
            if rest.get(1 + hashes) != Some(&'"') {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if chars[i] == '\'' && rest.get(1) == Some(&'\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if chars[i] == '\'' && rest.get(2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The source without items marked `#[cfg(test)]` (a test module, a test-only function).
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its first `;` or at the brace that closes its first `{`.
        let mut depth = 0usize;
        let mut end = rest.len();
        for (offset, c) in rest.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = offset + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.extend(rest[..end].chars().filter(|c| *c == '\n'));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Every path the source names that could lead to another module of the crate, and its
/// re-exports (name → path).
#[allow(clippy::type_complexity)]
fn named_paths(text: &str) -> (Vec<(Vec<String>, String)>, Vec<(String, Vec<String>)>) {
    let mut uses = Vec::new();
    let mut reexports = Vec::new();
    let mut rest = text;
    let mut code = String::new();
    // `use` declarations first: their trees expand to whole paths.
    while let Some(at) = find_use(rest) {
        code.push_str(&rest[..at.start]);
        let line_text = rest[at.start..]
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or_default();
        let declaration = &rest[at.tree_start..];
        let end = declaration.find(';').unwrap_or(declaration.len());
        for (path, alias) in expand_use_tree(&declaration[..end]) {
            if at.public {
                let visible = alias.clone().or_else(|| path.last().cloned());
                if let Some(visible) = visible.filter(|name| name != "*" && name != "self") {
                    reexports.push((visible, path.clone()));
                }
            }
            let path: Vec<String> = path.into_iter().filter(|s| s != "*").collect();
            uses.push((path, line_text.to_string()));
        }
        rest = &declaration[(end + 1).min(declaration.len())..];
    }
    code.push_str(rest);
    // Then paths written inline: `crate::a::b`, `super::x`, `child::item`.
    for line in code.lines() {
        for path in inline_paths(line) {
            uses.push((path, line.trim().to_string()));
        }
    }
    (uses, reexports)
}

struct UseAt {
    start: usize,
    tree_start: usize,
    public: bool,
}

fn find_use(text: &str) -> Option<UseAt> {
    let mut from = 0;
    while let Some(found) = text[from..].find("use ") {
        let at = from + found;
        let before = &text[..at];
        let statement_start = before.rfind([';', '{', '}', ']']).map_or(0, |i| i + 1);
        let prefix = before[statement_start..].trim();
        let public = prefix.starts_with("pub");
        if prefix.is_empty() || prefix == "pub" || prefix.starts_with("pub(") {
            return Some(UseAt {
                start: statement_start,
                tree_start: at + "use ".len(),
                public,
            });
        }
        from = at + "use ".len();
    }
    None
}

/// `a::{b, c::{d as e, *}}` → `[a,b]`, `[a,c,d] as e`, `[a,c,*]`.
fn expand_use_tree(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
        let tree = tree.trim().trim_start_matches("::");
        if tree.is_empty() {
            return;
        }
        if let Some(open) = tree.find('{') {
            let mut base = prefix.to_vec();
            base.extend(segments(
                tree[..open].trim_end_matches(|c: char| c == ':' || c.is_whitespace()),
            ));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            for part in split_top_level(inner) {
                if part.trim() == "self" {
                    out.push((base.clone(), None));
                } else {
                    expand(&base, part, out);
                }
            }
        } else {
            let (path, alias) = match tree.split_once(" as ") {
                Some((path, alias)) => (path, Some(alias.trim().to_string())),
                None => (tree, None),
            };
            let mut full = prefix.to_vec();
            full.extend(segments(path));
            out.push((full, alias));
        }
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Paths of two or more segments written in code (`x::y`), outside `use` declarations.
fn inline_paths(line: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = line.chars().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = is_ident(chars[i]) && (i == 0 || !is_ident(chars[i - 1]));
        let after_colons = i >= 2 && chars[i - 1] == ':' && chars[i - 2] == ':';
        if !starts_word || after_colons {
            i += 1;
            continue;
        }
        let mut path = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            path.push(chars[start..j].iter().collect::<String>());
            if chars[j..].starts_with(&[':', ':']) && chars.get(j + 2).is_some_and(|c| is_ident(*c))
            {
                j += 2;
            } else {
                break;
            }
        }
        if path.len() > 1 {
            paths.push(path);
        }
        i = j.max(i + 1);
    }
    paths
}
