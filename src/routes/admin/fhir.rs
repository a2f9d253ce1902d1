//! A patient's whole record as a FHIR R4 Bundle (type collection): Patient, an
//! EpisodeOfCare per case, an Observation per pain score and per outcome measurement (PSFS
//! activity, movement, global rating of change) and one per record's PSFS mean, a CarePlan
//! per programme version,
//! an Encounter per signed visit note, a Consent per consent decision, a DocumentReference
//! (with its PDF) per signed letter.
//! Every reference points at an entry of the same bundle (urn:uuid full URLs).

use crate::dates::{Shown, Zone};
use crate::store::audit::Action;
use crate::store::cases::CaseStatus;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{NaiveDateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::domain::outcomes::{self as rules, CODE_PSFS_MEAN, CODE_SYSTEM_PATH};
use crate::error::AppError;
use crate::store::audit::Event;
use crate::store::consent::{ConsentKind, ConsentLine, GivenBy};
use crate::store::exports::{self, PatientRecord};
use crate::store::outcomes::{Measure, Measurement, Source};
use crate::store::visits::VisitRow;
use crate::web::{Admin, Patient};
use crate::web::{AppState, actor};

pub const LOINC_PAIN: &str = "72514-3";
pub const LOINC_PAIN_DISPLAY: &str =
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported";
/// R4's `Observation.encounter` takes an Encounter only; this standard extension (value:
/// Reference(EpisodeOfCare), allowed on Observation) ties a pain score to its case.
pub const EPISODE_OF_CARE_EXTENSION: &str =
    "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare";

/// A stable urn:uuid for one of our rows, so two exports of the same record agree.
fn urn(kind: &str, id: i64) -> String {
    let digest = Sha256::digest(format!("physiocase:{kind}:{id}").as_bytes());
    let h = hex::encode(&digest[..16]);
    // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant bits).
    format!(
        "urn:uuid:{}-{}-5{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        ["8", "9", "a", "b"][usize::from(digest[8] & 3)],
        &h[17..20],
        &h[20..32]
    )
}

/// FHIR `dateTime` and `instant` with the clinic's offset: the same exact instant, read
/// as the clinic's local time.
fn instant(at: NaiveDateTime, zone: Zone) -> String {
    at.to_offset(zone).to_string()
}

/// A signed visit note as an Encounter of its case's EpisodeOfCare.
fn encounter(visit: &VisitRow, case_id: i64, patient_ref: &str, zone: Zone) -> Value {
    let status = if visit.attendance.took_place() {
        "finished"
    } else {
        "cancelled"
    };
    let mut period = json!({ "start": instant(visit.visited_at, zone) });
    let mut resource = json!({
        "resourceType": "Encounter",
        "id": format!("visit-{}", visit.id),
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "type": [{ "text": format!("Physiotherapy visit: {}", visit.attendance.label()) }],
        "subject": { "reference": patient_ref },
        "episodeOfCare": [{ "reference": urn("case", case_id) }],
        "participant": [{ "individual": { "reference": urn("practitioner", visit.author_id) } }],
    });
    if let Some(minutes) = visit.duration_minutes.filter(|m| *m > 0) {
        period["end"] = json!(instant(
            visit.visited_at + chrono::Duration::minutes(i64::from(minutes)),
            zone
        ));
        resource["length"] = json!({
            "value": minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        });
    }
    resource["period"] = period;
    resource
}

/// One consent decision. The newest decision of each kind is active; a withdrawal is a
/// "deny" provision.
fn consent_resource(consent: &ConsentLine, current: bool, patient_ref: &str, zone: Zone) -> Value {
    let scope = match consent.kind {
        ConsentKind::Treatment => ("treatment", "Treatment"),
        ConsentKind::Portal | ConsentKind::GpSharing => ("patient-privacy", "Privacy Consent"),
    };
    let performer = match consent.given_by {
        GivenBy::Patient => json!({ "reference": patient_ref }),
        GivenBy::Representative => json!({
            "display": if consent.representative_relationship.is_empty() {
                consent.representative_name.clone()
            } else {
                format!(
                    "{} ({})",
                    consent.representative_name, consent.representative_relationship
                )
            }
        }),
    };
    let (rule, provision) = if consent.is_given() {
        ("OPTIN", "permit")
    } else {
        ("OPTOUT", "deny")
    };
    json!({
        "resourceType": "Consent",
        "id": format!("consent-{}", consent.id),
        "status": if current { "active" } else { "inactive" },
        "scope": {
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                "code": scope.0,
                "display": scope.1,
            }],
        },
        "category": [{
            "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" }],
            "text": format!("{} ({})", consent.kind.label(), consent.method.label()),
        }],
        "patient": { "reference": patient_ref },
        "dateTime": instant(consent.occurred_at, zone),
        "performer": [performer],
        "policyRule": {
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": rule,
            }],
        },
        "provision": { "type": provision },
    })
}

const UCUM: &str = "http://unitsofmeasure.org";

/// An Observation's category: a questionnaire score or a physical examination finding.
fn category(code: &str, display: &str) -> Value {
    json!([{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code, "display": display }] }])
}

/// Where one case's outcome Observations point: the patient, the case, the clinic's code
/// system, and the case's signed visits (Encounters of the same bundle).
struct OutcomeContext<'a> {
    case_id: i64,
    patient_ref: &'a str,
    code_system: &'a str,
    visits: Vec<i64>,
    zone: Zone,
}

impl OutcomeContext<'_> {
    /// The parts every outcome Observation shares.
    fn observation(&self, id: String, source: Source, at: NaiveDateTime) -> Value {
        let mut observation = json!({
            "resourceType": "Observation",
            "id": id,
            "extension": [{
                "url": EPISODE_OF_CARE_EXTENSION,
                "valueReference": { "reference": urn("case", self.case_id) },
            }],
            "status": "final",
            "subject": { "reference": self.patient_ref },
            "effectiveDateTime": instant(at, self.zone),
        });
        if let Source::Visit(visit) = source
            && self.visits.contains(&visit)
        {
            observation["encounter"] = json!({ "reference": urn("visit", visit) });
        }
        observation
    }

    fn coded(&self, code: &str, display: &str, text: String) -> Value {
        json!({
            "coding": [{ "system": self.code_system, "code": code, "display": display }],
            "text": text,
        })
    }

    /// One measurement: a PSFS activity's score, a movement or the global rating.
    fn measurement(&self, m: &Measurement) -> Value {
        let mut observation =
            self.observation(format!("outcome-{}", m.id), m.source, m.measured_at);
        observation["performer"] = json!([{ "reference": urn("practitioner", m.recorded_by) }]);
        let movement_key = m.item.as_deref().filter(|_| m.measure == Measure::Movement);
        let code = m.measure.code(movement_key);
        match m.measure {
            Measure::Psfs => {
                let activity = m.item.clone().unwrap_or_default();
                observation["category"] = category("survey", "Survey");
                observation["code"] = self.coded(
                    code,
                    "Patient-Specific Functional Scale activity score",
                    format!("PSFS: {activity}"),
                );
                observation["valueInteger"] = json!(m.value);
            }
            Measure::Movement => {
                let label = movement_key
                    .and_then(rules::movement)
                    .map_or(code, |asked| asked.label);
                observation["category"] = category("exam", "Exam");
                observation["code"] = self.coded(code, label, label.to_owned());
                let unit = m.measure.ucum(movement_key);
                observation["valueQuantity"] =
                    json!({ "value": m.value, "unit": unit, "system": UCUM, "code": unit });
            }
            Measure::GlobalChange => {
                observation["category"] = category("survey", "Survey");
                observation["code"] = self.coded(
                    code,
                    "Global rating of change",
                    "Global rating of change (−7 to +7)".to_owned(),
                );
                observation["valueInteger"] = json!(m.value);
                let label = rules::global_change_label(m.value);
                if !label.is_empty() {
                    observation["interpretation"] = json!([{ "text": label }]);
                }
            }
        }
        observation
    }

    /// The PSFS mean of each record that scored any activity, derived from its scores.
    fn psfs_means(&self, measurements: &[Measurement]) -> Vec<(String, Value)> {
        let scores = measurements
            .iter()
            .filter(|m| m.measure == Measure::Psfs)
            .map(|m| ((m.source, m.measured_at), m));
        rules::by_record(scores)
            .into_iter()
            .filter_map(|((source, at), scores)| {
                let mean = rules::mean(scores.iter().map(|m| m.value))?;
                let name = format!("psfs-mean-{}", source.kind());
                let mut observation =
                    self.observation(format!("{name}-{}", source.id()), source, at);
                observation["category"] = category("survey", "Survey");
                observation["code"] = self.coded(
                    CODE_PSFS_MEAN,
                    "Patient-Specific Functional Scale mean score",
                    "PSFS mean".to_owned(),
                );
                observation["valueQuantity"] =
                    json!({ "value": mean, "unit": "{score}", "system": UCUM, "code": "{score}" });
                observation["derivedFrom"] = scores
                    .iter()
                    .map(|m| json!({ "reference": urn("outcome", m.id) }))
                    .collect();
                Some((urn(&name, source.id()), observation))
            })
            .collect()
    }
}

fn entry(full_url: String, resource: Value) -> Value {
    json!({ "fullUrl": full_url, "resource": resource })
}

/// The record as a bundle; `Patient` first, then each case with its pain scores, outcome
/// measures and programmes, then everyone the record names. Outcome measures are coded in
/// `code_system`, the clinic's own (no LOINC code names them).
pub fn patient_bundle(record: &PatientRecord, zone: Zone, code_system: &str) -> Value {
    let patient = &record.patient;
    let patient_id = patient.id;
    let patient_ref = urn("patient", patient_id);
    let mut entries = Vec::new();
    let gender = match patient.sex.as_deref() {
        Some("female") => "female",
        Some("male") => "male",
        Some("other") => "other",
        _ => "unknown",
    };
    let mut telecom = Vec::new();
    if !patient.phone.is_empty() {
        telecom.push(json!({ "system": "phone", "value": patient.phone }));
    }
    if !patient.email.is_empty() {
        telecom.push(json!({ "system": "email", "value": patient.email }));
    }
    let mut patient_resource = json!({
        "resourceType": "Patient",
        "id": format!("patient-{patient_id}"),
        "name": [{ "family": patient.family_name, "given": [patient.given_name], "text": patient.full_name() }],
        "gender": gender,
        "birthDate": patient.date_of_birth.to_string(),
    });
    if !telecom.is_empty() {
        patient_resource["telecom"] = Value::Array(telecom);
    }
    let contact = &patient.contact;
    if !contact.address.is_empty() {
        patient_resource["address"] = json!([{ "use": "home", "text": contact.address }]);
    }
    if !contact.preferred_language.is_empty() {
        patient_resource["communication"] = json!([{
            "language": { "text": contact.preferred_language },
            "preferred": true,
        }]);
    }
    if !contact.emergency_name.is_empty() {
        let mut emergency = json!({
            "relationship": [{
                "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                    "code": "C",
                    "display": "Emergency Contact",
                }],
                "text": contact.emergency_relationship,
            }],
            "name": { "text": contact.emergency_name },
        });
        if !contact.emergency_phone.is_empty() {
            emergency["telecom"] = json!([{ "system": "phone", "value": contact.emergency_phone }]);
        }
        patient_resource["contact"] = json!([emergency]);
    }
    let gp: Vec<&str> = [contact.gp_name.as_str(), contact.gp_practice.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    if !gp.is_empty() {
        patient_resource["generalPractitioner"] = json!([{ "display": gp.join(", ") }]);
    }
    if let Some(reference) = &patient.clinic_reference {
        patient_resource["identifier"] =
            json!([{ "system": "urn:physiocase:clinic-reference", "value": reference }]);
    }
    entries.push(entry(patient_ref.clone(), patient_resource));

    for case in &record.cases {
        let case_id = case.id;
        let status = match case.status {
            CaseStatus::Open => "active",
            CaseStatus::Discharged => "finished",
            CaseStatus::EnteredInError => "entered-in-error",
        };
        let mut period = json!({ "start": instant(case.opened_at, zone) });
        if let Some(end) = case.discharged_at {
            period["end"] = json!(instant(end, zone));
        }
        entries.push(entry(
            urn("case", case_id),
            json!({
                "resourceType": "EpisodeOfCare",
                "id": format!("case-{case_id}"),
                "status": status,
                "type": [{ "text": case.title }],
                "patient": { "reference": patient_ref },
                "managingOrganization": { "display": "physiocase clinic" },
                "period": period,
                "careManager": { "reference": urn("practitioner", case.therapist_id) },
            }),
        ));

        for score in &case.pain_scores {
            let score_id = score.id;
            let performer = if score.by_patient() {
                patient_ref.clone()
            } else {
                urn("practitioner", score.recorded_by)
            };
            let mut observation = json!({
                "resourceType": "Observation",
                "id": format!("pain-{score_id}"),
                "extension": [{
                    "url": EPISODE_OF_CARE_EXTENSION,
                    "valueReference": { "reference": urn("case", case_id) },
                }],
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey", "display": "Survey" }] }],
                "code": { "coding": [{ "system": "http://loinc.org", "code": LOINC_PAIN, "display": LOINC_PAIN_DISPLAY }], "text": format!("Pain ({})", crate::store::cases::context_label(&score.context)) },
                "subject": { "reference": patient_ref },
                "effectiveDateTime": instant(score.recorded_at, zone),
                "performer": [{ "reference": performer }],
                "valueInteger": score.score,
            });
            if !score.note.trim().is_empty() {
                observation["note"] = json!([{ "text": score.note }]);
            }
            entries.push(entry(urn("pain", score_id), observation));
        }

        let outcomes = OutcomeContext {
            case_id,
            patient_ref: &patient_ref,
            code_system,
            visits: case.visits.iter().map(|visit| visit.id).collect(),
            zone,
        };
        for measurement in &case.measurements {
            entries.push(entry(
                urn("outcome", measurement.id),
                outcomes.measurement(measurement),
            ));
        }
        for (full_url, observation) in outcomes.psfs_means(&case.measurements) {
            entries.push(entry(full_url, observation));
        }

        let latest = case.programmes.last().map(|v| v.row.version);
        for version in &case.programmes {
            let number = version.row.version;
            let current = Some(number) == latest && status == "active";
            entries.push(entry(
                urn("programme", version.row.id),
                json!({
                    "resourceType": "CarePlan",
                    "id": format!("programme-{}", version.row.id),
                    "status": if current { "active" } else if status == "entered-in-error" { "entered-in-error" } else { "revoked" },
                    "intent": "plan",
                    "title": format!("Home exercise programme, version {number}"),
                    "subject": { "reference": patient_ref },
                    "created": instant(version.row.created_at, zone),
                    "author": { "reference": urn("practitioner", version.row.author_id) },
                    "supportingInfo": [{ "reference": urn("case", case_id) }],
                    "activity": version.items.iter().map(|item| json!({
                        "detail": {
                            "kind": "ServiceRequest",
                            "status": if current { "scheduled" } else { "stopped" },
                            "description": format!("{}: {}", item.exercise_name, item.dosage.plain_words()),
                        }
                    })).collect::<Vec<_>>(),
                }),
            ));
        }
    }

    for case in &record.cases {
        for visit in &case.visits {
            entries.push(entry(
                urn("visit", visit.id),
                encounter(visit, case.id, &patient_ref, zone),
            ));
        }
        // Each kind's newest decision stands; earlier ones are kept as inactive.
        let mut seen = Vec::new();
        for consent in &case.consents {
            let current = !seen.contains(&consent.kind);
            seen.push(consent.kind);
            entries.push(entry(
                urn("consent", consent.id),
                consent_resource(consent, current, &patient_ref, zone),
            ));
        }
        for letter in &case.letters {
            let (Some(signed_at), Some(pdf)) = (letter.signed_at, &letter.pdf) else {
                continue;
            };
            entries.push(entry(
                urn("letter", letter.id),
                json!({
                    "resourceType": "DocumentReference",
                    "id": format!("letter-{}", letter.id),
                    "status": "current",
                    "docStatus": "final",
                    "type": { "text": letter.kind.label() },
                    "subject": { "reference": patient_ref },
                    "date": instant(signed_at, zone),
                    "author": [{ "reference": urn("practitioner", letter.author_id) }],
                    "description": letter.kind.label(),
                    "content": [{
                        "attachment": {
                            "contentType": "application/pdf",
                            "data": BASE64.encode(pdf),
                            "title": format!("{} (signed)", letter.kind.label()),
                            "creation": instant(signed_at, zone),
                        }
                    }],
                    "context": {
                        "encounter": [{ "reference": urn("case", case.id) }],
                    },
                }),
            ));
        }
    }
    for (id, name) in &record.practitioners {
        entries.push(entry(
            urn("practitioner", *id),
            json!({ "resourceType": "Practitioner", "id": format!("practitioner-{id}"), "name": [{ "text": name }] }),
        ));
    }
    json!({
        "resourceType": "Bundle",
        "id": format!("record-patient-{patient_id}"),
        "type": "collection",
        "timestamp": instant(Utc::now().naive_utc(), zone),
        "entry": entries,
    })
}

async fn export(
    req: &HttpRequest,
    state: &AppState,
    patient_id: i64,
) -> Result<HttpResponse, AppError> {
    let who = actor(req);
    let zone = state.zone();
    let code_system = state.link(CODE_SYSTEM_PATH);
    let bundle = state
        .audited(who, move |c| {
            let bundle =
                patient_bundle(&exports::patient_record(c, patient_id)?, zone, &code_system);
            let event = Event::new(Action::ExportFhir)
                .entity("patient", patient_id)
                .patient(patient_id);
            Ok((bundle, event))
        })
        .await?
        .into_inner();
    let body =
        serde_json::to_vec_pretty(&bundle).map_err(|e| AppError::Internal(format!("fhir: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/fhir+json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"patient-{patient_id}.fhir.json\""),
        ))
        .body(body))
}

pub async fn admin_export(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    export(&req, &state, id.into_inner()).await
}

/// The patient's own data-access export.
pub async fn patient_export(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: Patient,
) -> Result<HttpResponse, AppError> {
    let id = patient.patient_id.ok_or(AppError::Forbidden)?;
    export(&req, &state, id).await
}

#[cfg(test)]
mod tests {
    use super::urn;

    #[test]
    fn urns_are_stable_uuids() {
        let a = urn("patient", 1);
        assert_eq!(a, urn("patient", 1));
        assert_ne!(a, urn("patient", 2));
        assert_ne!(a, urn("case", 1));
        let uuid = a.trim_start_matches("urn:uuid:");
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('5'));
        assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
