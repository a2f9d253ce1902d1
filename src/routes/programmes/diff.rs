//! What changed between two programme versions, item by item.

use crate::domain::Dosage;
use crate::store::programmes::ProgrammeItem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added { name: String, dosage: String },
    Removed { name: String },
    DosageChanged { name: String, changes: Vec<String> },
    NoteChanged { name: String },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Added { .. } => "added",
            Self::Removed { .. } => "removed",
            Self::DosageChanged { .. } => "changed",
            Self::NoteChanged { .. } => "note",
        }
    }

    /// One plain sentence for the version page.
    pub fn describe(&self) -> String {
        match self {
            Self::Added { name, dosage } => format!("Added {name}: {dosage}"),
            Self::Removed { name } => format!("Removed {name}"),
            Self::DosageChanged { name, changes } => format!("{name}: {}", changes.join("; ")),
            Self::NoteChanged { name } => format!("{name}: the note changed"),
        }
    }
}

fn seconds(n: i32) -> String {
    format!("{n} s")
}

fn dosage_changes(old: &Dosage, new: &Dosage) -> Vec<String> {
    let mut changes = Vec::new();
    let mut number = |what: &str, a: i32, b: i32, show: fn(i32) -> String| {
        if a != b {
            changes.push(format!("{what} {} → {}", show(a), show(b)));
        }
    };
    number("sets", old.sets, new.sets, |n| n.to_string());
    number("repetitions", old.reps, new.reps, |n| n.to_string());
    number("hold", old.hold_seconds, new.hold_seconds, seconds);
    number("rest", old.rest_seconds, new.rest_seconds, seconds);
    number("times per day", old.times_per_day, new.times_per_day, |n| {
        n.to_string()
    });
    number("days per week", old.days_per_week, new.days_per_week, |n| {
        n.to_string()
    });
    if old.side != new.side {
        changes.push(format!(
            "side {} → {}",
            old.side.label().to_lowercase(),
            new.side.label().to_lowercase()
        ));
    }
    changes
}

/// Changes from `before` to `after`, matching items by exercise.
pub fn diff(before: &[ProgrammeItem], after: &[ProgrammeItem]) -> Vec<Change> {
    let mut changes = Vec::new();
    for item in after {
        match before.iter().find(|b| b.exercise_id == item.exercise_id) {
            None => changes.push(Change::Added {
                name: item.exercise_name.clone(),
                dosage: item.dosage.plain_words(),
            }),
            Some(old) => {
                let dosage = dosage_changes(&old.dosage, &item.dosage);
                if !dosage.is_empty() {
                    changes.push(Change::DosageChanged {
                        name: item.exercise_name.clone(),
                        changes: dosage,
                    });
                }
                if old.note != item.note {
                    changes.push(Change::NoteChanged {
                        name: item.exercise_name.clone(),
                    });
                }
            }
        }
    }
    for old in before {
        if !after.iter().any(|a| a.exercise_id == old.exercise_id) {
            changes.push(Change::Removed {
                name: old.exercise_name.clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Side;

    fn item(id: i64, name: &str, sets: i32, hold: i32, side: Side) -> ProgrammeItem {
        ProgrammeItem {
            exercise_id: id,
            exercise_name: name.into(),
            dosage: Dosage {
                sets,
                reps: 10,
                hold_seconds: hold,
                rest_seconds: 0,
                side,
                times_per_day: 1,
                days_per_week: 7,
            },
            note: String::new(),
            steps: Vec::new(),
            cautions: Vec::new(),
        }
    }

    #[test]
    fn added_removed_and_dosage_changes_are_reported() {
        let before = vec![
            item(1, "Chin tuck", 3, 5, Side::Both),
            item(2, "Cat-cow", 1, 0, Side::Both),
        ];
        let mut changed = item(1, "Chin tuck", 2, 10, Side::EachSide);
        changed.note = "Progress when easy".into();
        let after = vec![changed, item(3, "Plank", 2, 20, Side::Both)];
        let changes = diff(&before, &after);
        assert_eq!(
            changes,
            vec![
                Change::DosageChanged {
                    name: "Chin tuck".into(),
                    changes: vec![
                        "sets 3 → 2".into(),
                        "hold 5 s → 10 s".into(),
                        "side both sides together → each side".into()
                    ],
                },
                Change::NoteChanged {
                    name: "Chin tuck".into()
                },
                Change::Added {
                    name: "Plank".into(),
                    dosage: "2 sets of 10, hold 20 seconds, once a day, every day".into()
                },
                Change::Removed {
                    name: "Cat-cow".into()
                },
            ]
        );
    }

    #[test]
    fn identical_versions_have_no_changes_and_order_alone_is_not_a_change() {
        let a = vec![
            item(1, "A", 1, 0, Side::Both),
            item(2, "B", 1, 0, Side::Both),
        ];
        let b = vec![a[1].clone(), a[0].clone()];
        assert!(diff(&a, &a).is_empty());
        assert!(diff(&a, &b).is_empty());
        assert_eq!(diff(&[], &a).len(), 2);
    }
}
