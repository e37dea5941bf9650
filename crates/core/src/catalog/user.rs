//! The user's own devices: one TOML file in the user's configuration directory, with
//! `[[output]]` and `[[headphone]]` tables in the built-in catalog's format (without `index`),
//! checked as the built-in entries are, except that a source may be any text ("own
//! measurement", "manual, p. 12").
//!
//! The file lives at `LOADLINE_CONFIG_DIR/catalog.toml` when that variable is set, otherwise
//! in the platform's configuration directory: `$XDG_CONFIG_HOME/loadline` (or
//! `~/.config/loadline`) on Linux, `~/Library/Application Support/Loadline` on macOS,
//! `%APPDATA%\Loadline` on Windows. A missing file is an empty catalog; an unreadable or
//! invalid one is an error that names the file and the line, and never takes the built-in
//! catalog with it.

use super::lookup::{LookupError, compact, lookup, name_matches};
use super::validate::{Findings, Sources, headphone_problems, model_problems, output_problems};
use super::{HeadphoneEntry, OutputEntry, headphones, outputs};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that moves the user's configuration directory (tests, portable
/// setups).
pub const DIR_ENV: &str = "LOADLINE_CONFIG_DIR";

/// The user catalog's file name inside the configuration directory.
pub const FILE_NAME: &str = "catalog.toml";

/// What the user's entries are marked with wherever names are shown.
pub const MARK: &str = "(yours)";

/// Where the user's catalog is (whether or not it exists), or `None` on a platform without a
/// configuration directory and without [`DIR_ENV`].
pub fn default_path() -> Option<PathBuf> {
    Some(config_dir()?.join(FILE_NAME))
}

/// The folder of the user's catalog and setups (whether or not it exists), or `None` on a
/// platform without a configuration directory and without [`DIR_ENV`].
pub fn config_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            let base = dirs::config_dir()?;
            // Linux spells application directories in lower case, the others capitalised.
            base.join(if cfg!(target_os = "linux") {
                "loadline"
            } else {
                "Loadline"
            })
        }
    };
    Some(dir)
}

/// One of the user's entries and the line of the file where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEntry<T> {
    /// The entry.
    pub entry: T,
    /// Its first line in the file (1-based).
    pub line: usize,
    /// The line where each key of the entry first appears, by each part of its dotted path
    /// (`line_out` and `r_out_ohm` for `line_out.r_out_ohm`, and for a
    /// `[output.line_out.r_out_ohm]` table).
    pub key_lines: Vec<(String, usize)>,
}

impl<T> UserEntry<T> {
    /// The line where the entry sets `key` (a catalog key, dotted or not), or its first line
    /// when the key is not in the file (a figure left out) or is about the whole entry.
    pub fn line_of(&self, key: &str) -> usize {
        let first = key.split('.').next().unwrap_or(key);
        self.key_lines
            .iter()
            .find(|(k, _)| k == first)
            .map_or(self.line, |(_, l)| *l)
    }
}

/// The keys a line of TOML sets or opens, each part of its dotted path below the entry's own
/// table: `r_out_ohm` for `r_out_ohm = …`, `line_out` and `r_out_ohm` for
/// `line_out.r_out_ohm = …`, `points` and `rdc_ohm` for `[headphone.points.rdc_ohm]`,
/// `max_output` for `[[output.max_output]]`.
fn keys_of_line(line: &str) -> Vec<String> {
    let t = line.trim();
    let path = if let Some(header) = t.strip_prefix('[') {
        let name = header
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("");
        name.split('.').skip(1).collect::<Vec<_>>()
    } else if t.starts_with('#') {
        Vec::new()
    } else {
        t.split_once('=')
            .map_or_else(Vec::new, |(k, _)| k.split('.').collect())
    };
    path.into_iter()
        .map(|k| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

/// The user's catalog as read from its file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserCatalog {
    /// The file it was read from (it may not exist: then the catalog is empty).
    pub path: PathBuf,
    /// The user's outputs, in the file's order.
    pub outputs: Vec<UserEntry<OutputEntry>>,
    /// The user's headphones, in the file's order.
    pub headphones: Vec<UserEntry<HeadphoneEntry>>,
}

/// One thing wrong with a user catalog, at a line of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line (1-based; 0 when the problem is the whole file).
    pub line: usize,
    /// What is wrong, naming the entry.
    pub message: String,
}

/// Why the user's catalog could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserCatalogError {
    /// The file exists but cannot be read.
    #[error("{}: cannot read it: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// The file or its directory cannot be written.
    #[error("{}: cannot write it: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// An entry to be added is unsound: nothing was written.
    #[error("{} is not added to {} (nothing was written):\n{}", name, path.display(), problems.join("\n"))]
    Refused {
        /// The file it was to be added to.
        path: PathBuf,
        /// The entry's name.
        name: String,
        /// Everything wrong with it.
        problems: Vec<String>,
    },
    /// The file is not valid TOML, or not in the catalog's format, or an entry is unsound.
    #[error("{}", problems_text(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, by line.
        problems: Vec<Problem>,
    },
}

/// Problems as "FILE:LINE: message" lines.
fn problems_text(path: &Path, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("{}:{}: {}", path.display(), p.line, p.message))
        .collect();
    lines.join("\n")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The file's tables, each with its span.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UserFile {
    #[serde(default)]
    output: Vec<toml::Spanned<OutputEntry>>,
    #[serde(default)]
    headphone: Vec<toml::Spanned<HeadphoneEntry>>,
}

/// Where a text's lines break, found in one pass, so that finding an entry's line costs a
/// binary search rather than a scan of all the text before it: reading a file then grows with
/// its length, not with its length times its number of entries.
pub(crate) struct Lines {
    /// The byte offset of every newline, in ascending order.
    breaks: Vec<usize>,
    /// The file's last line (1-based): its number of lines, at least 1.
    last: usize,
}

impl Lines {
    /// The line breaks of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let breaks: Vec<usize> = text
            .bytes()
            .enumerate()
            .filter_map(|(k, b)| (b == b'\n').then_some(k))
            .collect();
        let last = text.lines().count().max(1);
        Lines { breaks, last }
    }

    /// The 1-based line of byte `offset`: one more than the newlines before it. An offset at
    /// the end of a file that ends in a newline (where TOML reports what it was still
    /// waiting for) is on the last line, not on the empty one after it.
    pub(crate) fn of(&self, offset: usize) -> usize {
        (self.breaks.partition_point(|&b| b < offset) + 1).min(self.last)
    }
}

/// `spanned` entries of `text`, each with the line where it starts and those of its keys
/// (found in its text: from its start to `starts`' next, the sorted starts of every entry).
fn with_lines<T>(
    text: &str,
    (lines, starts): (&Lines, &[usize]),
    spanned: Vec<toml::Spanned<T>>,
) -> Vec<UserEntry<T>> {
    let entry = |s: toml::Spanned<T>| {
        let start = s.span().start;
        let line = lines.of(start);
        let mut key_lines: Vec<(String, usize)> = Vec::new();
        let end = starts[starts.partition_point(|&x| x <= start)..]
            .first()
            .copied()
            .unwrap_or(text.len());
        let body = text.get(start..end).unwrap_or_default();
        for (k, text_line) in body.lines().enumerate() {
            for key in keys_of_line(text_line) {
                if !key_lines.iter().any(|(seen, _)| *seen == key) {
                    key_lines.push((key, line + k));
                }
            }
        }
        UserEntry {
            line,
            key_lines,
            entry: s.into_inner(),
        }
    };
    spanned.into_iter().map(entry).collect()
}

/// The names entries already have, in the compact form lookups compare (two names a lookup
/// cannot tell apart are the same name), kept in a set so that checking one more name costs
/// the same however many came before it.
struct TakenNames(HashSet<String>);

impl TakenNames {
    /// Every one of `names` taken.
    fn new(names: impl IntoIterator<Item = String>) -> Self {
        TakenNames(names.into_iter().map(|n| compact(&n)).collect())
    }

    /// Takes `name` for the entry at `line`: a problem there when another entry has it.
    fn take(&mut self, line: usize, name: &str) -> Option<Problem> {
        let fresh = self.0.insert(compact(name));
        (!fresh).then(|| Problem {
            line,
            message: format!(
                "{name}: another entry has this name; give it a variant to tell them apart"
            ),
        })
    }
}

/// What was found in `entry`, each problem at the line of its key.
fn at_lines<T>(entry: &UserEntry<T>, found: Findings) -> impl Iterator<Item = Problem> + '_ {
    found.into_iter().map(move |(key, message)| Problem {
        line: entry.line_of(key),
        message,
    })
}

impl UserCatalog {
    /// Reads the catalog at `path`: empty when the file does not exist, an error naming the
    /// file and the line when it cannot be read or holds anything unsound.
    pub fn load(path: &Path) -> Result<Self, UserCatalogError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UserCatalog {
                path: path.to_path_buf(),
                ..Default::default()
            }),
            Err(e) => Err(UserCatalogError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        }
    }

    /// Reads the catalog at [`default_path`] (empty where there is none).
    pub fn load_default() -> Result<Self, UserCatalogError> {
        default_path().map_or_else(|| Ok(Self::default()), |p| Self::load(&p))
    }

    /// The catalog `text` holds, as if read from `path`; every problem at its line.
    pub fn parse(path: &Path, text: &str) -> Result<Self, UserCatalogError> {
        let catalog = Self::read(path, text)?;
        let problems = catalog.problems();
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err(UserCatalogError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// The entries `text` holds, each with its lines, as if read from `path`: an error at its
    /// line when the text is not TOML in the catalog's format, but the entries not yet checked,
    /// so that what checks them can add problems of its own.
    fn read(path: &Path, text: &str) -> Result<Self, UserCatalogError> {
        let lines = Lines::new(text);
        let file: UserFile = toml::from_str(text).map_err(|e| UserCatalogError::Invalid {
            path: path.to_path_buf(),
            problems: vec![Problem {
                line: e.span().map_or(0, |s| lines.of(s.start)),
                message: e.message().trim().to_string(),
            }],
        })?;
        let mut starts: Vec<usize> = (file.output.iter().map(|e| e.span().start))
            .chain(file.headphone.iter().map(|h| h.span().start))
            .collect();
        starts.sort_unstable();
        Ok(UserCatalog {
            path: path.to_path_buf(),
            outputs: with_lines(text, (&lines, &starts), file.output),
            headphones: with_lines(text, (&lines, &starts), file.headphone),
        })
    }

    /// Everything wrong with the entries: each checked as a built-in entry is (sources
    /// aside), and every name its own, unlike any other user entry's or built-in entry's.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut taken = TakenNames::new(outputs().iter().map(OutputEntry::name));
        for e in &self.outputs {
            out.extend(at_lines(e, output_problems(&e.entry, Sources::Named)));
            out.extend(taken.take(e.line, &e.entry.name()));
        }
        let mut taken = TakenNames::new(headphones().iter().map(HeadphoneEntry::name));
        for h in &self.headphones {
            out.extend(at_lines(h, headphone_problems(&h.entry, Sources::Named)));
            out.extend(taken.take(h.line, &h.entry.name()));
        }
        out
    }

    /// Every output's name, the built-in ones in index order and then the user's, marked.
    pub fn output_names(&self) -> Vec<String> {
        let yours = self.outputs.iter().map(|e| marked(&e.entry.name()));
        outputs()
            .iter()
            .map(OutputEntry::name)
            .chain(yours)
            .collect()
    }

    /// Every headphone's name, the built-in ones in index order and then the user's, marked.
    pub fn headphone_names(&self) -> Vec<String> {
        let yours = self.headphones.iter().map(|e| marked(&e.entry.name()));
        headphones()
            .iter()
            .map(HeadphoneEntry::name)
            .chain(yours)
            .collect()
    }

    /// The output `text` names, built-in or the user's (see `lookup`: an ambiguous name lists
    /// the candidates of both).
    pub fn pick_output(&self, text: &str) -> Result<Pick, LookupError> {
        lookup(text, &self.output_names()).map(|k| Pick::of(k, outputs().len()))
    }

    /// The headphone `text` names, built-in or the user's.
    pub fn pick_headphone(&self, text: &str) -> Result<Pick, LookupError> {
        lookup(text, &self.headphone_names()).map(|k| Pick::of(k, headphones().len()))
    }

    /// The user's entry `text` names, among their outputs and headphones alike: what
    /// `loadline user remove` and `loadline user export` act on. An output and a headphone may
    /// have the same name (names are only unique within a kind), so a name that is both is
    /// refused as a name several entries match is, with each one's line in the file.
    pub fn pick_yours(&self, text: &str) -> Result<YourEntry, LookupError> {
        let names: Vec<String> = (self.outputs.iter().map(|e| e.entry.name()))
            .chain(self.headphones.iter().map(|h| h.entry.name()))
            .collect();
        let n = self.outputs.len();
        // Each output that a headphone's name spells alike, with that headphone: a lookup
        // reads the name once, so it would take the output without a word about the headphone.
        let twin_of = |o: &UserEntry<OutputEntry>| {
            (self.headphones.iter())
                .find(|h| compact(&h.entry.name()) == compact(&o.entry.name()))
                .map(|h| (o.entry.name(), o.line, h.line))
        };
        let both = |(name, output, headphone): &(String, usize, usize)| {
            format!("{name}: your output (line {output}) or your headphone (line {headphone})?")
        };
        let tell_apart = format!(
            "Give one a variant in {} to tell them apart",
            self.path.display()
        );
        match lookup(text, &names) {
            Ok(k) => match self.outputs.get(k).and_then(twin_of) {
                Some(twin) => Err(LookupError::Ambiguous {
                    query: text.trim().into(),
                    count: 2,
                    tells_apart: format!("{} {tell_apart}", both(&twin)),
                }),
                None if k < n => Ok(YourEntry::Output(k)),
                None => Ok(YourEntry::Headphone(k - n)),
            },
            Err(LookupError::Ambiguous {
                query,
                count,
                tells_apart,
            }) => {
                let twins: Vec<String> = (self.outputs.iter())
                    .filter(|o| name_matches(&o.entry.name(), text))
                    .filter_map(twin_of)
                    .map(|twin| both(&twin))
                    .collect();
                let tells_apart = if twins.is_empty() {
                    tells_apart
                } else {
                    format!("{tells_apart} {} {tell_apart}", twins.join(" "))
                };
                Err(LookupError::Ambiguous {
                    query,
                    count,
                    tells_apart,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The name of the user's entry `which`, if there is one.
    pub fn name_of(&self, which: YourEntry) -> Option<String> {
        match which {
            YourEntry::Output(k) => self.outputs.get(k).map(|e| e.entry.name()),
            YourEntry::Headphone(k) => self.headphones.get(k).map(|h| h.entry.name()),
        }
    }

    /// The user's entry `which` alone as the text of a catalog file, one `[[output]]` or
    /// `[[headphone]]` table with every figure's basis, source and note: what
    /// `loadline user export` writes, and what [`Self::import`] takes into another catalog.
    pub fn entry_text(&self, which: YourEntry) -> Result<String, UserCatalogError> {
        let tables = match which {
            YourEntry::Output(k) => Tables {
                output: self.outputs.get(k).map(|e| &e.entry).into_iter().collect(),
                headphone: vec![],
            },
            YourEntry::Headphone(k) => Tables {
                output: vec![],
                headphone: self
                    .headphones
                    .get(k)
                    .map(|h| &h.entry)
                    .into_iter()
                    .collect(),
            },
        };
        if tables.output.is_empty() && tables.headphone.is_empty() {
            return Err(UserCatalogError::Invalid {
                path: self.path.clone(),
                problems: vec![Problem {
                    line: 0,
                    message: match which {
                        YourEntry::Output(k) => format!("no output number {} to export", k + 1),
                        YourEntry::Headphone(k) => {
                            format!("no headphone number {} to export", k + 1)
                        }
                    },
                }],
            });
        }
        toml_table(&tables)
    }

    /// The catalog with every entry of the catalog file at `path` added after the user's own
    /// and written, as `add-*` adds one: the file's text kept, the new tables after it. The
    /// entries are checked first as `loadline user check` and `add-*` check them: each as the
    /// user's file checks its entries, every headphone's model against its key points, and
    /// every name unlike the built-in entries', the file's others' and the user's. Any problem
    /// refuses them all, at its line of `path`, and nothing is written. An entry keeps its
    /// figures' basis, source and note: one that someone else measured stays measured, with
    /// their source. The entries added are the catalog's last outputs and headphones.
    pub fn import(&self, path: &Path) -> Result<Self, UserCatalogError> {
        let text = std::fs::read_to_string(path).map_err(|e| UserCatalogError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let incoming = Self::read(path, &text)?;
        let mut problems = incoming.problems();
        problems.extend(self.names_taken_by(&incoming));
        // Only a headphone sound otherwise is fitted, as `add-headphone` does: a model fitted
        // to implausible figures would only repeat what is already wrong with them.
        let sound = UserCatalog {
            headphones: (incoming.headphones.iter())
                .filter(|h| headphone_problems(&h.entry, Sources::Named).is_empty())
                .cloned()
                .collect(),
            ..Default::default()
        };
        problems.extend(sound.model_problems());
        if incoming.outputs.is_empty() && incoming.headphones.is_empty() {
            problems.push(Problem {
                line: 0,
                message: "no [[output]] or [[headphone]] table in it: nothing to import".into(),
            });
        }
        if !problems.is_empty() {
            // In the file's order, as a reader goes through it to fix them.
            problems.sort_by_key(|p| p.line);
            return Err(UserCatalogError::Invalid {
                path: path.to_path_buf(),
                problems,
            });
        }
        self.append(&toml_table(&Tables {
            output: incoming.outputs.iter().map(|e| &e.entry).collect(),
            headphone: incoming.headphones.iter().map(|h| &h.entry).collect(),
        })?)
    }

    /// A problem at each entry of `incoming` whose name one of the user's entries of its kind
    /// already has (in the compact form lookups compare), naming where that one is.
    fn names_taken_by(&self, incoming: &Self) -> Vec<Problem> {
        let outputs: HashMap<String, usize> = (self.outputs.iter())
            .map(|e| (compact(&e.entry.name()), e.line))
            .collect();
        let headphones: HashMap<String, usize> = (self.headphones.iter())
            .map(|h| (compact(&h.entry.name()), h.line))
            .collect();
        let clash = |name: String, line: usize, taken: &HashMap<String, usize>| {
            taken.get(&compact(&name)).map(|at| Problem {
                line,
                message: format!(
                    "{name}: your catalog already has an entry of this name ({}, line {at}); remove that one first to take this one instead, or give this one a variant to keep both",
                    self.path.display()
                ),
            })
        };
        (incoming.outputs.iter())
            .filter_map(|e| clash(e.entry.name(), e.line, &outputs))
            .chain(
                (incoming.headphones.iter())
                    .filter_map(|h| clash(h.entry.name(), h.line, &headphones)),
            )
            .collect()
    }

    /// The catalog with `entry` added as the user's last output, checked and written to its
    /// file (created, with its directory, if need be).
    pub fn add_output(&self, entry: &OutputEntry) -> Result<Self, UserCatalogError> {
        let taken = outputs()
            .iter()
            .map(OutputEntry::name)
            .chain(self.outputs.iter().map(|e| e.entry.name()))
            .collect();
        self.refuse_unsound(entry.name(), output_problems(entry, Sources::Named), taken)?;
        self.append(&toml_table(&Tables {
            output: vec![entry],
            headphone: vec![],
        })?)
    }

    /// The catalog with `entry` added as the user's last headphone, checked and written.
    pub fn add_headphone(&self, entry: &HeadphoneEntry) -> Result<Self, UserCatalogError> {
        let mut found = headphone_problems(entry, Sources::Named);
        if found.is_empty() {
            found = model_problems(entry);
        }
        let taken = headphones()
            .iter()
            .map(HeadphoneEntry::name)
            .chain(self.headphones.iter().map(|h| h.entry.name()))
            .collect();
        self.refuse_unsound(entry.name(), found, taken)?;
        self.append(&toml_table(&Tables {
            output: vec![],
            headphone: vec![entry],
        })?)
    }

    /// The catalog without the user's output `k` (its position here), written; the rest of
    /// the file, comments included, is kept.
    pub fn remove_output(&self, k: usize) -> Result<Self, UserCatalogError> {
        let current = Self::load(&self.path)?;
        let line = current.outputs.get(k).map(|e| e.line);
        current.replace_entry_at(line, "output", k, "")
    }

    /// The catalog with the user's output `k` replaced by `entry`, in its place, checked and
    /// written; the rest of the file is kept.
    pub fn replace_output(&self, k: usize, entry: &OutputEntry) -> Result<Self, UserCatalogError> {
        let table = toml_table(&Tables {
            output: vec![entry],
            headphone: vec![],
        })?;
        let current = Self::load(&self.path)?;
        let line = current.outputs.get(k).map(|e| e.line);
        current.replace_entry_at(line, "output", k, &table)
    }

    /// The catalog without the user's headphone `k`, written.
    pub fn remove_headphone(&self, k: usize) -> Result<Self, UserCatalogError> {
        let current = Self::load(&self.path)?;
        let line = current.headphones.get(k).map(|e| e.line);
        current.replace_entry_at(line, "headphone", k, "")
    }

    /// The file with `table` (TOML text; empty to remove it) in place of the entry whose table
    /// starts at `line`: its lines up to the next entry's first line (or the end), so that
    /// what comes before and after it stays as it was.
    fn replace_entry_at(
        &self,
        line: Option<usize>,
        what: &str,
        k: usize,
        table: &str,
    ) -> Result<Self, UserCatalogError> {
        let Some(line) = line else {
            return Err(UserCatalogError::Invalid {
                path: self.path.clone(),
                problems: vec![Problem {
                    line: 0,
                    message: format!("no {what} number {} to remove", k + 1),
                }],
            });
        };
        let text = self.text()?;
        let starts = self.outputs.iter().map(|e| e.line);
        let next = starts
            .chain(self.headphones.iter().map(|h| h.line))
            .filter(|&l| l > line)
            .min();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let end = next.map_or(lines.len(), |n| n - 1);
        let (before, after) = (
            lines[..line - 1].concat(),
            lines[end.min(lines.len())..].concat(),
        );
        let gap = if table.is_empty() || after.is_empty() {
            ""
        } else {
            "\n"
        };
        // The blank line that set off a last entry removed goes with it.
        let before = match before.trim_end_matches('\n') {
            kept if table.is_empty() && after.is_empty() && !kept.is_empty() => format!("{kept}\n"),
            _ => before,
        };
        self.write(&format!("{before}{table}{gap}{after}"))
    }

    /// The file's text (empty when there is none).
    fn text(&self) -> Result<String, UserCatalogError> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(UserCatalogError::Read {
                path: self.path.clone(),
                message: e.to_string(),
            }),
        }
    }

    /// Checks `text` as the file's new content and writes it.
    fn write(&self, text: &str) -> Result<Self, UserCatalogError> {
        let catalog = Self::parse(&self.path, text)?;
        let failed = |e: std::io::Error| UserCatalogError::Write {
            path: self.path.clone(),
            message: e.to_string(),
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        // Whole or not at all: a failed write leaves the user's devices as they were.
        crate::files::write_whole(&self.path, text.as_bytes()).map_err(failed)?;
        Ok(catalog)
    }

    /// Refuses an entry named `name` before anything is written when `found` holds a problem
    /// or another entry (of `taken`) has its name.
    fn refuse_unsound(
        &self,
        name: String,
        found: Findings,
        taken: Vec<String>,
    ) -> Result<(), UserCatalogError> {
        let mut problems: Vec<String> = found.into_iter().map(|(_, m)| m).collect();
        if TakenNames::new(taken).take(0, &name).is_some() {
            problems.push(format!(
                "{name}: another entry has this name; give it a variant to tell them apart"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(UserCatalogError::Refused {
                path: self.path.clone(),
                name,
                problems,
            })
        }
    }

    /// Where the models of the user's headphones miss their key points (see
    /// `validate::model_problems`), at the key's line: what `loadline user check` adds to
    /// [`Self::problems`]. Each headphone is fitted, so this is not run wherever the catalog
    /// is read.
    pub fn model_problems(&self) -> Vec<Problem> {
        // A fit takes about half a millisecond, and the fits are independent.
        crate::cores::map_in_order(&self.headphones, |h| {
            at_lines(h, model_problems(&h.entry)).collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// The file with `table` (TOML text) after what it holds.
    fn append(&self, table: &str) -> Result<Self, UserCatalogError> {
        let mut text = self.text()?;
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
        }
        text.push_str(table);
        self.write(&text)
    }
}

/// What a name picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A built-in entry: its index.
    BuiltIn(usize),
    /// One of the user's: its position in [`UserCatalog::outputs`] or
    /// [`UserCatalog::headphones`].
    Yours(usize),
}

impl Pick {
    /// Position `k` in a list of `builtin` built-in names followed by the user's.
    fn of(k: usize, builtin: usize) -> Self {
        if k < builtin {
            Pick::BuiltIn(k)
        } else {
            Pick::Yours(k - builtin)
        }
    }
}

/// One of the user's entries, whichever its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YourEntry {
    /// Their output at this position in [`UserCatalog::outputs`].
    Output(usize),
    /// Their headphone at this position in [`UserCatalog::headphones`].
    Headphone(usize),
}

/// `name` as the user's entries are shown: "Name (yours)".
pub fn marked(name: &str) -> String {
    format!("{name} {MARK}")
}

/// Entries to write, as the file holds them.
#[derive(Serialize)]
struct Tables<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    output: Vec<&'a OutputEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headphone: Vec<&'a HeadphoneEntry>,
}

/// `tables` as TOML text.
fn toml_table(tables: &Tables) -> Result<String, UserCatalogError> {
    toml::to_string(tables).map_err(|e| UserCatalogError::Invalid {
        path: PathBuf::new(),
        problems: vec![Problem {
            line: 0,
            message: format!("cannot be written as TOML: {e}"),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1-based line of byte `offset`, found by counting every newline before it, and at
    /// most the file's last line.
    fn counted(text: &str, offset: usize) -> usize {
        let before = &text.as_bytes()[..offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        line.min(text.lines().count().max(1))
    }

    #[test]
    fn lines_are_those_counting_newlines_gives() {
        for text in ["", "a", "\n", "a\nb\n", "\n\nx\r\ny\n\n", "é\nΩ\n"] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    lines.of(offset),
                    counted(text, offset),
                    "{text:?}, {offset}"
                );
            }
        }
    }

    /// An output of the user's named "Acme `model`", as the file holds it.
    fn output_table(model: &str) -> String {
        let figure = r#"{ value = 4.7, basis = "measured", source = "own measurement" }"#;
        let max =
            r#"{ load_ohm = 32.0, vrms = 1.1, basis = "measured", source = "own measurement" }"#;
        format!(
            "[[output]]\nmaker = \"Acme\"\nmodel = \"{model}\"\nkind = \"audio-interface\"\n\
             r_out_ohm = {figure}\nmax_output = [\n    {max},\n]\n"
        )
    }

    #[test]
    fn a_name_taken_far_back_is_refused_at_its_own_line() {
        // A comment and a blank line before each entry, so that entries do not start on
        // lines a fixed stride apart.
        let mut text = String::from("# mine\n");
        for k in 0..200 {
            text.push_str(&format!(
                "\n# box {k}\n{}",
                output_table(&format!("Box {k}"))
            ));
        }
        // The first entry's name again, spelt as a lookup would not tell apart.
        text.push_str(&format!("\n{}", output_table("box-0")));
        let last = text.rfind("[[output]]").unwrap();
        let err = UserCatalog::parse(Path::new("catalog.toml"), &text).unwrap_err();
        let UserCatalogError::Invalid { problems, .. } = err else {
            panic!("expected problems, got {err}");
        };
        assert_eq!(
            problems,
            [Problem {
                line: counted(&text, last),
                message:
                    "Acme box-0: another entry has this name; give it a variant to tell them apart"
                        .into(),
            }]
        );
        // Without it, every entry is read at the line where its table starts.
        let sound = &text[..last];
        let user = UserCatalog::parse(Path::new("catalog.toml"), sound).unwrap();
        let starts: Vec<usize> = sound.match_indices("[[output]]").map(|(k, _)| k).collect();
        let lines: Vec<usize> = user.outputs.iter().map(|e| e.line).collect();
        let want: Vec<usize> = starts.iter().map(|&k| counted(sound, k)).collect();
        assert_eq!(lines, want);
    }
}
