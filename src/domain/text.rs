//! Text folding for search: case- and accent-insensitive, in any script.

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

#[cfg(test)]
mod tests {
    use super::fold;

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
