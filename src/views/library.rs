//! Library search: free text over name, aliases and steps, plus facets that combine
//! (values within a facet are alternatives; facets narrow each other), with counts.

use std::collections::HashMap;

use serde::Deserialize;

use crate::db::DbConn;
use crate::domain::text::fold;
use crate::error::AppError;
use crate::library::{
    CATEGORIES, DIFFICULTIES, EQUIPMENT, POSITIONS, REGIONS, figures_for, label_for,
};
use crate::store;
use crate::store::exercise_pictures::PictureInfo;
use crate::store::exercises::Exercise;
use crate::web::{Pager, url_encode};

/// The query string of a library search; repeated keys select several values.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LibraryQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: Vec<String>,
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub position: Vec<String>,
    #[serde(default)]
    pub equipment: Vec<String>,
    #[serde(default)]
    pub difficulty: Vec<String>,
    #[serde(default)]
    pub archived: Option<String>,
    pub page: Option<i64>,
}

impl LibraryQuery {
    pub fn parse(query_string: &str) -> Self {
        serde_html_form::from_str(query_string).unwrap_or_default()
    }

    pub fn show_archived(&self) -> bool {
        self.archived.as_deref() == Some("1")
    }

    fn selected(&self, facet: Facet) -> &[String] {
        match facet {
            Facet::Category => &self.category,
            Facet::Region => &self.region,
            Facet::Position => &self.position,
            Facet::Equipment => &self.equipment,
            Facet::Difficulty => &self.difficulty,
        }
    }

    /// The query string without the page, for pager links and facet links.
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        if !self.q.trim().is_empty() {
            parts.push(format!("q={}", url_encode(self.q.trim())));
        }
        for facet in Facet::ALL {
            for value in self.selected(facet) {
                parts.push(format!("{}={}", facet.key(), url_encode(value)));
            }
        }
        if self.show_archived() {
            parts.push("archived=1".to_owned());
        }
        parts.join("&")
    }

    pub fn is_filtered(&self) -> bool {
        !self.q.trim().is_empty() || Facet::ALL.iter().any(|f| !self.selected(*f).is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Category,
    Region,
    Position,
    Equipment,
    Difficulty,
}

impl Facet {
    pub const ALL: [Facet; 5] = [
        Facet::Category,
        Facet::Region,
        Facet::Position,
        Facet::Equipment,
        Facet::Difficulty,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Region => "region",
            Self::Position => "position",
            Self::Equipment => "equipment",
            Self::Difficulty => "difficulty",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Category => "Category",
            Self::Region => "Body region",
            Self::Position => "Position",
            Self::Equipment => "Equipment",
            Self::Difficulty => "Difficulty",
        }
    }

    pub fn values(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Category => CATEGORIES,
            Self::Region => REGIONS,
            Self::Position => POSITIONS,
            Self::Equipment => EQUIPMENT,
            Self::Difficulty => DIFFICULTIES,
        }
    }

    fn of(self, exercise: &Exercise) -> Vec<&str> {
        match self {
            Self::Category => vec![exercise.category.as_str()],
            Self::Region => exercise.regions.iter().map(String::as_str).collect(),
            Self::Position => vec![exercise.position.as_str()],
            Self::Equipment => exercise.equipment.iter().map(String::as_str).collect(),
            Self::Difficulty => vec![exercise.difficulty.as_str()],
        }
    }

    pub fn value_label(self, value: &str) -> &'static str {
        label_for(self.values(), value).unwrap_or("Other")
    }
}

pub struct FacetView {
    pub key: &'static str,
    pub label: &'static str,
    pub options: Vec<FacetOption>,
}

pub struct FacetOption {
    pub value: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub checked: bool,
}

pub struct SearchResult {
    pub items: Vec<Exercise>,
    pub facets: Vec<FacetView>,
    pub pager: Pager,
}

fn matches_text(exercise: &Exercise, words: &[String]) -> bool {
    words
        .iter()
        .all(|w| exercise.search_text.contains(w.as_str()))
}

fn matches_facet(exercise: &Exercise, facet: Facet, selected: &[String]) -> bool {
    selected.is_empty()
        || facet
            .of(exercise)
            .iter()
            .any(|v| selected.iter().any(|s| s == v))
}

/// Filters, counts and pages the given exercises.
pub fn search(all: Vec<Exercise>, query: &LibraryQuery, per_page: i64) -> SearchResult {
    let words: Vec<String> = fold(&query.q)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let text_matches: Vec<&Exercise> = all.iter().filter(|e| matches_text(e, &words)).collect();

    let facets = Facet::ALL
        .iter()
        .map(|&facet| {
            // Counts honour every other facet, so each number is what ticking that box would show.
            let others: Vec<&&Exercise> = text_matches
                .iter()
                .filter(|e| {
                    Facet::ALL
                        .iter()
                        .filter(|f| **f != facet)
                        .all(|f| matches_facet(e, *f, query.selected(*f)))
                })
                .collect();
            FacetView {
                key: facet.key(),
                label: facet.label(),
                options: facet
                    .values()
                    .iter()
                    .map(|(value, label)| FacetOption {
                        value,
                        label,
                        count: others
                            .iter()
                            .filter(|e| facet.of(e).contains(value))
                            .count(),
                        checked: query.selected(facet).iter().any(|s| s == value),
                    })
                    .collect(),
            }
        })
        .collect();

    let matching: Vec<Exercise> = all
        .into_iter()
        .filter(|e| matches_text(e, &words))
        .filter(|e| {
            Facet::ALL
                .iter()
                .all(|f| matches_facet(e, *f, query.selected(*f)))
        })
        .collect();
    let pager = Pager::new(
        query.page,
        per_page,
        matching.len() as i64,
        query.to_query_string(),
    );
    let items = matching
        .into_iter()
        .skip(usize::try_from(pager.offset()).unwrap_or(0))
        .take(usize::try_from(per_page).unwrap_or(20))
        .collect();
    SearchResult {
        items,
        facets,
        pager,
    }
}

/// One line of a result list.
pub struct ExerciseCard {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub category: &'static str,
    pub position: &'static str,
    pub equipment: String,
    pub dosage: String,
    pub built_in: bool,
    /// The first picture the exercise shows; `None` for a clinic's own exercise without
    /// pictures (nothing drawn, so nothing shown).
    pub thumbnail: Option<Thumbnail>,
}

impl From<&Exercise> for ExerciseCard {
    fn from(e: &Exercise) -> Self {
        Self {
            id: e.id,
            name: e.name.clone(),
            summary: e.summary.clone(),
            category: label_for(CATEGORIES, &e.category).unwrap_or("Other"),
            position: label_for(POSITIONS, &e.position).unwrap_or("Other"),
            equipment: labels(EQUIPMENT, &e.equipment),
            dosage: e.dosage.plain_words(),
            built_in: e.built_in,
            thumbnail: drawn_pictures(&e.slug).into_iter().next(),
        }
    }
}

/// A small picture a page shows beside an exercise's name.
pub struct Thumbnail {
    pub src: String,
    pub alt: String,
}

impl Thumbnail {
    fn of_clinic_picture(picture: &PictureInfo) -> Self {
        Self {
            src: format!("/exercise-pictures/{}/thumb", picture.id),
            alt: picture.caption.clone(),
        }
    }
}

/// The drawn positions of a built-in exercise, as pictures; empty for a clinic's own.
fn drawn_pictures(slug: &str) -> Vec<Thumbnail> {
    figures_for(slug)
        .map(|f| {
            f.drawings
                .iter()
                .enumerate()
                .map(|(i, drawing)| Thumbnail {
                    src: figure_url(slug, i + 1),
                    alt: drawing.label.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Gives each card the clinic's first picture where its exercise shows the clinic's.
pub fn show_clinic_pictures(cards: &mut [ExerciseCard], clinic: &HashMap<i64, Vec<PictureInfo>>) {
    for card in cards {
        if let Some(first) = clinic.get(&card.id).and_then(|pictures| pictures.first()) {
            card.thumbnail = Some(Thumbnail::of_clinic_picture(first));
        }
    }
}

/// What each of these exercises shows: the clinic's pictures where the therapist chose
/// them, else the drawn positions.
pub fn pictures_of(
    conn: &mut DbConn,
    exercise_ids: &[i64],
) -> Result<HashMap<i64, Vec<Thumbnail>>, AppError> {
    let slugs = store::exercises::slugs(conn, exercise_ids)?;
    let clinic = store::exercise_pictures::shown_for(conn, exercise_ids)?;
    Ok(exercise_ids
        .iter()
        .map(|id| {
            let pictures = match clinic.get(id) {
                Some(pictures) => pictures.iter().map(Thumbnail::of_clinic_picture).collect(),
                None => slugs
                    .get(id)
                    .map(|slug| drawn_pictures(slug))
                    .unwrap_or_default(),
            };
            (*id, pictures)
        })
        .collect())
}

/// Where one drawn position of a built-in exercise is served (`number` counts from 1).
pub fn figure_url(slug: &str, number: usize) -> String {
    format!("/library/figures/{slug}/{number}.svg")
}

/// One drawn position as a page shows it: the SVG was drawn by the server from numbers
/// and fixed labels in the compiled-in library, so a template may insert it unescaped.
pub struct FigureView {
    pub label: &'static str,
    pub svg: &'static str,
}

/// The drawn positions of an exercise; empty for a clinic's own.
pub fn figure_views(slug: &str) -> Vec<FigureView> {
    figures_for(slug)
        .map(|f| {
            f.drawings
                .iter()
                .zip(&f.svgs)
                .map(|(d, svg)| FigureView {
                    label: d.label.as_str(),
                    svg: svg.as_str(),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn labels(table: &[(&str, &'static str)], keys: &[String]) -> String {
    keys.iter()
        .map(|k| label_for(table, k).unwrap_or("Other"))
        .collect::<Vec<_>>()
        .join(", ")
}
