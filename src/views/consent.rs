//! The consent fields as typed: on the case's consent page, and on every form that signs
//! a record, where a case without consent to treatment records it in the same submit.

use crate::dates::{WallTimeError, Zone};
use crate::domain::FormErrors;
use crate::domain::clinical::required_line;
use crate::store::consent::{ConsentDecision, ConsentKind, ConsentMethod, GivenBy, NewConsent};

/// The consent fields' values as typed, kept so a refused form shows them again.
#[derive(Debug, Clone, Default)]
pub struct ConsentForm {
    pub kind: String,
    pub decision: String,
    pub method: String,
    pub given_by: String,
    pub name: String,
    pub relationship: String,
    pub at: String,
}

impl ConsentForm {
    /// A fresh form: consent to treatment, given by the patient, now.
    pub fn blank(zone: Zone) -> Self {
        Self {
            kind: ConsentKind::Treatment.as_str().into(),
            decision: ConsentDecision::Given.as_str().into(),
            given_by: GivenBy::Patient.as_str().into(),
            at: zone.now_input(),
            ..Self::default()
        }
    }

    /// The consent fields among a submitted form's fields (names start with `consent_`).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        Self::from_fields(|key| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
    }

    /// The consent fields, each read by its field name from a submitted form.
    pub fn from_fields(get: impl Fn(&str) -> String) -> Self {
        Self {
            kind: get("consent_kind"),
            decision: get("consent_decision"),
            method: get("consent_method"),
            given_by: get("consent_given_by"),
            name: get("consent_name"),
            relationship: get("consent_relationship"),
            at: get("consent_at"),
        }
    }

    /// For a signing form's fields, shown when they are not filled in yet.
    pub fn or_blank(self, zone: Zone) -> Self {
        if self.method.is_empty() && self.at.is_empty() {
            Self::blank(zone)
        } else {
            self
        }
    }

    pub fn methods(&self) -> Vec<(&'static str, &'static str, bool)> {
        ConsentMethod::ALL
            .iter()
            .map(|m| {
                let label = match m {
                    ConsentMethod::Verbal => "Verbal",
                    ConsentMethod::Written => "Written",
                };
                (m.as_str(), label, self.method == m.as_str())
            })
            .collect()
    }

    pub fn givers(&self) -> Vec<(&'static str, &'static str, bool)> {
        GivenBy::ALL
            .iter()
            .map(|g| {
                let label = match g {
                    GivenBy::Patient => "The patient",
                    GivenBy::Representative => "Someone on the patient's behalf",
                };
                (g.as_str(), label, self.given_by == g.as_str())
            })
            .collect()
    }

    pub fn kinds(&self) -> Vec<(&'static str, &'static str, bool)> {
        ConsentKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label(), self.kind == k.as_str()))
            .collect()
    }

    pub fn decisions(&self) -> Vec<(&'static str, &'static str, bool)> {
        ConsentDecision::ALL
            .iter()
            .map(|d| {
                let label = match d {
                    ConsentDecision::Given => "Given",
                    ConsentDecision::Withdrawn => "Withdrawn",
                };
                (d.as_str(), label, self.decision == d.as_str())
            })
            .collect()
    }

    /// The consent page's form: any kind, given or withdrawn.
    pub fn validate(&self, zone: Zone) -> Result<NewConsent, FormErrors> {
        let mut errors = FormErrors::default();
        let kind = ConsentKind::parse(&self.kind);
        if kind.is_none() {
            errors.add("consent_kind", "Choose what the consent is to.");
        }
        let decision = ConsentDecision::parse(&self.decision);
        if decision.is_none() {
            errors.add(
                "consent_decision",
                "Choose whether consent was given or withdrawn.",
            );
        }
        let details = self.details(zone, &mut errors);
        match (kind, decision, details) {
            (Some(kind), Some(decision), Some((method, given_by, name, relationship, at)))
                if errors.is_empty() =>
            {
                Ok(NewConsent {
                    kind,
                    decision,
                    method,
                    given_by,
                    representative_name: name,
                    representative_relationship: relationship,
                    occurred_at: at,
                })
            }
            _ => Err(errors),
        }
    }

    /// The consent to treatment a signing form records. `missing` says why the case cannot
    /// be signed now (its fields are shown only then); signing without consent is refused
    /// with that reason beside the fields.
    pub fn for_signing(
        &self,
        missing: Option<&'static str>,
        signing: bool,
        zone: Zone,
    ) -> Result<Option<NewConsent>, FormErrors> {
        let Some(why) = missing else {
            return Ok(None);
        };
        let given = self.validate_for_signing(zone)?;
        if signing && given.is_none() {
            return Err(FormErrors::one("consent_method", why));
        }
        Ok(given)
    }

    /// A signing form's consent to treatment: `None` when its fields were left empty.
    pub fn validate_for_signing(&self, zone: Zone) -> Result<Option<NewConsent>, FormErrors> {
        if self.method.trim().is_empty() {
            return Ok(None);
        }
        let mut errors = FormErrors::default();
        match self.details(zone, &mut errors) {
            Some((method, given_by, name, relationship, at)) if errors.is_empty() => {
                Ok(Some(NewConsent {
                    kind: ConsentKind::Treatment,
                    decision: ConsentDecision::Given,
                    method,
                    given_by,
                    representative_name: name,
                    representative_relationship: relationship,
                    occurred_at: at,
                }))
            }
            _ => Err(errors),
        }
    }

    /// How, by whom and when: the fields every consent event has.
    #[allow(clippy::type_complexity)]
    fn details(
        &self,
        zone: Zone,
        errors: &mut FormErrors,
    ) -> Option<(
        ConsentMethod,
        GivenBy,
        String,
        String,
        chrono::NaiveDateTime,
    )> {
        let method = ConsentMethod::parse(&self.method);
        if method.is_none() {
            errors.add("consent_method", "Choose verbal or written.");
        }
        let given_by = GivenBy::parse(&self.given_by);
        let (name, relationship) = match given_by {
            None => {
                errors.add(
                    "consent_given_by",
                    "Choose whether the patient or someone on their behalf decided.",
                );
                (None, None)
            }
            // The patient decided: whatever was typed about someone else is not kept.
            Some(GivenBy::Patient) => (Some(String::new()), Some(String::new())),
            Some(GivenBy::Representative) => (
                errors.take(
                    "consent_name",
                    required_line(&self.name, 200, "The name of the person who decided"),
                ),
                errors.take(
                    "consent_relationship",
                    required_line(&self.relationship, 100, "Their relationship to the patient"),
                ),
            ),
        };
        let at = match zone.past_from_input(&self.at) {
            Ok(taken) => Some(taken.utc),
            Err(WallTimeError::Future) => {
                errors.add("consent_at", "The time of consent cannot be in the future.");
                None
            }
            Err(WallTimeError::Skipped(why)) => {
                errors.add("consent_at", why);
                None
            }
            Err(WallTimeError::Unreadable) => {
                errors.add("consent_at", "Enter the date and time of the decision.");
                None
            }
        };
        Some((method?, given_by?, name?, relationship?, at?))
    }
}
