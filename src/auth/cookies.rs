//! The app's two cookies: the session, and the one-line message (flash) a page shows after
//! a form. Behind an `https://` public URL both carry the `__Host-` prefix, so a browser
//! takes them only over HTTPS from this exact host for the whole site (no subdomain or
//! plain-HTTP page can plant one). The flash is also signed with a key every instance
//! reads from the database, so no other site or script can put words on a clinic page.
//! A third, signed with the same key, marks a browser that has signed in to an account
//! before (see `rate_limit`).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};

const SESSION: &str = "physiocase_session";
const SECURE_SESSION: &str = "__Host-physiocase_session";
const FLASH: &str = "physiocase_flash";
const SECURE_FLASH: &str = "__Host-physiocase_flash";
const DEVICE: &str = "physiocase_device";
const SECURE_DEVICE: &str = "__Host-physiocase_device";

#[derive(Clone)]
pub struct Cookies {
    secure: bool,
    /// Signs the flash and device cookies.
    signing_key: Key,
}

impl Cookies {
    pub fn new(secure: bool, signing_key: Key) -> Self {
        Self {
            secure,
            signing_key,
        }
    }

    pub fn session_name(&self) -> &'static str {
        if self.secure { SECURE_SESSION } else { SESSION }
    }

    fn flash_name(&self) -> &'static str {
        if self.secure { SECURE_FLASH } else { FLASH }
    }

    /// The raw session id the browser sent, if any.
    pub fn session_id(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.session_name())
            .map(|cookie| cookie.value().to_owned())
    }

    pub fn session(&self, raw_id: String) -> Cookie<'static> {
        self.build(self.session_name(), raw_id)
    }

    pub fn session_removal(&self) -> Cookie<'static> {
        self.removal(self.session_name())
    }

    /// A signed cookie carrying `message`. It must never carry clinical free text.
    /// Values are hex: the HTTP layer percent-decodes cookies it reads, which would
    /// change a percent-encoded value after it was signed.
    pub fn flash(&self, message: &str) -> Cookie<'static> {
        self.signed(self.build(self.flash_name(), hex::encode(message)))
    }

    /// The flash message of this request, when its signature holds.
    pub fn read_flash(&self, req: &HttpRequest) -> Option<String> {
        let verified = self.verified(req, self.flash_name())?;
        hex::decode(verified)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|message| !message.is_empty())
    }

    pub fn has_flash(&self, req: &HttpRequest) -> bool {
        req.cookie(self.flash_name()).is_some()
    }

    pub fn flash_removal(&self) -> Cookie<'static> {
        self.removal(self.flash_name())
    }

    fn device_name(&self) -> &'static str {
        if self.secure { SECURE_DEVICE } else { DEVICE }
    }

    /// Marks this browser, for a year, as one that has signed in to `account`.
    pub fn device(&self, account: &str) -> Cookie<'static> {
        let nonce = &crate::secrets::random_token()[..32];
        let value = format!("{nonce}.{}", hex::encode(account));
        let mut cookie = self.build(self.device_name(), value);
        cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
        self.signed(cookie)
    }

    /// The id of this browser's device cookie, when it is genuine and names `account`.
    pub fn device_for(&self, req: &HttpRequest, account: &str) -> Option<String> {
        let verified = self.verified(req, self.device_name())?;
        let (nonce, named) = verified.split_once('.')?;
        (named == hex::encode(account)).then(|| nonce.to_owned())
    }

    /// `cookie` with its value signed (the signature goes before the value).
    fn signed(&self, cookie: Cookie<'static>) -> Cookie<'static> {
        let name = cookie.name().to_owned();
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.signing_key).add(cookie);
        jar.get(&name)
            .cloned()
            .unwrap_or_else(|| Cookie::new(name, String::new()))
    }

    /// The value of the request's cookie `name`, when its signature holds.
    fn verified(&self, req: &HttpRequest, name: &str) -> Option<String> {
        let sent = req.cookie(name)?;
        let mut jar = CookieJar::new();
        jar.add_original(sent.into_owned());
        let verified = jar.signed(&self.signing_key).get(name)?;
        Some(verified.value().to_owned())
    }

    fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut gone = self.build(name, String::new());
        gone.make_removal();
        gone
    }

    fn build(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish()
    }
}
