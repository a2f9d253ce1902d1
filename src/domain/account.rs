//! Account values: roles, email addresses, display names and new passwords, validated.

use std::fmt;

/// Who a user is to the clinic. Decides every permission on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Therapist,
    Patient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Therapist => "therapist",
            Self::Patient => "patient",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "admin" => Ok(Self::Admin),
            "therapist" => Ok(Self::Therapist),
            "patient" => Ok(Self::Patient),
            _ => Err("Choose a role: admin or therapist.".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Clinic admin",
            Self::Therapist => "Therapist",
            Self::Patient => "Patient",
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Self::Admin | Self::Therapist)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address, trimmed and lower-cased so that sign-in is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.chars().count() > 254 {
            return Err("An email address has at most 254 characters.".into());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("Enter an email address like name@example.org.".into());
        };
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let odd_characters = email.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || !domain_ok || odd_characters {
            return Err("Enter an email address like name@example.org.".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown in the app: any script, kept exactly as typed (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter a name.".into());
        }
        if name.chars().count() > 120 {
            return Err("A name has at most 120 characters.".into());
        }
        if name.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password someone chose: long enough, not too long to hash, and not easily guessed.
pub struct NewPassword(String);

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 1024;

impl NewPassword {
    /// `context` holds the person's name and email so the strength check can penalise them.
    pub fn parse(raw: &str, confirm: &str, context: &[&str]) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN_CHARS {
            return Err(format!(
                "Use at least {PASSWORD_MIN_CHARS} characters (a few unrelated words work well)."
            ));
        }
        if length > PASSWORD_MAX_CHARS {
            return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
        }
        if raw != confirm {
            return Err("The two passwords do not match.".into());
        }
        // zxcvbn's cost grows with length; its verdict on the first 100 characters is enough.
        let sample: String = raw.chars().take(100).collect();
        // Whole values, their parts and the parts run together: "anna.smith@clinic.org"
        // also penalises "anna", "smith" and "annasmith"; and the app's own name.
        let lowered: Vec<String> = context
            .iter()
            .map(|v| v.to_lowercase())
            .chain(std::iter::once("physiocase".to_owned()))
            .collect();
        let joined: Vec<String> = lowered
            .iter()
            .map(|value| value.chars().filter(|c| c.is_alphanumeric()).collect())
            .collect();
        let words: Vec<&str> = lowered
            .iter()
            .flat_map(|value| {
                std::iter::once(value.as_str()).chain(value.split(|c: char| !c.is_alphanumeric()))
            })
            .chain(joined.iter().map(String::as_str))
            .filter(|word| word.chars().count() >= 3)
            .collect();
        let estimate = zxcvbn::zxcvbn(&sample, &words);
        if u8::from(estimate.score()) < 3 {
            let reason = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "It would be easy to guess.".to_owned());
            return Err(format!(
                "This password is too weak: {reason} Try a longer phrase of unrelated words."
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, even by accident.
impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Anna.Smith@Clinic.ORG ").map(|e| e.as_str().to_owned()),
            Ok("anna.smith@clinic.org".to_owned())
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@clinic.org",
            "a b@clinic.org",
            "a@.org",
            "a@b..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn names_keep_any_script() {
        for name in [
            "Zoë Łukasiewicz",
            "Ναταλία",
            "Фёдор",
            "José Núñez",
            "王小明",
        ] {
            assert_eq!(DisplayName::parse(name).map(|n| n.0), Ok(name.to_owned()));
        }
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(121)).is_err());
    }

    #[test]
    fn passwords_must_be_long_matching_and_strong() {
        assert!(NewPassword::parse("short", "short", &[]).is_err());
        assert!(NewPassword::parse("password123", "password123", &[]).is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa", "aaaaaaaaaaaa", &[]).is_err());
        let good = "violet kettle harbour 42";
        assert!(NewPassword::parse(good, "something else", &[]).is_err());
        assert!(NewPassword::parse(good, good, &[]).is_ok());
        let long: String = "correct horse battery staple ".repeat(5);
        assert!(long.chars().count() >= 128);
        assert!(NewPassword::parse(&long, &long, &[]).is_ok());
        assert!(NewPassword::parse(&"x".repeat(2000), &"x".repeat(2000), &[]).is_err());
    }

    #[test]
    fn passwords_made_of_the_app_or_the_person_are_weak() {
        let person = ["Annabel Featherstonehaugh", "annabel.f@clinic.example"];
        for weak in [
            "physiocase2026",
            "Physiocase2026!",
            "physiocasephysiocase",
            "annabelfeatherstonehaugh",
            "AnnabelFeatherstonehaugh1",
            "featherstonehaughfeatherstonehaugh",
            "annabel.f@clinic.example",
        ] {
            assert!(
                NewPassword::parse(weak, weak, &person).is_err(),
                "{weak} was accepted"
            );
        }
        let good = "violet kettle harbour 42";
        assert!(NewPassword::parse(good, good, &person).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Therapist, Role::Patient] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }
}
