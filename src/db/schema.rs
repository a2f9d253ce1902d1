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
        patient_id -> Nullable<BigInt>,
        time_zone -> Text,
        profession -> Text,
        registration_number -> Text,
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
        time_zone -> Text,
        emergency_number -> Text,
    }
}

diesel::table! {
    patients (id) {
        id -> BigInt,
        given_name -> Text,
        family_name -> Text,
        date_of_birth -> Date,
        sex -> Nullable<Text>,
        phone -> Text,
        email -> Text,
        clinic_reference -> Nullable<Text>,
        primary_therapist_id -> Nullable<BigInt>,
        notes -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sort_name -> Text,
        search_words -> Text,
        address -> Text,
        preferred_language -> Text,
        contact_by -> Text,
        gp_name -> Text,
        gp_practice -> Text,
        gp_address -> Text,
        gp_phone -> Text,
        gp_email -> Text,
        emergency_name -> Text,
        emergency_relationship -> Text,
        emergency_phone -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        patient_id -> BigInt,
        title -> Text,
        body_region -> Text,
        onset_date -> Nullable<Date>,
        mechanism -> Text,
        referral_source -> Text,
        goals -> Text,
        therapist_id -> BigInt,
        status -> Text,
        discharge_outcome -> Nullable<Text>,
        discharged_at -> Nullable<Timestamp>,
        error_reason -> Nullable<Text>,
        red_flags_pending -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        pain_baseline -> Nullable<Integer>,
        pain_latest -> Nullable<Integer>,
        pain_trend -> Text,
        last_pain_at -> Nullable<Timestamp>,
        review_date -> Nullable<Date>,
    }
}

diesel::table! {
    assessments (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        status -> Text,
        author_id -> BigInt,
        assessed_at -> Timestamp,
        content -> Text,
        signed_at -> Nullable<Timestamp>,
        error_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    addenda (id) {
        id -> BigInt,
        assessment_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    red_flag_actions (id) {
        id -> BigInt,
        case_id -> BigInt,
        flags -> Text,
        action -> Text,
        reason -> Text,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
        urgency -> Nullable<Text>,
    }
}

diesel::table! {
    stop_reports (id) {
        id -> BigInt,
        case_id -> BigInt,
        pain_score_id -> Nullable<BigInt>,
        symptoms -> Text,
        reported_by -> BigInt,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    pain_scores (id) {
        id -> BigInt,
        case_id -> BigInt,
        score -> Integer,
        context -> Text,
        recorded_at -> Timestamp,
        recorded_by -> BigInt,
        recorder_role -> Text,
        assessment_id -> Nullable<BigInt>,
        note -> Text,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programme_versions (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        author_id -> BigInt,
        notes -> Text,
        review_date -> Nullable<Date>,
        template_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programme_items (id) {
        id -> BigInt,
        version_id -> BigInt,
        position -> Integer,
        exercise_id -> BigInt,
        exercise_name -> Text,
        sets -> Integer,
        reps -> Integer,
        hold_seconds -> Integer,
        rest_seconds -> Integer,
        side -> Text,
        times_per_day -> Integer,
        days_per_week -> Integer,
        note -> Text,
        steps -> Text,
        cautions -> Text,
    }
}

diesel::table! {
    programme_templates (id) {
        id -> BigInt,
        slug -> Nullable<Text>,
        name -> Text,
        description -> Text,
        archived -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exercise_pictures (id) {
        id -> BigInt,
        exercise_id -> BigInt,
        position -> Integer,
        caption -> Text,
        screen_type -> Text,
        screen -> Binary,
        screen_width -> Integer,
        screen_height -> Integer,
        print_jpeg -> Binary,
        print_width -> Integer,
        print_height -> Integer,
        thumb -> Binary,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programme_template_items (id) {
        id -> BigInt,
        template_id -> BigInt,
        position -> Integer,
        exercise_id -> BigInt,
        sets -> Integer,
        reps -> Integer,
        hold_seconds -> Integer,
        rest_seconds -> Integer,
        side -> Text,
        times_per_day -> Integer,
        days_per_week -> Integer,
        note -> Text,
    }
}

diesel::table! {
    adherence_ticks (id) {
        id -> BigInt,
        case_id -> BigInt,
        exercise_id -> BigInt,
        day -> Date,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    letters (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        status -> Text,
        urgency -> Nullable<Text>,
        recipient -> Text,
        body -> Text,
        author_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        signed_at -> Nullable<Timestamp>,
        pdf -> Nullable<Binary>,
    }
}

diesel::table! {
    consent_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        decision -> Text,
        method -> Text,
        given_by -> Text,
        representative_name -> Text,
        representative_relationship -> Text,
        occurred_at -> Timestamp,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    visit_notes (id) {
        id -> BigInt,
        case_id -> BigInt,
        author_id -> BigInt,
        status -> Text,
        visited_at -> Timestamp,
        attendance -> Text,
        duration_minutes -> Nullable<Integer>,
        subjective -> Text,
        pain_today -> Nullable<Integer>,
        objective -> Text,
        treatments -> Text,
        treatment_note -> Text,
        response -> Text,
        plan -> Text,
        note -> Text,
        programme_version -> Nullable<Integer>,
        signed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        outcomes -> Text,
    }
}

diesel::table! {
    visit_addenda (id) {
        id -> BigInt,
        visit_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(letters -> cases (case_id));
diesel::joinable!(cases -> patients (patient_id));
diesel::joinable!(cases -> users (therapist_id));
diesel::joinable!(assessments -> cases (case_id));
diesel::table! {
    psfs_activities (id) {
        id -> BigInt,
        case_id -> BigInt,
        activity -> Text,
        added_at -> Timestamp,
        added_by -> BigInt,
        retired_at -> Nullable<Timestamp>,
        retired_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    outcome_measurements (id) {
        id -> BigInt,
        case_id -> BigInt,
        measured_at -> Timestamp,
        measure -> Text,
        psfs_activity_id -> Nullable<BigInt>,
        movement -> Nullable<Text>,
        value -> Integer,
        assessment_id -> Nullable<BigInt>,
        visit_id -> Nullable<BigInt>,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(addenda -> assessments (assessment_id));
diesel::joinable!(psfs_activities -> cases (case_id));
diesel::joinable!(outcome_measurements -> cases (case_id));
diesel::joinable!(red_flag_actions -> cases (case_id));
diesel::joinable!(consent_events -> cases (case_id));
diesel::joinable!(visit_notes -> cases (case_id));
diesel::joinable!(visit_addenda -> visit_notes (visit_id));
diesel::joinable!(pain_scores -> cases (case_id));
diesel::joinable!(stop_reports -> cases (case_id));
diesel::joinable!(programme_versions -> cases (case_id));
diesel::joinable!(programme_items -> programme_versions (version_id));
diesel::joinable!(programme_items -> exercises (exercise_id));
diesel::joinable!(programme_template_items -> programme_templates (template_id));
diesel::joinable!(programme_template_items -> exercises (exercise_id));
diesel::joinable!(exercise_pictures -> exercises (exercise_id));

diesel::allow_tables_to_appear_in_same_query!(
    psfs_activities,
    outcome_measurements,
    exercises,
    exercise_pictures,
    patients,
    cases,
    assessments,
    addenda,
    red_flag_actions,
    letters,
    stop_reports,
    consent_events,
    visit_notes,
    visit_addenda,
    pain_scores,
    programme_versions,
    programme_items,
    programme_templates,
    programme_template_items,
    adherence_ticks,
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
        picture_choice -> Text,
    }
}

diesel::table! {
    signing_keys (name) {
        name -> Text,
        secret -> Text,
    }
}

diesel::table! {
    write_probes (id) {
        id -> Integer,
        probed_at -> Timestamp,
    }
}
