//! CSV exports, streamed in batches so a large clinic never builds the file in memory.

use crate::dates::{Shown, Zone};
use crate::store::audit::Action;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;

use crate::db::{DbConn, DbPool};
use crate::domain::outcomes::CODE_SYSTEM_PATH;
use crate::error::AppError;
use crate::store::audit::Event;
use crate::store::exports;
use crate::store::outcomes::Measure;
use crate::web::Admin;
use crate::web::{AppState, actor};

const BATCH: i64 = 1000;

/// Every CSV export starts with a UTF-8 byte-order mark: without it Excel and LibreOffice
/// read the file as Windows-1252 and "—" comes out as "â€”".
const UTF8_BOM: &str = "\u{feff}";

/// Spreadsheets run a cell that starts with = + - @ (or their full-width forms, or a tab or
/// carriage return) as a formula; a leading apostrophe makes it plain text. A plain number
/// (an optional minus, digits, an optional decimal point followed by digits, e.g. `-2` or
/// `-0.5`) is left alone so it stays a number: it cannot run as a formula.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let starts_risky = matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
    );
    if starts_risky && !is_plain_number(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// `-?[0-9]+(\.[0-9]+)?`: what the exports write for counts, scores and changes.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Bytes, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|c| neutralise(c).into_owned()))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Streams batches produced on the blocking pool: `next_batch(conn, after_id)` returns the
/// rows and the last id read, or `after_id` itself at the end.
fn stream_csv<F>(
    pool: DbPool,
    header_row: Vec<String>,
    next_batch: F,
    filename: &str,
) -> HttpResponse
where
    F: Fn(&mut DbConn, i64) -> Result<(Vec<Vec<String>>, i64), AppError> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, AppError>>(4);
    actix_web::rt::task::spawn_blocking(move || {
        let mut after = 0;
        let first = csv_bytes(&[header_row]).map(|header| {
            let mut bytes = UTF8_BOM.as_bytes().to_vec();
            bytes.extend_from_slice(&header);
            Bytes::from(bytes)
        });
        if sender.blocking_send(first).is_err() {
            return;
        }
        loop {
            let batch = pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut conn| next_batch(&mut conn, after));
            match batch {
                // Ids only grow: a batch that read nothing is the end (one whose rows were
                // all left out still moved on).
                Ok((_, last)) if last <= after => return,
                Ok((rows, last)) => {
                    after = last;
                    if sender.blocking_send(csv_bytes(&rows)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    let _ = sender.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}

/// ISO 8601 with the clinic's offset: the local time a person reads, and the exact instant.
fn text(at: Option<NaiveDateTime>, zone: Zone) -> String {
    at.map(|t| t.to_offset(zone).to_string())
        .unwrap_or_default()
}

fn outcome_batch(
    conn: &mut DbConn,
    after: i64,
    zone: Zone,
) -> Result<(Vec<Vec<String>>, i64), AppError> {
    let rows = exports::outcome_batch(conn, after, BATCH)?;
    let last = rows.last().map(|(r, ..)| r.case_id).unwrap_or(after);
    let lines = rows
        .into_iter()
        .map(|(row, assessments, outcome)| {
            let psfs = outcome.psfs;
            let change = match (row.pain_baseline, row.pain_latest) {
                (Some(b), Some(l)) => (l - b).to_string(),
                _ => String::new(),
            };
            vec![
                row.case_id.to_string(),
                row.patient_id.to_string(),
                row.clinic_reference.unwrap_or_default(),
                row.title,
                row.therapist,
                row.status,
                text(Some(row.opened_at), zone),
                text(row.discharged_at, zone),
                row.discharge_outcome.unwrap_or_default(),
                row.pain_baseline.map(|b| b.to_string()).unwrap_or_default(),
                row.pain_latest.map(|l| l.to_string()).unwrap_or_default(),
                change,
                row.pain_trend,
                assessments.to_string(),
                row.red_flags_pending,
                tenths(outcome.psfs_first),
                tenths(outcome.psfs_latest),
                tenths(psfs.map(|p| p.change())),
                psfs.map(|p| if p.important { "yes" } else { "no" }.to_owned())
                    .unwrap_or_default(),
                outcome
                    .latest_global_change
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Ok((lines, last))
}

/// A PSFS mean or change to one decimal, a plain number a spreadsheet reads as one.
fn tenths(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn measurement_batch(
    conn: &mut DbConn,
    after: i64,
    zone: Zone,
    code_system: &str,
) -> Result<(Vec<Vec<String>>, i64), AppError> {
    let (rows, last) = exports::measurement_batch(conn, after, BATCH)?;
    // A batch whose every row was left out still moves on; only an empty read ends.
    let Some(last) = last else {
        return Ok((Vec::new(), after));
    };
    let lines: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            let movement = (row.measure == Measure::Movement).then_some(row.item.as_str());
            vec![
                row.id.to_string(),
                row.case_id.to_string(),
                row.patient_id.to_string(),
                text(Some(row.measured_at), zone),
                row.measure.as_str().to_owned(),
                row.item.clone(),
                row.value.to_string(),
                row.measure.ucum(movement).to_owned(),
                row.source.kind().to_owned(),
                row.source.id().to_string(),
                code_system.to_owned(),
                row.measure.code(movement).to_owned(),
            ]
        })
        .collect();
    Ok((lines, last))
}

fn pain_batch(
    conn: &mut DbConn,
    after: i64,
    zone: Zone,
) -> Result<(Vec<Vec<String>>, i64), AppError> {
    let rows = exports::pain_batch(conn, after, BATCH)?;
    let last = rows.last().map(|r| r.id).unwrap_or(after);
    Ok((
        rows.into_iter()
            .map(|row| {
                vec![
                    row.id.to_string(),
                    row.case_id.to_string(),
                    row.patient_id.to_string(),
                    text(Some(row.recorded_at), zone),
                    row.context,
                    row.score.to_string(),
                    row.recorder_role,
                ]
            })
            .collect(),
        last,
    ))
}

async fn record_export(
    req: &HttpRequest,
    state: &AppState,
    action: Action,
) -> Result<(), AppError> {
    let who = actor(req);
    state.record(who, Event::new(action)).await
}

fn header_row(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

pub async fn outcomes_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    // Written before the first byte: if the audit row fails, no data leaves.
    record_export(&req, &state, Action::ExportOutcomesCsv).await?;
    let zone = state.zone();
    let columns = header_row(&[
        "case_id",
        "patient_id",
        "clinic_reference",
        "case_title",
        "therapist",
        "status",
        "opened_at",
        "discharged_at",
        "discharge_outcome",
        "pain_baseline",
        "pain_latest",
        "pain_change",
        "trend",
        "assessments",
        "red_flags_pending",
        "psfs_first_mean",
        "psfs_latest_mean",
        "psfs_change",
        "psfs_important_change",
        "global_change_latest",
    ]);
    Ok(stream_csv(
        state.pool.clone(),
        columns,
        move |c: &mut DbConn, after| outcome_batch(c, after, zone),
        "physiocase-outcomes.csv",
    ))
}

pub async fn pain_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    record_export(&req, &state, Action::ExportPainCsv).await?;
    let zone = state.zone();
    let columns = header_row(&[
        "pain_score_id",
        "case_id",
        "patient_id",
        "recorded_at",
        "context",
        "score",
        "recorded_by_role",
    ]);
    Ok(stream_csv(
        state.pool.clone(),
        columns,
        move |c: &mut DbConn, after| pain_batch(c, after, zone),
        "physiocase-pain-scores.csv",
    ))
}

pub async fn measurements_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    record_export(&req, &state, Action::ExportMeasurementsCsv).await?;
    let zone = state.zone();
    let code_system = state.link(CODE_SYSTEM_PATH);
    let columns = header_row(&[
        "measurement_id",
        "case_id",
        "patient_id",
        "measured_at",
        "measure",
        "item",
        "value",
        "unit",
        "source",
        "source_id",
        "code_system",
        "code",
    ]);
    Ok(stream_csv(
        state.pool.clone(),
        columns,
        move |c: &mut DbConn, after| measurement_batch(c, after, zone, &code_system),
        "physiocase-outcome-measurements.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for risky in [
            "=1+1",
            "+SUM(A1)",
            "-2+3",
            "-A1",
            "-",
            "-.5",
            "-2.",
            "-1e3",
            "+3",
            "@cmd",
            "\t=x",
            "\rx",
            "＝1+1",
            "＋SUM(A1)",
            "－2",
            "＠cmd",
        ] {
            assert!(neutralise(risky).starts_with('\''), "{risky:?}");
        }
        for plain in [
            "Thoracic pain",
            "",
            "1-2",
            "a=b",
            "-2",
            "-0.5",
            "0",
            "12.25",
            "7",
        ] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn csv_quotes_and_neutralises() -> Result<(), AppError> {
        let bytes = csv_bytes(&[vec![
            "=HYPERLINK(\"x\")".into(),
            "a, b".into(),
            "line\nbreak".into(),
        ]])?;
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(
            text,
            "\"'=HYPERLINK(\"\"x\"\")\",\"a, b\",\"line\nbreak\"\n"
        );
        Ok(())
    }
}
