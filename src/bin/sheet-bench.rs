//! Measures how long one 10-exercise home-exercise sheet takes to render.
//! Run with `cargo run --release --bin sheet-bench [RENDERS]`.

use std::process::ExitCode;
use std::time::Instant;

use physiocase::domain::Side;
use physiocase::domain::clinical::STOP_SYMPTOMS;
use physiocase::domain::dosage::Dosage;
use physiocase::pdf::{ClinicHeader, Paper, Sheet, SheetItem, SheetRenderer};

fn main() -> ExitCode {
    let renders: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let library = match physiocase::library::load() {
        Ok(library) => library,
        Err(e) => {
            eprintln!("sheet-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let renderer = match SheetRenderer::new() {
        Ok(renderer) => renderer,
        Err(e) => {
            eprintln!("sheet-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dosage = Dosage {
        sets: 3,
        reps: 10,
        hold_seconds: 5,
        rest_seconds: 30,
        side: Side::EachSide,
        times_per_day: 2,
        days_per_week: 7,
    };
    let sheet = Sheet {
        clinic: ClinicHeader {
            name: "Harbour Physiotherapy".into(),
            address: "12 Quay Street\nBristol BS1 4AA".into(),
            phone: "0117 496 0000".into(),
            email: "hello@harbour-physio.example".into(),
            footer_text: "Harbour Physiotherapy · your programme, your pace".into(),
        },
        patient_name: "Zoë Łukasiewicz".into(),
        patient_date_of_birth: "31 Mar 1980".into(),
        therapist_name: "Theo Therapist".into(),
        issued_on: "22 Nov 2026".into(),
        review_on: Some("20 Dec 2026".into()),
        issued_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|day| day.and_hms_opt(9, 30, 0))
            .unwrap_or_default(),
        version: 3,
        case_title: "Thoracic pain — postural".into(),
        programme_notes: "Little and often: spread the exercises over the day.".into(),
        items: library
            .exercise
            .iter()
            .take(10)
            .map(|e| SheetItem {
                name: e.name.clone(),
                dosage: dosage.plain_words(),
                steps: e.steps.clone(),
                note: "Progress to the next level when this feels easy for three days in a row."
                    .into(),
                cautions: e.cautions.clone(),
                figures: physiocase::library::figures_for(&e.slug)
                    .map(|f| f.drawings.clone())
                    .unwrap_or_default(),
                pictures: Vec::new(),
            })
            .collect(),
        pictures: Vec::new(),
        stop_symptoms: STOP_SYMPTOMS.iter().map(|s| s.text.to_owned()).collect(),
        portal_url: Some("https://clinic.example/me".into()),
        paper: Paper::A4,
        large_print: false,
    };
    let mut times = Vec::with_capacity(renders);
    let mut size = 0;
    for _ in 0..renders {
        let start = Instant::now();
        match renderer.render(&sheet) {
            Ok(bytes) => size = bytes.len(),
            Err(e) => {
                eprintln!("sheet-bench: {e}");
                return ExitCode::FAILURE;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "10-exercise A4 sheet, {renders} renders: median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {size} bytes",
        at(0.5),
        at(0.95),
        at(0.99)
    );
    ExitCode::SUCCESS
}
