//! Adherence: how much of what was prescribed was done.
//!
//! A tick says an exercise was done on a day, not how many times, so adherence counts
//! days: an exercise prescribed `d` days a week is due on `d` days of each week. The
//! window is cut into weeks that end on its last day; a week cut short by the window's
//! start, or by a programme version that began or ended within it, is due its share of
//! `d` (d × days / 7). In each week an exercise's done days count up to what was due,
//! so doing one exercise more often does not make up for another.
//!
//! Amounts are kept in sevenths of a day so that shares of a week stay whole numbers.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate};

/// One exercise of a programme version and how many days a week it is prescribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prescribed {
    pub exercise_id: i64,
    pub days_per_week: i32,
}

/// A programme version: its exercises are prescribed from `from` (the day it was saved)
/// until the day before the next version's `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub from: NaiveDate,
    pub items: Vec<Prescribed>,
}

/// What was due and what was done, in sevenths of an exercise day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub due: u64,
    pub done: u64,
}

impl Tally {
    /// Done as a share (0–100, rounded) of due; none when nothing was due.
    pub fn percent(&self) -> Option<u32> {
        (self.due > 0)
            .then(|| u32::try_from((self.done * 100 + self.due / 2) / self.due).unwrap_or(100))
    }

    pub fn add(&mut self, other: Tally) {
        self.due += other.due;
        self.done += other.done;
    }
}

/// Gathers (version, saved on, exercise, days a week) rows, ordered by version, into the
/// versions in force, oldest first.
pub fn schedule(rows: impl IntoIterator<Item = (i64, NaiveDate, i64, i32)>) -> Vec<InForce> {
    let mut schedule: Vec<InForce> = Vec::new();
    let mut current: Option<i64> = None;
    for (version, from, exercise_id, days_per_week) in rows {
        let item = Prescribed {
            exercise_id,
            days_per_week,
        };
        match schedule.last_mut() {
            Some(last) if current == Some(version) => last.items.push(item),
            _ => {
                current = Some(version);
                schedule.push(InForce {
                    from,
                    items: vec![item],
                });
            }
        }
    }
    schedule
}

/// The version in force on `day`, from versions sorted by `from`.
pub fn in_force(schedule: &[InForce], day: NaiveDate) -> Option<&InForce> {
    schedule.iter().rev().find(|version| version.from <= day)
}

/// Adherence over the days `first..=last`, from the versions (sorted by `from`) and the
/// (exercise, day) ticks. Ticks of exercises not in force on their day count for nothing.
pub fn tally(
    schedule: &[InForce],
    ticks: &[(i64, NaiveDate)],
    first: NaiveDate,
    last: NaiveDate,
) -> Tally {
    let ticked: HashSet<(i64, NaiveDate)> = ticks.iter().copied().collect();
    // Nothing is due before the first version; skipping those days changes no week.
    let first = schedule
        .first()
        .map_or(last + Days::new(1), |v| v.from.max(first));
    let mut tally = Tally::default();
    let mut week_end = last;
    while week_end >= first {
        let week_start = week_end
            .checked_sub_days(Days::new(6))
            .map_or(first, |d| d.max(first));
        // Per exercise this week: (due in sevenths, days ticked while prescribed).
        let mut week: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
        for day in week_start.iter_days().take_while(|d| *d <= week_end) {
            let Some(version) = in_force(schedule, day) else {
                continue;
            };
            for item in &version.items {
                let entry = week.entry(item.exercise_id).or_default();
                entry.0 += u64::try_from(item.days_per_week.clamp(0, 7)).unwrap_or(0);
                if ticked.contains(&(item.exercise_id, day)) {
                    entry.1 += 1;
                }
            }
        }
        for (due, days) in week.into_values() {
            tally.due += due;
            tally.done += (days * 7).min(due);
        }
        let Some(previous) = week_start.checked_sub_days(Days::new(1)) else {
            break;
        };
        week_end = previous;
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        // Day 1 is Monday 1 March 2027.
        NaiveDate::from_ymd_opt(2027, 3, 1)
            .and_then(|d| d.checked_add_days(Days::new(u64::from(n) - 1)))
            .unwrap_or_default()
    }

    fn version(from: u32, items: &[(i64, i32)]) -> InForce {
        InForce {
            from: day(from),
            items: items
                .iter()
                .map(|&(exercise_id, days_per_week)| Prescribed {
                    exercise_id,
                    days_per_week,
                })
                .collect(),
        }
    }

    fn ticks(exercise: i64, days: &[u32]) -> Vec<(i64, NaiveDate)> {
        days.iter().map(|&d| (exercise, day(d))).collect()
    }

    #[test]
    fn three_days_a_week_done_on_three_days_is_all_of_it() {
        let schedule = [version(1, &[(1, 3)])];
        // Four weeks, done Monday, Wednesday and Friday of each.
        let done: Vec<u32> = (0..4).flat_map(|w| [1, 3, 5].map(|d| d + 7 * w)).collect();
        let t = tally(&schedule, &ticks(1, &done), day(1), day(28));
        assert_eq!(t, Tally { due: 84, done: 84 });
        // Counting days with every exercise done, as before, read 12 of 28 days: 43 %.
        assert_eq!(t.percent(), Some(100));
    }

    #[test]
    fn extra_days_do_not_make_up_for_a_missed_week_or_another_exercise() {
        let schedule = [version(1, &[(1, 3), (2, 3)])];
        // Exercise 1 every day of week 2 only; exercise 2 never.
        let t = tally(
            &schedule,
            &ticks(1, &[8, 9, 10, 11, 12, 13, 14]),
            day(1),
            day(14),
        );
        assert_eq!(t, Tally { due: 84, done: 21 });
        assert_eq!(t.percent(), Some(25));
    }

    #[test]
    fn seven_days_a_week_counts_each_day() {
        let schedule = [version(1, &[(1, 7)])];
        let t = tally(
            &schedule,
            &ticks(1, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            day(1),
            day(14),
        );
        assert_eq!(t, Tally { due: 98, done: 70 });
        assert_eq!(t.percent(), Some(71));
    }

    #[test]
    fn a_week_cut_short_by_the_window_start_is_due_its_share() {
        // Weeks end on day 16: 10–16, and 8–9 cut short by the window.
        let schedule = [version(1, &[(1, 3)])];
        let first = day(8);
        let t = tally(&schedule, &ticks(1, &[9, 11, 13, 15]), first, day(16));
        // Due 3 × 2/7 in the short week (one day done is all of it), 3 in the full one.
        assert_eq!(t, Tally { due: 27, done: 27 });
        let missed = tally(&schedule, &ticks(1, &[11, 13, 15]), first, day(16));
        assert_eq!(missed, Tally { due: 27, done: 21 });
        assert_eq!(missed.percent(), Some(78));
    }

    #[test]
    fn days_before_the_programme_and_ticks_outside_it_count_for_nothing() {
        // Saved on day 12: of the week 10–16, five days are due.
        let schedule = [version(12, &[(1, 7)])];
        let t = tally(&schedule, &ticks(1, &[3, 10, 11, 12, 13]), day(1), day(16));
        assert_eq!(t, Tally { due: 35, done: 14 });
        // Another exercise's ticks count for nothing.
        let other = tally(&schedule, &ticks(2, &[12, 13, 14]), day(1), day(16));
        assert_eq!(other, Tally { due: 35, done: 0 });
    }

    #[test]
    fn an_exercise_added_by_a_later_version_is_due_from_that_day() {
        // Version 2 on day 5 adds exercise 2 (3 days a week) and makes 1 daily.
        let schedule = [version(1, &[(1, 3)]), version(5, &[(1, 7), (2, 3)])];
        let done: Vec<(i64, NaiveDate)> = [ticks(1, &[1, 3, 5, 6, 7]), ticks(2, &[6, 7])].concat();
        let t = tally(&schedule, &done, day(1), day(7));
        // Exercise 1: 4 days at 3/7 plus 3 days at 7/7 = 33 sevenths; ticked 5 days.
        // Exercise 2: 3 days at 3/7 = 9 sevenths, more than one day: done on two.
        assert_eq!(t, Tally { due: 42, done: 42 });
        assert_eq!(in_force(&schedule, day(4)).map(|v| v.items.len()), Some(1));
        assert_eq!(in_force(&schedule, day(5)).map(|v| v.items.len()), Some(2));
    }

    #[test]
    fn nothing_prescribed_has_no_share() {
        assert_eq!(tally(&[], &ticks(1, &[1]), day(1), day(28)).percent(), None);
        let later = [version(30, &[(1, 3)])];
        assert_eq!(tally(&later, &[], day(1), day(28)), Tally::default());
        let empty = [version(1, &[])];
        assert_eq!(
            tally(&empty, &ticks(1, &[2]), day(1), day(28)).percent(),
            None
        );
    }

    #[test]
    fn rows_gather_into_versions() {
        let rows = [(1, day(1), 10, 3), (1, day(1), 11, 7), (2, day(9), 10, 5)];
        assert_eq!(
            schedule(rows),
            vec![version(1, &[(10, 3), (11, 7)]), version(9, &[(10, 5)])]
        );
    }

    #[test]
    fn tallies_add_up_across_cases() {
        let mut total = Tally { due: 21, done: 21 };
        total.add(Tally { due: 21, done: 0 });
        assert_eq!(total.percent(), Some(50));
    }
}
