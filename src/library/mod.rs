//! Built-in exercise library for physiocase.
//!
//! The library ships as a TOML file compiled into the binary. It holds the
//! reference articles, one entry per exercise (with a starting dosage), and a
//! few programme templates that group exercises into routines. [`load`] parses
//! the file and checks every rule in [`Library::validate`].

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::figures::{self, Drawing, FigureSpec};

/// The library data, embedded at compile time.
pub const LIBRARY_TOML: &str = include_str!("exercises.toml");

/// Allowed exercise categories: (key, human label).
pub const CATEGORIES: &[(&str, &str)] = &[
    ("warm-up", "Warm-up"),
    ("mobility", "Mobility"),
    ("stretch", "Stretch"),
    ("strengthening", "Strengthening"),
    ("posture-desk", "Posture / desk"),
];

/// Allowed body regions: (key, human label).
pub const REGIONS: &[(&str, &str)] = &[
    ("thoracic", "Upper / mid back (thoracic)"),
    ("cervical", "Neck (cervical)"),
    ("shoulder", "Shoulder"),
    ("lumbar", "Lower back (lumbar)"),
    ("core", "Core"),
    ("hips", "Hips"),
];

/// Allowed starting positions: (key, human label).
pub const POSITIONS: &[(&str, &str)] = &[
    ("standing", "Standing"),
    ("seated", "Seated"),
    ("kneeling", "Kneeling"),
    ("all-fours", "All fours"),
    ("lying-on-back", "Lying on back"),
    ("lying-on-front", "Lying on front"),
];

/// Allowed equipment: (key, human label). `none` must stand alone.
pub const EQUIPMENT: &[(&str, &str)] = &[
    ("none", "None"),
    ("chair", "Chair"),
    ("wall", "Wall"),
    ("doorway", "Doorway"),
    ("foam-roller", "Foam roller"),
    ("towel", "Towel"),
    ("resistance-band", "Resistance band"),
    ("dumbbells", "Dumbbells"),
    ("massage-balls", "Massage balls"),
    ("bench-step", "Bench / step"),
];

/// Allowed difficulty levels: (key, human label).
pub const DIFFICULTIES: &[(&str, &str)] =
    &[("easy", "Easy"), ("moderate", "Moderate"), ("hard", "Hard")];

/// Allowed dosage sides: (key, human label).
pub const SIDES: &[(&str, &str)] = &[
    ("both", "Both sides together"),
    ("left", "Left"),
    ("right", "Right"),
    ("alternating", "Alternating"),
    ("each-side", "Each side"),
];

/// Inclusive limits for the seed dosage fields.
const SETS_RANGE: (u32, u32) = (1, 20);
const REPS_RANGE: (u32, u32) = (1, 100);
const HOLD_RANGE: (u32, u32) = (0, 600);
const REST_RANGE: (u32, u32) = (0, 600);
const TIMES_PER_DAY_RANGE: (u32, u32) = (1, 10);
const DAYS_PER_WEEK_RANGE: (u32, u32) = (1, 7);
const STEPS_RANGE: (usize, usize) = (3, 8);
/// Every built-in exercise shows its movement in at least two drawn positions.
const FIGURES_RANGE: (usize, usize) = (2, 4);

/// Human label for `key` in one of the allowed-value tables, if present.
pub fn label_for(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, label)| *label)
}

fn is_allowed(table: &[(&str, &str)], key: &str) -> bool {
    table.iter().any(|(k, _)| *k == key)
}

/// The whole built-in library.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    pub article: Vec<Article>,
    pub exercise: Vec<LibraryEntry>,
    pub template: Vec<TemplateEntry>,
}

/// A reference article that exercise entries cite through `sources`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub id: u32,
    pub title: String,
}

/// One exercise in the library.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryEntry {
    pub slug: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub category: String,
    pub regions: Vec<String>,
    pub position: String,
    pub equipment: Vec<String>,
    pub difficulty: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub cautions: Vec<String>,
    pub common_mistakes: Vec<String>,
    pub sources: Vec<u32>,
    #[serde(default)]
    pub variant_of: Option<String>,
    #[serde(default)]
    pub relation: Option<String>,
    pub dosage: SeedDosage,
    /// Key positions drawn as figures ("Start", "End", …).
    #[serde(default)]
    pub figure: Vec<FigureSpec>,
}

/// The starting dosage suggested for an exercise.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDosage {
    pub sets: u32,
    pub reps: u32,
    pub hold_seconds: u32,
    pub rest_seconds: u32,
    pub side: String,
    pub times_per_day: u32,
    pub days_per_week: u32,
}

/// A programme template: an ordered list of exercise slugs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateEntry {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub exercises: Vec<String>,
}

/// Why the library could not be loaded.
#[derive(Debug)]
pub enum LibraryError {
    /// The TOML text could not be parsed into a [`Library`].
    Parse(toml::de::Error),
    /// An item parsed but breaks a library rule.
    Invalid {
        /// What the offending item is, e.g. "exercise `childs-pose`".
        item: String,
        /// The rule that was broken.
        rule: String,
    },
}

impl LibraryError {
    fn exercise(slug: &str, rule: impl Into<String>) -> Self {
        LibraryError::Invalid {
            item: format!("exercise `{slug}`"),
            rule: rule.into(),
        }
    }

    fn template(slug: &str, rule: impl Into<String>) -> Self {
        LibraryError::Invalid {
            item: format!("template `{slug}`"),
            rule: rule.into(),
        }
    }

    fn article(id: u32, rule: impl Into<String>) -> Self {
        LibraryError::Invalid {
            item: format!("article {id}"),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for LibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LibraryError::Parse(err) => write!(f, "exercise library could not be parsed: {err}"),
            LibraryError::Invalid { item, rule } => {
                write!(f, "exercise library: {item} breaks a rule: {rule}")
            }
        }
    }
}

impl std::error::Error for LibraryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LibraryError::Parse(err) => Some(err),
            LibraryError::Invalid { .. } => None,
        }
    }
}

impl From<toml::de::Error> for LibraryError {
    fn from(err: toml::de::Error) -> Self {
        LibraryError::Parse(err)
    }
}

/// Parse the built-in library and check it.
pub fn load() -> Result<Library, LibraryError> {
    parse(LIBRARY_TOML)
}

/// Parse library text (same format as [`LIBRARY_TOML`]) and check it.
pub fn parse(text: &str) -> Result<Library, LibraryError> {
    let library: Library = toml::from_str(text)?;
    library.validate()?;
    Ok(library)
}

/// Slugs: non-empty, lowercase a-z, 0-9 and single inner hyphens.
fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// True when a step's text begins with its own numbering such as "1." or "2)".
fn starts_with_numbering(text: &str) -> bool {
    let trimmed = text.trim_start();
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && matches!(trimmed[digits..].chars().next(), Some('.' | ')' | ':'))
}

fn check_range(
    slug: &str,
    field: &str,
    value: u32,
    (lo, hi): (u32, u32),
) -> Result<(), LibraryError> {
    if value < lo || value > hi {
        return Err(LibraryError::exercise(
            slug,
            format!("dosage.{field} is {value}, must be between {lo} and {hi}"),
        ));
    }
    Ok(())
}

fn check_texts(slug: &str, field: &str, texts: &[String]) -> Result<(), LibraryError> {
    if texts.iter().any(|t| t.trim().is_empty()) {
        return Err(LibraryError::exercise(
            slug,
            format!("{field} contains an empty entry"),
        ));
    }
    Ok(())
}

fn check_allowed(
    slug: &str,
    field: &str,
    value: &str,
    table: &[(&str, &str)],
) -> Result<(), LibraryError> {
    if !is_allowed(table, value) {
        let keys: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
        return Err(LibraryError::exercise(
            slug,
            format!("{field} `{value}` is not one of: {}", keys.join(", ")),
        ));
    }
    Ok(())
}

fn check_allowed_list(
    slug: &str,
    field: &str,
    values: &[String],
    table: &[(&str, &str)],
) -> Result<(), LibraryError> {
    if values.is_empty() {
        return Err(LibraryError::exercise(
            slug,
            format!("{field} must list at least one value"),
        ));
    }
    let mut seen = HashSet::new();
    for value in values {
        check_allowed(slug, field, value, table)?;
        if !seen.insert(value.as_str()) {
            return Err(LibraryError::exercise(
                slug,
                format!("{field} lists `{value}` more than once"),
            ));
        }
    }
    Ok(())
}

impl Library {
    /// Look up an exercise by slug.
    pub fn exercise_by_slug(&self, slug: &str) -> Option<&LibraryEntry> {
        self.exercise.iter().find(|e| e.slug == slug)
    }

    /// Look up a template by slug.
    pub fn template_by_slug(&self, slug: &str) -> Option<&TemplateEntry> {
        self.template.iter().find(|t| t.slug == slug)
    }

    /// Check every library rule; the error names the offending item and rule.
    pub fn validate(&self) -> Result<(), LibraryError> {
        let article_ids = self.validate_articles()?;

        let mut slugs = HashSet::new();
        let mut names = HashMap::new();
        for entry in &self.exercise {
            if !is_valid_slug(&entry.slug) {
                return Err(LibraryError::exercise(
                    &entry.slug,
                    "slug must use only lowercase a-z, 0-9 and single inner hyphens",
                ));
            }
            if !slugs.insert(entry.slug.as_str()) {
                return Err(LibraryError::exercise(&entry.slug, "slug is not unique"));
            }
            let name_key = entry.name.trim().to_lowercase();
            if let Some(other) = names.insert(name_key, entry.slug.as_str()) {
                return Err(LibraryError::exercise(
                    &entry.slug,
                    format!("name `{}` is already used by `{other}`", entry.name),
                ));
            }
            entry.validate_fields(&article_ids)?;
        }

        for entry in &self.exercise {
            match (&entry.variant_of, &entry.relation) {
                (Some(base), relation) => {
                    if base == &entry.slug {
                        return Err(LibraryError::exercise(
                            &entry.slug,
                            "variant_of must not point at itself",
                        ));
                    }
                    if !slugs.contains(base.as_str()) {
                        return Err(LibraryError::exercise(
                            &entry.slug,
                            format!("variant_of `{base}` is not an exercise slug"),
                        ));
                    }
                    if relation.as_deref().is_none_or(|r| r.trim().is_empty()) {
                        return Err(LibraryError::exercise(
                            &entry.slug,
                            "variant_of is set but relation is missing or empty",
                        ));
                    }
                }
                (None, Some(_)) => {
                    return Err(LibraryError::exercise(
                        &entry.slug,
                        "relation is set without variant_of",
                    ));
                }
                (None, None) => {}
            }
        }

        self.validate_templates(&slugs)
    }

    fn validate_articles(&self) -> Result<HashSet<u32>, LibraryError> {
        let mut ids = HashSet::new();
        for article in &self.article {
            if !ids.insert(article.id) {
                return Err(LibraryError::article(article.id, "id is not unique"));
            }
            if article.title.trim().is_empty() {
                return Err(LibraryError::article(article.id, "title is empty"));
            }
        }
        Ok(ids)
    }

    fn validate_templates(&self, exercise_slugs: &HashSet<&str>) -> Result<(), LibraryError> {
        let mut seen = HashSet::new();
        for template in &self.template {
            if !is_valid_slug(&template.slug) {
                return Err(LibraryError::template(
                    &template.slug,
                    "slug must use only lowercase a-z, 0-9 and single inner hyphens",
                ));
            }
            if !seen.insert(template.slug.as_str()) {
                return Err(LibraryError::template(&template.slug, "slug is not unique"));
            }
            if template.name.trim().is_empty() || template.description.trim().is_empty() {
                return Err(LibraryError::template(
                    &template.slug,
                    "name and description must not be empty",
                ));
            }
            if template.exercises.is_empty() {
                return Err(LibraryError::template(
                    &template.slug,
                    "must list at least one exercise",
                ));
            }
            let mut listed = HashSet::new();
            for slug in &template.exercises {
                if !exercise_slugs.contains(slug.as_str()) {
                    return Err(LibraryError::template(
                        &template.slug,
                        format!("exercise `{slug}` is not an exercise slug"),
                    ));
                }
                if !listed.insert(slug.as_str()) {
                    return Err(LibraryError::template(
                        &template.slug,
                        format!("exercise `{slug}` is listed more than once"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl LibraryEntry {
    fn validate_fields(&self, article_ids: &HashSet<u32>) -> Result<(), LibraryError> {
        let slug = self.slug.as_str();
        if self.name.trim().is_empty() {
            return Err(LibraryError::exercise(slug, "name is empty"));
        }
        if self.summary.trim().is_empty() {
            return Err(LibraryError::exercise(slug, "summary is empty"));
        }
        check_texts(slug, "aliases", &self.aliases)?;

        check_allowed(slug, "category", &self.category, CATEGORIES)?;
        check_allowed(slug, "position", &self.position, POSITIONS)?;
        check_allowed(slug, "difficulty", &self.difficulty, DIFFICULTIES)?;
        check_allowed_list(slug, "regions", &self.regions, REGIONS)?;
        check_allowed_list(slug, "equipment", &self.equipment, EQUIPMENT)?;
        if self.equipment.len() > 1 && self.equipment.iter().any(|e| e == "none") {
            return Err(LibraryError::exercise(
                slug,
                "equipment `none` must stand alone",
            ));
        }

        let (lo, hi) = STEPS_RANGE;
        if self.steps.len() < lo || self.steps.len() > hi {
            return Err(LibraryError::exercise(
                slug,
                format!("has {} steps, must have {lo} to {hi}", self.steps.len()),
            ));
        }
        check_texts(slug, "steps", &self.steps)?;
        if let Some(step) = self.steps.iter().find(|s| starts_with_numbering(s)) {
            return Err(LibraryError::exercise(
                slug,
                format!("step `{step}` must not carry its own numbering"),
            ));
        }
        if self.cautions.is_empty() {
            return Err(LibraryError::exercise(slug, "cautions must not be empty"));
        }
        check_texts(slug, "cautions", &self.cautions)?;
        if self.common_mistakes.is_empty() {
            return Err(LibraryError::exercise(
                slug,
                "common_mistakes must not be empty",
            ));
        }
        check_texts(slug, "common_mistakes", &self.common_mistakes)?;

        if self.sources.is_empty() {
            return Err(LibraryError::exercise(slug, "sources must not be empty"));
        }
        if let Some(id) = self.sources.iter().find(|id| !article_ids.contains(id)) {
            return Err(LibraryError::exercise(
                slug,
                format!("source {id} is not an article id"),
            ));
        }

        let d = &self.dosage;
        check_range(slug, "sets", d.sets, SETS_RANGE)?;
        check_range(slug, "reps", d.reps, REPS_RANGE)?;
        check_range(slug, "hold_seconds", d.hold_seconds, HOLD_RANGE)?;
        check_range(slug, "rest_seconds", d.rest_seconds, REST_RANGE)?;
        check_range(slug, "times_per_day", d.times_per_day, TIMES_PER_DAY_RANGE)?;
        check_range(slug, "days_per_week", d.days_per_week, DAYS_PER_WEEK_RANGE)?;
        check_allowed(slug, "dosage.side", &d.side, SIDES)?;

        let (lo, hi) = FIGURES_RANGE;
        if self.figure.len() < lo || self.figure.len() > hi {
            return Err(LibraryError::exercise(
                slug,
                format!("has {} figures, must have {lo} to {hi}", self.figure.len()),
            ));
        }
        for figure in &self.figure {
            figure
                .validate()
                .map_err(|rule| LibraryError::exercise(slug, rule))?;
        }
        Ok(())
    }
}

/// One built-in exercise's figures, drawn once: the geometry for the PDF sheet and the
/// SVG for pages.
#[derive(Debug)]
pub struct ExerciseFigures {
    pub drawings: Vec<Arc<Drawing>>,
    pub svgs: Vec<String>,
}

/// The built-in library's figures by slug, drawn the first time they are asked for. The
/// data is compiled in and checked by the tests, so this is as constant as the file.
static FIGURES: LazyLock<HashMap<String, ExerciseFigures>> = LazyLock::new(|| {
    let Ok(library) = load() else {
        return HashMap::new();
    };
    library
        .exercise
        .iter()
        .map(|entry| {
            let drawings = figures::draw_exercise(&entry.name, &entry.figure);
            let svgs = drawings.iter().map(figures::svg).collect();
            let drawings = drawings.into_iter().map(Arc::new).collect();
            (entry.slug.clone(), ExerciseFigures { drawings, svgs })
        })
        .collect()
});

/// The drawn figures of a built-in exercise; `None` for a clinic's own exercise.
pub fn figures_for(slug: &str) -> Option<&'static ExerciseFigures> {
    FIGURES.get(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_NAMES: &str = include_str!("expected_names.txt");

    fn library() -> Library {
        load().expect("built-in library should load and validate")
    }

    /// Replace the first occurrence of `from` in the library text.
    fn mutated(from: &str, to: &str) -> String {
        assert!(LIBRARY_TOML.contains(from), "fixture text `{from}` missing");
        LIBRARY_TOML.replacen(from, to, 1)
    }

    fn invalid_rule(text: &str) -> String {
        match parse(text) {
            Err(LibraryError::Invalid { item, rule }) => format!("{item}: {rule}"),
            Err(other) => panic!("expected a rule error, got {other}"),
            Ok(_) => panic!("expected the mutated library to be rejected"),
        }
    }

    #[test]
    fn built_in_library_loads_and_validates() {
        let lib = library();
        assert_eq!(lib.article.len(), 5);
        assert!(!lib.exercise.is_empty());
        lib.validate().expect("validate is idempotent");
    }

    #[test]
    fn article_ids_run_from_zero_to_four() {
        let ids: Vec<u32> = library().article.iter().map(|a| a.id).collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn names_match_expected_list_exactly_once() {
        let lib = library();
        let expected: Vec<&str> = EXPECTED_NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut sorted_expected = expected.clone();
        sorted_expected.sort_unstable();
        assert_eq!(
            expected, sorted_expected,
            "expected_names.txt must be sorted"
        );

        let mut names: Vec<&str> = lib.exercise.iter().map(|e| e.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, expected);

        for name in &expected {
            let count = lib.exercise.iter().filter(|e| e.name == *name).count();
            assert_eq!(count, 1, "`{name}` should appear exactly once");
        }
    }

    #[test]
    fn every_category_has_an_entry() {
        let lib = library();
        for (key, _) in CATEGORIES {
            assert!(
                lib.exercise.iter().any(|e| e.category == *key),
                "no exercise in category `{key}`"
            );
        }
    }

    #[test]
    fn the_three_templates_exist() {
        let lib = library();
        assert_eq!(lib.template.len(), 3);
        for slug in [
            "warm-up-routine",
            "desk-routine",
            "static-stretching-routine",
        ] {
            let template = lib
                .template_by_slug(slug)
                .unwrap_or_else(|| panic!("template `{slug}` missing"));
            for ex in &template.exercises {
                assert!(lib.exercise_by_slug(ex).is_some());
            }
        }
    }

    #[test]
    fn variant_links_resolve() {
        let lib = library();
        let variants: Vec<&LibraryEntry> = lib
            .exercise
            .iter()
            .filter(|e| e.variant_of.is_some())
            .collect();
        assert!(!variants.is_empty());
        for entry in variants {
            let base = entry.variant_of.as_deref().unwrap_or_default();
            let base_entry = lib
                .exercise_by_slug(base)
                .unwrap_or_else(|| panic!("`{}` points at missing `{base}`", entry.slug));
            assert!(
                base_entry.variant_of.is_none(),
                "`{}` should point at a base exercise, not another variant",
                entry.slug
            );
            assert!(entry.relation.as_deref().is_some_and(|r| !r.is_empty()));
        }
    }

    #[test]
    fn every_allowed_value_has_a_label() {
        for table in [
            CATEGORIES,
            REGIONS,
            POSITIONS,
            EQUIPMENT,
            DIFFICULTIES,
            SIDES,
        ] {
            for (key, label) in table {
                assert!(is_valid_slug(key), "`{key}` is not slug-shaped");
                assert!(!label.is_empty());
                assert_eq!(label_for(table, key), Some(*label));
            }
        }
        assert_eq!(
            label_for(CATEGORIES, "posture-desk"),
            Some("Posture / desk")
        );
        assert_eq!(label_for(EQUIPMENT, "bench-step"), Some("Bench / step"));
        assert_eq!(label_for(SIDES, "each-side"), Some("Each side"));
        assert_eq!(label_for(POSITIONS, "nowhere"), None);
    }

    #[test]
    fn slug_format_rules() {
        assert!(is_valid_slug("childs-pose"));
        assert!(is_valid_slug("w2"));
        for bad in ["", "Childs", "a_b", "-a", "a-", "a--b", "a b"] {
            assert!(!is_valid_slug(bad), "`{bad}` should be rejected");
        }
        assert!(starts_with_numbering("1. Kneel"));
        assert!(starts_with_numbering("12) Kneel"));
        assert!(!starts_with_numbering("Kneel for 10 seconds."));
    }

    #[test]
    fn rejects_unknown_category() {
        let text = mutated("category = \"stretch\"", "category = \"yoga\"");
        let msg = invalid_rule(&text);
        assert!(msg.contains("category `yoga`"), "{msg}");
    }

    #[test]
    fn rejects_duplicate_slug() {
        let text = mutated("slug = \"knee-to-chest\"", "slug = \"trunk-rotation\"");
        let msg = invalid_rule(&text);
        assert!(
            msg.contains("`trunk-rotation`") && msg.contains("not unique"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_duplicate_name() {
        let text = mutated("name = \"Neck roll\"", "name = \"Shoulder rolls\"");
        let msg = invalid_rule(&text);
        assert!(msg.contains("already used"), "{msg}");
    }

    #[test]
    fn rejects_bad_slug_format() {
        let text = mutated("slug = \"neck-roll\"", "slug = \"Neck_Roll\"");
        assert!(invalid_rule(&text).contains("lowercase"));
    }

    #[test]
    fn rejects_out_of_range_dosage() {
        let text = mutated("days_per_week = 7", "days_per_week = 8");
        let msg = invalid_rule(&text);
        assert!(msg.contains("days_per_week is 8"), "{msg}");
    }

    #[test]
    fn rejects_unknown_source() {
        let text = mutated("sources = [0, 3]", "sources = [0, 9]");
        assert!(invalid_rule(&text).contains("source 9"));
    }

    #[test]
    fn rejects_dangling_variant_and_missing_relation() {
        let text = mutated(
            "variant_of = \"shoulder-rolls\"",
            "variant_of = \"shoulder-spins\"",
        );
        assert!(invalid_rule(&text).contains("`shoulder-spins`"));

        let start = LIBRARY_TOML
            .find("relation = \"The arms stay")
            .expect("fixture relation present");
        let end = start
            + LIBRARY_TOML[start..]
                .find('\n')
                .expect("relation line ends");
        let mut text = LIBRARY_TOML.to_string();
        text.replace_range(start..end, "");
        assert!(invalid_rule(&text).contains("relation is missing"));
    }

    #[test]
    fn rejects_template_with_unknown_exercise() {
        let text = mutated("  \"chin-to-chest-stretch\",\n", "  \"no-such-move\",\n");
        let msg = invalid_rule(&text);
        assert!(msg.contains("template `desk-routine`"), "{msg}");
    }

    #[test]
    fn rejects_none_with_other_equipment() {
        let text = mutated(
            "equipment = [\"towel\"]",
            "equipment = [\"none\", \"towel\"]",
        );
        assert!(invalid_rule(&text).contains("must stand alone"));
    }

    #[test]
    fn rejects_unknown_fields() {
        let text = mutated(
            "difficulty = \"easy\"",
            "difficulty = \"easy\"\ncolour = \"red\"",
        );
        match parse(&text) {
            Err(err @ LibraryError::Parse(_)) => {
                assert!(err.to_string().contains("could not be parsed"));
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn every_exercise_has_at_least_two_drawn_positions() {
        for entry in library().exercise {
            assert!(entry.figure.len() >= 2, "`{}`", entry.slug);
            let drawn = figures_for(&entry.slug).map_or(0, |f| f.drawings.len());
            assert_eq!(drawn, entry.figure.len(), "`{}` drawn", entry.slug);
        }
        assert!(figures_for("clinic-0123456789ab").is_none());
    }

    #[test]
    fn rejects_a_figure_beyond_anatomical_limits() {
        let text = mutated(
            "pose = { trunk = -90, near_arm = [15, 0], near_leg = [45, 103, -32] }",
            "pose = { trunk = -90, near_arm = [15, 0], near_leg = [45, 175, -32] }",
        );
        let msg = invalid_rule(&text);
        assert!(
            msg.contains("`knee-to-chest`") && msg.contains("knee flexion is 175"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_an_unknown_prop_and_a_lone_figure() {
        let text = mutated("props = [\"doorway\"]", "props = [\"trampoline\"]");
        let msg = invalid_rule(&text);
        assert!(msg.contains("prop `trampoline`"), "{msg}");

        let start = LIBRARY_TOML
            .find("[[exercise.figure]]\nlabel = \"Start\"\nview = \"top\"")
            .expect("fixture figure present");
        let end = start
            + LIBRARY_TOML[start..]
                .find("\n\n")
                .expect("figure ends with a blank line");
        let mut text = LIBRARY_TOML.to_string();
        text.replace_range(start..end, "");
        assert!(invalid_rule(&text).contains("has 1 figures, must have 2 to 4"));
    }

    #[test]
    fn error_message_names_item_and_rule() {
        let err = LibraryError::exercise("plank", "cautions must not be empty");
        assert_eq!(
            err.to_string(),
            "exercise library: exercise `plank` breaks a rule: cautions must not be empty"
        );
    }
}
