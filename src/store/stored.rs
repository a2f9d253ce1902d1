//! Closed lists kept in text columns (statuses, kinds, audit actions): each is a Rust enum
//! here and its text in the database, so a comparison against a misspelt string cannot
//! compile, and a value the code does not know is an error when it is read, not a branch
//! that silently matches nothing.

/// Declares an enum whose variants are stored as the given texts. It reads from a `Text`
/// column on both backends; queries bind `as_str()`.
macro_rules! stored_text {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::deserialize::FromSqlRow)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The text stored for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $text, )+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $( $text => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>
            for $name
        {
            fn from_sql(
                value: diesel::sqlite::SqliteValue<'_, '_, '_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::from_sql(value)?;
                Self::parse(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), text).into()
                })
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                Self::parse(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), text).into()
                })
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::DbBackend>
            for $name
        {
            fn from_sql(
                value: <$crate::db::DbBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                value.from_sql::<Self, diesel::sql_types::Text>()
            }
        }
    };
}

pub(crate) use stored_text;

#[cfg(test)]
mod tests {
    use crate::store::audit::Action;
    use crate::store::status::AssessmentStatus;
    use crate::store::status::CaseStatus;

    /// Each value reads back as itself, so no two share a text.
    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        text: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for value in all {
            assert_eq!(parse(text(*value)), Some(*value), "{value:?}");
        }
    }

    #[test]
    fn stored_texts_read_back_as_the_same_value() {
        round_trips(Action::ALL, Action::as_str, Action::parse);
        round_trips(CaseStatus::ALL, CaseStatus::as_str, CaseStatus::parse);
        round_trips(
            AssessmentStatus::ALL,
            AssessmentStatus::as_str,
            AssessmentStatus::parse,
        );
        assert_eq!(CaseStatus::parse("closed"), None);
    }

    #[test]
    fn audit_actions_keep_the_names_already_in_the_log() {
        // Rows written before the list was typed must still read and filter the same.
        assert_eq!(Action::PatientRead.as_str(), "patient.read");
        assert_eq!(
            Action::RedFlagsActionRecorded.as_str(),
            "red_flags.action_recorded"
        );
        assert_eq!(Action::Signin.as_str(), "signin");
    }
}
