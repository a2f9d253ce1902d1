//! Text folding for search: case- and accent-insensitive, in any script.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases and strips accents, so "José" and "JOSE" both become "jose".
/// Letters without a decomposition (ł, ø, ß) are mapped by hand to their base letter.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ł' => 'l',
            'ø' => 'o',
            'đ' => 'd',
            'ħ' => 'h',
            'ı' => 'i',
            'ŧ' => 't',
            other => other,
        })
        .collect::<String>()
        .replace('ß', "ss")
        .replace('æ', "ae")
        .replace('œ', "oe")
}

/// The longest prefix patient search stores; longer search words are cut to it.
pub const MAX_PREFIX_CHARS: usize = 24;

/// Folded words of `text`: runs of letters and digits.
pub fn folded_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Cuts a folded search word to the longest stored prefix.
pub fn search_word(word: &str) -> String {
    word.chars().take(MAX_PREFIX_CHARS).collect()
}

/// The folded words of a patient's names and clinic reference.
fn patient_words(given: &str, family: &str, reference: Option<&str>) -> Vec<String> {
    folded_words(&format!(
        "{given} {family} {}",
        reference.unwrap_or_default()
    ))
}

/// Every prefix, up to `MAX_PREFIX_CHARS`, of every folded word of a patient's names and
/// clinic reference: what patient search looks up, one equality match per search word.
pub fn search_prefixes(given: &str, family: &str, reference: Option<&str>) -> BTreeSet<String> {
    patient_words(given, family, reference)
        .iter()
        .flat_map(|word| prefixes_of(word).collect::<Vec<_>>())
        .collect()
}

/// Every prefix, up to `MAX_PREFIX_CHARS`, of `word`.
fn prefixes_of(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices()
        .take(MAX_PREFIX_CHARS)
        .map(move |(at, c)| word[..at + c.len_utf8()].to_owned())
}

/// (whole word, prefix of another word) for every whole word of a patient's names and
/// every prefix of each of the patient's other words, names and reference: what a
/// two-word search looks up in one probe when one of its words is whole. The reference
/// is left out of the whole words: a search by reference finds one patient anyway.
pub fn search_pairs(
    given: &str,
    family: &str,
    reference: Option<&str>,
) -> BTreeSet<(String, String)> {
    let names = folded_words(&format!("{given} {family}")).len();
    let words: Vec<String> = patient_words(given, family, reference)
        .iter()
        .map(|word| search_word(word))
        .collect();
    let mut pairs = BTreeSet::new();
    for (at, whole) in words.iter().enumerate().take(names) {
        for (other_at, other) in words.iter().enumerate() {
            if other_at != at {
                for prefix in prefixes_of(other) {
                    pairs.insert((whole.clone(), prefix));
                }
            }
        }
    }
    pairs
}

/// The same words as one text, each after a space (" zoe nunez ruiz p 12"), stored on
/// every search row of the patient so a search's other words are checked on the row its
/// first word found: `words LIKE '% ' || word || '%'` holds exactly when the search
/// word begins one of them (words hold only letters and digits, never `%` or `_`).
pub fn search_words(given: &str, family: &str, reference: Option<&str>) -> String {
    patient_words(given, family, reference)
        .iter()
        .map(|word| format!(" {word}"))
        .collect()
}

/// The key patient lists are ordered by: folded family name, then folded given name, so
/// "de Souza", "Dupont" and "Émile" sort as a reader expects. U+0001 separates the two
/// parts so a family name sorts before any longer one it begins ("De" before "De Souza").
pub fn sort_name(given: &str, family: &str) -> String {
    format!("{}\u{1}{}", fold(family.trim()), fold(given.trim()))
}

#[cfg(test)]
mod tests {
    use super::{fold, search_pairs, search_prefixes, search_words, sort_name};

    #[test]
    fn search_words_put_a_space_before_every_word() {
        assert_eq!(
            search_words("Zoë", "Núñez-Ruiz", Some("P-12")),
            " zoe nunez ruiz p 12"
        );
        assert_eq!(search_words("Ann", "Lee", None), " ann lee");
    }

    #[test]
    fn prefixes_cover_every_word_of_names_and_reference() {
        let prefixes = search_prefixes("Zoë", "Núñez-Ruiz", Some("P-12"));
        for expected in ["z", "zo", "zoe", "n", "nunez", "r", "ruiz", "p", "1", "12"] {
            assert!(prefixes.contains(expected), "{expected} missing");
        }
        assert!(!prefixes.contains("zoe nunez"));
        let long = search_prefixes("A", &"x".repeat(40), None);
        assert_eq!(long.iter().map(|p| p.chars().count()).max(), Some(24));
    }

    #[test]
    fn pairs_join_each_whole_name_word_to_the_prefixes_of_every_other_word() {
        let pairs = search_pairs("Zoë", "Núñez-Ruiz", Some("P-12"));
        for (whole, prefix) in [
            ("zoe", "n"),
            ("zoe", "nunez"),
            ("zoe", "ruiz"),
            ("zoe", "p"),
            ("zoe", "12"),
            ("nunez", "z"),
            ("nunez", "ruiz"),
            ("ruiz", "nun"),
        ] {
            assert!(
                pairs.contains(&(whole.to_owned(), prefix.to_owned())),
                "({whole}, {prefix}) missing"
            );
        }
        // A word never pairs with its own prefixes, and the reference is never the whole word.
        assert!(!pairs.contains(&("zoe".to_owned(), "zo".to_owned())));
        assert!(!pairs.iter().any(|(whole, _)| whole == "p" || whole == "12"));
        // The same word twice pairs with itself.
        assert!(search_pairs("Anna", "Anna", None).contains(&("anna".to_owned(), "an".to_owned())));
        let long = search_pairs("A", &"x".repeat(40), None);
        assert!(long.contains(&("x".repeat(24), "a".to_owned())));
        assert!(
            long.iter()
                .all(|(w, p)| w.chars().count() <= 24 && p.chars().count() <= 24)
        );
    }

    #[test]
    fn sort_names_order_by_family_then_given() {
        let mut names = vec![
            sort_name("Zack", "De Souza"),
            sort_name("Ann", "Dupont"),
            sort_name("Zack", "De"),
            sort_name("Bea", "émile"),
        ];
        names.sort();
        assert_eq!(
            names,
            vec![
                sort_name("Zack", "De"),
                sort_name("Zack", "De Souza"),
                sort_name("Ann", "Dupont"),
                sort_name("Bea", "Émile"),
            ]
        );
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("José Núñez"), "jose nunez");
        assert_eq!(fold("JOSE"), fold("José"));
        assert_eq!(fold("Zoë Łukasiewicz"), "zoe lukasiewicz");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Фёдор"), "федор");
        assert_eq!(fold("Ναταλία"), "ναταλια");
    }
}
