//! The clinic's own pictures of an exercise: upload, remove, choose what is shown, serve.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::domain::picture::{self, MAX_PER_EXERCISE, MAX_UPLOAD_BYTES, PictureProblem};
use crate::error::AppError;
use crate::secrets::constant_time_eq;
use crate::store;
use crate::store::audit::Action;
use crate::store::exercise_pictures::{PictureChoice, PictureInfo, Size};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guard::record_refusal;
use crate::web::{AnyUser, AppState, Staff, actor, render_with_status};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exercises/{id}/pictures", web::post().to(upload))
        .route("/exercises/{id}/pictures/choice", web::post().to(choose))
        .route(
            "/exercises/{id}/pictures/{picture}/remove",
            web::post().to(remove),
        )
        .route("/exercise-pictures/{picture}/{size}", web::get().to(serve));
}

/// A body this much larger than the largest picture is cut off rather than read to its
/// end: room for the form's other fields and the multipart framing, no more.
const BODY_CUT_OFF: usize = MAX_UPLOAD_BYTES + 2 * 1024 * 1024;
/// The caption and token fields are short; anything longer is not from the form.
const TEXT_FIELD_LIMIT: usize = 4 * 1024;

/// The picture form as typed, and its problem when refused.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    pub caption: String,
    pub problem: Option<(&'static str, String)>,
}

impl UploadForm {
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }
}

/// One picture as the exercise page lists it.
pub struct PictureView {
    pub id: i64,
    pub caption: String,
    pub width: i32,
    pub height: i32,
}

/// The pictures part of the exercise page.
pub struct PicturesSection {
    pub items: Vec<PictureView>,
    pub shows_clinic: bool,
    pub room_for_more: bool,
    pub upload: UploadForm,
    pub max_megapixels: u64,
}

impl PicturesSection {
    pub fn new(stored: Vec<PictureInfo>, choice: PictureChoice, upload: UploadForm) -> Self {
        Self {
            room_for_more: stored.len() < MAX_PER_EXERCISE,
            items: stored
                .into_iter()
                .map(|p| PictureView {
                    id: p.id,
                    caption: p.caption,
                    width: p.screen_width,
                    height: p.screen_height,
                })
                .collect(),
            shows_clinic: choice == PictureChoice::Clinic,
            upload,
            max_megapixels: picture::MAX_PIXELS / 1_000_000,
        }
    }
}

/// The fields of an upload, read from the multipart stream. The picture is kept only up
/// to the size limit; past it, the rest is read and thrown away so the browser gets the
/// form back, up to a cut-off past which the request is refused outright.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    caption: String,
    picture: Vec<u8>,
    too_large: bool,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    let mut body_read = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| AppError::IncompleteBody)?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut text = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::IncompleteBody)?;
            body_read += chunk.len();
            if body_read > BODY_CUT_OFF {
                return Err(AppError::BodyTooLarge);
            }
            match name.as_str() {
                "picture" => {
                    if upload.picture.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        upload.too_large = true;
                        upload.picture = Vec::new();
                    }
                    if !upload.too_large {
                        upload.picture.extend_from_slice(&chunk);
                    }
                }
                "caption" | "csrf_token" => {
                    if text.len() + chunk.len() > TEXT_FIELD_LIMIT {
                        return Err(AppError::BodyTooLarge);
                    }
                    text.extend_from_slice(&chunk);
                }
                _ => {}
            }
        }
        let text = String::from_utf8(text)
            .map_err(|_| AppError::BadRequest("a form field that is not UTF-8".into()))?;
        match name.as_str() {
            "caption" => upload.caption = text,
            "csrf_token" => upload.csrf_token = text,
            _ => {}
        }
    }
    Ok(upload)
}

async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    multipart: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > BODY_CUT_OFF) {
        return Err(AppError::BodyTooLarge);
    }
    let upload = read_upload(multipart).await?;
    let token_ok = !upload.csrf_token.is_empty()
        && constant_time_eq(upload.csrf_token.as_bytes(), staff.csrf_token.as_bytes());
    if !token_ok {
        record_refusal(&req, Action::CsrfTokenRefused).await?;
        return Err(AppError::Csrf);
    }
    let refuse = |field: &'static str, message: String, caption: String| UploadForm {
        caption,
        problem: Some((field, message)),
    };
    if let Err(message) = picture::check_caption(&upload.caption) {
        let form = refuse("caption", message, upload.caption);
        return refused_page(&req, &state, id, form).await;
    }
    let problem = if upload.too_large {
        Some(PictureProblem::TooLarge)
    } else {
        None
    };
    let prepared = match problem {
        Some(problem) => Err(problem),
        None => {
            let bytes = upload.picture;
            // Decoding and resizing take tens of milliseconds: off the request workers.
            web::block(move || picture::prepare(&bytes))
                .await
                .map_err(|e| AppError::Internal(format!("picture work: {e}")))?
        }
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(problem) => {
            let form = refuse("picture", problem.message(), upload.caption);
            return refused_page(&req, &state, id, form).await;
        }
    };
    let who = actor(&req);
    let caption = upload.caption.clone();
    let added = state
        .change(move |c| store::exercise_pictures::add(c, &who, id, &caption, &prepared))
        .await;
    match added {
        Ok(_) => Ok(state.redirect_with_flash(
            &format!("/exercises/{id}#pictures"),
            "The picture has been added.",
        )),
        Err(AppError::Refused { field, message }) => {
            let form = refuse(field, message, upload.caption);
            refused_page(&req, &state, id, form).await
        }
        Err(other) => Err(other),
    }
}

/// The exercise page again, with the upload's problem beside its field and the caption kept.
async fn refused_page(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    form: UploadForm,
) -> Result<HttpResponse, AppError> {
    let page = super::show_page(req, state, id, form).await?;
    render_with_status(req, &page, StatusCode::UNPROCESSABLE_ENTITY)
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, picture_id) = path.into_inner();
    let who = actor(&req);
    state
        .change(move |c| store::exercise_pictures::remove(c, &who, id, picture_id))
        .await?;
    Ok(state.redirect_with_flash(
        &format!("/exercises/{id}#pictures"),
        "The picture has been removed.",
    ))
}

#[derive(Debug, Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    choice: String,
}

async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ChoiceForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let Some(chosen) = PictureChoice::parse(&form.choice) else {
        return Err(AppError::BadRequest(
            "choice must be drawn or clinic".into(),
        ));
    };
    let who = actor(&req);
    state
        .change(move |c| store::exercise_pictures::set_choice(c, &who, id, chosen))
        .await?;
    let message = match chosen {
        PictureChoice::Clinic => {
            "The clinic's pictures are shown for this exercise, on pages and on printed sheets."
        }
        PictureChoice::Drawn => "The drawn figures are shown for this exercise.",
    };
    Ok(state.redirect_with_flash(&format!("/exercises/{id}#pictures"), message))
}

/// A picture's bytes, for any signed-in user: library pictures are not patient data.
/// A picture id never changes its bytes, so browsers may keep them for a year.
async fn serve(
    state: web::Data<AppState>,
    _user: AnyUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (picture_id, size) = path.into_inner();
    let size = match size.as_str() {
        "screen" => Size::Screen,
        "thumb" => Size::Thumb,
        "print" => Size::Print,
        _ => return Err(AppError::NotFound),
    };
    let found = state
        .read(move |conn| store::exercise_pictures::bytes(conn, picture_id, size))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(found.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(found.bytes))
}
