//! Finding entries by name as people type them: case, spaces and hyphens aside, every word
//! of the query in the name, and an ambiguous name answered with what tells the candidates
//! apart.

use super::{HeadphoneEntry, OutputEntry, headphones, outputs};

/// Why a name picks no entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The name has no letters or digits.
    #[error("an empty name")]
    Empty,
    /// No entry has every word of the name.
    #[error("no entry matches '{query}'")]
    NoMatch {
        /// The name as typed (trimmed).
        query: String,
    },
    /// Several entries have every word of the name.
    #[error("'{query}' matches {count} entries: {tells_apart}")]
    Ambiguous {
        /// The name as typed (trimmed).
        query: String,
        /// How many entries it matches.
        count: usize,
        /// The candidates in the words that tell them apart ("Scarlett 2i2: 4th gen or 3rd
        /// gen?").
        tells_apart: String,
    },
}

/// The index of the name in `names` that `text` picks, as people type names: case, spaces,
/// hyphens and other punctuation do not matter ("HD600", "hd-600" and "HD 600" are alike), nor
/// do "Ω" and "ohm". The whole name picks it; otherwise the one name that contains every word
/// of `text` ("dt990 600" picks "Beyerdynamic DT 990 600 ohm", "m50x" the ATH-M50x), or among
/// several, the one that holds them most wholly (whole words, then beginnings of words, then
/// pieces: "O2" picks "NwAvGuy Objective2 (O2)", not "Studio 24c").
/// Otherwise why not; when several names match, what tells them apart ("Focusrite Scarlett
/// 2i2: 4th gen or 3rd gen?").
pub fn lookup(text: &str, names: &[String]) -> Result<usize, LookupError> {
    let whole = compact(text);
    if whole.is_empty() {
        return Err(LookupError::Empty);
    }
    if let Some(k) = names.iter().position(|n| compact(n) == whole) {
        return Ok(k);
    }
    let hits: Vec<usize> = (0..names.len())
        .filter(|&k| name_matches(&names[k], text))
        .collect();
    // Where several names have every word, the ones that have the words most wholly win:
    // "O2" is a whole word of "NwAvGuy Objective2 (O2)" but only a piece of "Studio 24c".
    let best = hits.iter().map(|&k| how_wholly(&names[k], text)).max();
    let hits: Vec<usize> = hits
        .into_iter()
        .filter(|&k| Some(how_wholly(&names[k], text)) == best)
        .collect();
    match hits.as_slice() {
        [k] => Ok(*k),
        [] => Err(LookupError::NoMatch {
            query: text.trim().into(),
        }),
        many => Err(LookupError::Ambiguous {
            query: text.trim().into(),
            count: many.len(),
            tells_apart: what_tells_apart(
                &many.iter().map(|&k| names[k].as_str()).collect::<Vec<_>>(),
            ),
        }),
    }
}

/// `s` as names are compared: lower case, letters and digits only, "Ω" (either code point)
/// spelt "ohm".
pub(super) fn compact(s: &str) -> String {
    s.replace(['Ω', '\u{2126}'], "ohm")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `name` contains every word of `query`, each compared in its compact form (letters and digits, lower case) (so
/// "dt990" is found in "DT 990", and "80Ω" is two words, "80" and "ohm"). An empty query
/// matches every name.
pub fn name_matches(name: &str, query: &str) -> bool {
    let n = compact(name);
    query
        .replace(['Ω', '\u{2126}'], " ohm")
        .split_whitespace()
        .map(compact)
        .all(|w| n.contains(&w))
}

/// How a name holds a query's words, as people expect a name to be found: its words whole,
/// then their beginnings, then pieces of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// The query word is somewhere inside the name, across or within its words.
    Piece,
    /// The query word starts at one of the name's words.
    Start,
    /// The query word is one or more of the name's words, whole ("dt990" in "DT 990").
    Whole,
}

/// The worst fit, over the words of `query`, of each word's best place in `name`: a name
/// holds the query as wholly as its least wholly held word.
fn how_wholly(name: &str, query: &str) -> Fit {
    // The name's words split at anything but letters and digits ("ATH-M50x" is "ath" and
    // "m50x"), and where each starts and ends in the compact name.
    let words: Vec<String> = name
        .replace(['Ω', '\u{2126}'], " ohm ")
        .split(|c: char| !c.is_alphanumeric())
        .map(compact)
        .filter(|w| !w.is_empty())
        .collect();
    let mut starts = vec![0];
    for w in &words {
        starts.push(starts.last().unwrap() + w.len());
    }
    let ends = &starts[1..];
    let joined = words.concat();
    query
        .replace(['Ω', '\u{2126}'], " ohm")
        .split_whitespace()
        .map(compact)
        .filter(|w| !w.is_empty())
        .map(|w| {
            joined
                .match_indices(w.as_str())
                .map(
                    |(at, _)| match (starts.contains(&at), ends.contains(&(at + w.len()))) {
                        (true, true) => Fit::Whole,
                        (true, false) => Fit::Start,
                        _ => Fit::Piece,
                    },
                )
                .max()
                .unwrap_or(Fit::Piece)
        })
        .min()
        .unwrap_or(Fit::Whole)
}

/// Several names in the words that tell them apart: the words they all start with, then how
/// each goes on ("Beyerdynamic DT 770 Pro: 32 ohm, 80 ohm or 250 ohm?"); the whole names when
/// they share no first word.
fn what_tells_apart(names: &[&str]) -> String {
    let words: Vec<Vec<&str>> = names
        .iter()
        .map(|n| n.split_whitespace().collect())
        .collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    // Leave every name at least one word of its own.
    let common = (0..shortest.saturating_sub(1))
        .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
        .count();
    let rests: Vec<String> = words.iter().map(|w| w[common..].join(" ")).collect();
    let (last, rest) = rests.split_last().expect("several names");
    let choices = format!("{} or {last}?", rest.join(", "));
    if common == 0 {
        choices
    } else {
        // The shared words end where the names part, often at a comma: "jack, under 150 Ω".
        let shared = words[0][..common].join(" ");
        format!("{}: {choices}", shared.trim_end_matches([',', ';']))
    }
}

/// The catalog output that `text` names (see `lookup`).
pub fn find_output(text: &str) -> Result<usize, LookupError> {
    let names: Vec<String> = outputs().iter().map(OutputEntry::name).collect();
    lookup(text, &names)
}

/// The catalog headphone that `text` names (see `lookup`).
pub fn find_headphone(text: &str) -> Result<usize, LookupError> {
    let names: Vec<String> = headphones().iter().map(HeadphoneEntry::name).collect();
    lookup(text, &names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_as_people_type_them() {
        let hp: Vec<String> = headphones().iter().map(HeadphoneEntry::name).collect();
        let out: Vec<String> = outputs().iter().map(OutputEntry::name).collect();
        for (names, typed, want) in [
            (&hp, "HD600", "Sennheiser HD 600"),
            (&hp, "hd-600", "Sennheiser HD 600"),
            (&hp, "hd 650", "Sennheiser HD 650"),
            (&hp, "dt990 600", "Beyerdynamic DT 990 600 ohm"),
            (&hp, "DT990PRO 250", "Beyerdynamic DT 990 Pro 250 ohm"),
            (&hp, "dt770 80", "Beyerdynamic DT 770 Pro 80 ohm"),
            (&hp, "DT 770 PRO 32Ω", "Beyerdynamic DT 770 Pro 32 ohm"),
            (&hp, "m50x", "Audio-Technica ATH-M50x"),
            (&hp, "ATHM50X", "Audio-Technica ATH-M50x"),
            (&hp, "mdr7506", "Sony MDR-7506"),
            (&hp, "hd280pro", "Sennheiser HD 280 Pro"),
            (&hp, "lcd-x", "Audeze LCD-X 2021"),
            (&hp, "se-215", "Shure SE215"),
            (&hp, "er4 xr", "Etymotic ER4XR"),
            (
                &out,
                "scarlett 2i2 4th gen",
                "Focusrite Scarlett 2i2 4th gen",
            ),
            (&out, "2i2 3rd", "Focusrite Scarlett 2i2 3rd gen"),
            (&out, "studio24c", "PreSonus Studio 24c"),
            (&out, "motu m2", "MOTU M2"),
            (&out, "umc 202 hd", "Behringer UMC202HD"),
            (&out, "apollo twin", "Universal Audio Apollo Twin X"),
            (&out, "ha-8000", "Behringer Powerplay HA8000"),
            (&out, "hm4", "Mackie HM-4"),
            (&out, "magni2", "Schiit Magni 2"),
            (&out, "Topping-L30", "Topping L30"),
            // Short model names: a whole word beats a piece of another name's words.
            (&out, "O2", "NwAvGuy Objective2 (O2)"),
            (&out, "objective 2", "NwAvGuy Objective2 (O2)"),
            (&out, "M2", "MOTU M2"),
            (&out, "m4", "MOTU M4"),
            (&out, "L30", "Topping L30"),
            (&out, "a50s", "Topping A50s"),
            (&out, "m1", "Dethonray Listening M1"),
            (&out, "hpa4", "Benchmark HPA4 headphone output"),
            (&out, "element", "JDS Labs Element"),
            (&out, "atom", "JDS Labs Atom Amp"),
        ] {
            let got = lookup(typed, names).map(|k| names[k].as_str());
            assert_eq!(got, Ok(want), "{typed:?}");
        }
        // Ambiguous names say what tells the candidates apart.
        let err = lookup("scarlett 2i2", &out).unwrap_err().to_string();
        assert!(
            err.ends_with("matches 2 entries: Focusrite Scarlett 2i2: 4th gen or 3rd gen?"),
            "{err}"
        );
        let err = lookup("dt770", &hp).unwrap_err().to_string();
        assert!(
            err.ends_with("Beyerdynamic DT 770 Pro: 32 ohm, 80 ohm or 250 ohm?"),
            "{err}"
        );
        let err = lookup("mac apple silicon", &out).unwrap_err().to_string();
        assert!(
            err.ends_with("Apple Mac (Apple silicon) jack: under 150 Ω or 150 Ω–1 kΩ?"),
            "{err}"
        );
        let err = lookup("600", &hp).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "Sennheiser HD 600, Beyerdynamic DT 990 600 ohm or Beyerdynamic DT 880 600 ohm?"
            ),
            "{err}"
        );
        assert_eq!(
            lookup("hd 6000", &hp),
            Err(LookupError::NoMatch {
                query: "hd 6000".into()
            })
        );
        assert_eq!(lookup(" - ", &hp), Err(LookupError::Empty));
    }

    #[test]
    fn a_whole_word_beats_a_beginning_which_beats_a_piece() {
        let names: Vec<String> = ["Acme Studio 24c", "Acme O2", "Acme O2X", "Acme Solo 2"]
            .map(String::from)
            .into();
        let pick = |typed: &str| lookup(typed, &names).map(|k| names[k].as_str());
        // "o2": whole in "O2", a beginning of "O2X", a piece of "Studio 24c" and "Solo 2".
        assert_eq!(pick("o2"), Ok("Acme O2"));
        // "o2x": whole in "O2X" only.
        assert_eq!(pick("o2x"), Ok("Acme O2X"));
        // "solo": whole in "Solo 2"; "lo 2" only pieces, in "Solo 2" alone.
        assert_eq!(pick("solo"), Ok("Acme Solo 2"));
        assert_eq!(pick("lo 2"), Ok("Acme Solo 2"));
        // Equally whole in two names stays ambiguous, and says what tells them apart.
        let err = lookup("acme", &names).unwrap_err().to_string();
        assert!(err.contains("matches 4 entries"), "{err}");
        assert_eq!(how_wholly("Acme O2X", "acme o2"), Fit::Start);
        assert_eq!(how_wholly("Acme Studio 24c", "dio2"), Fit::Piece);
        assert_eq!(
            how_wholly("Beyerdynamic DT 990 600 ohm", "dt990 600Ω"),
            Fit::Whole
        );
    }
}
