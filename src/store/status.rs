//! Where a case and an assessment stand: the closed lists their status columns hold.

crate::store::stored::stored_text! {
    /// Where a case stands.
    pub enum CaseStatus {
        Open = "open",
        Discharged = "discharged",
        /// Opened by mistake: kept and shown struck through, never counted.
        EnteredInError = "entered-in-error",
    }
}

impl CaseStatus {
    pub fn is_open(self) -> bool {
        self == Self::Open
    }

    pub fn is_discharged(self) -> bool {
        self == Self::Discharged
    }

    pub fn is_entered_in_error(self) -> bool {
        self == Self::EnteredInError
    }
}

crate::store::stored::stored_text! {
    /// Where an assessment stands: a draft its author may change, signed (never changed
    /// again, addenda only), or entered in error.
    pub enum AssessmentStatus {
        Draft = "draft",
        Signed = "signed",
        EnteredInError = "entered-in-error",
    }
}

impl AssessmentStatus {
    /// As a timeline line says it: "Review (signed)".
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Signed => "signed",
            Self::EnteredInError => "entered in error",
        }
    }

    pub fn is_draft(self) -> bool {
        self == Self::Draft
    }

    pub fn is_signed(self) -> bool {
        self == Self::Signed
    }

    pub fn is_entered_in_error(self) -> bool {
        self == Self::EnteredInError
    }
}
