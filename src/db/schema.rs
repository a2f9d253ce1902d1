// Written by hand for both backends: ids are BigInt (SQLite's INTEGER is 64-bit),
// timestamps are UTC without a zone.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    setup_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        action -> Text,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Text>,
        patient_id -> Nullable<BigInt>,
        ip -> Nullable<Text>,
        outcome -> Text,
        detail -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_chain_head (id) {
        id -> Integer,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    clinic_settings (id) {
        id -> Integer,
        name -> Text,
        address -> Text,
        phone -> Text,
        email -> Text,
        default_paper -> Text,
        sheet_footer -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    exercises,
    users,
    sessions,
    setup_tokens,
    audit_events,
    audit_chain_head,
    clinic_settings,
);

diesel::table! {
    exercises (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        aliases -> Text,
        category -> Text,
        regions -> Text,
        position -> Text,
        equipment -> Text,
        difficulty -> Text,
        summary -> Text,
        steps -> Text,
        cautions -> Text,
        common_mistakes -> Text,
        source -> Text,
        variant_of -> Nullable<Text>,
        relation -> Nullable<Text>,
        sets -> Integer,
        reps -> Integer,
        hold_seconds -> Integer,
        rest_seconds -> Integer,
        side -> Text,
        times_per_day -> Integer,
        days_per_week -> Integer,
        built_in -> Bool,
        changed_by_clinic -> Bool,
        archived -> Bool,
        search_text -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
