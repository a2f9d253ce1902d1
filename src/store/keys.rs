//! The signing keys every instance shares, kept in the database.

use diesel::prelude::*;
use rand::RngCore;

use crate::db::DbConn;
use crate::db::schema::signing_keys;

const FLASH_KEY_NAME: &str = "flash";
/// A cookie signing key's length: 512 bits (what actix-web's `Key` takes).
const KEY_BYTES: usize = 64;

/// The secret that signs the flash and device cookies, made on first start. Two
/// instances starting at once may both try to make it: the second insert fails on the
/// key's name, and the key the first one stored is read back.
pub fn flash_secret(conn: &mut DbConn) -> QueryResult<Vec<u8>> {
    for _ in 0..2 {
        if let Some(secret) = stored(conn)? {
            return Ok(secret);
        }
        let mut fresh = vec![0_u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut fresh);
        let inserted = diesel::insert_into(signing_keys::table)
            .values((
                signing_keys::name.eq(FLASH_KEY_NAME),
                signing_keys::secret.eq(hex::encode(&fresh)),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => return Ok(fresh),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => continue,
            Err(other) => return Err(other),
        }
    }
    stored(conn)?.ok_or(diesel::result::Error::NotFound)
}

fn stored(conn: &mut DbConn) -> QueryResult<Option<Vec<u8>>> {
    let secret: Option<String> = signing_keys::table
        .filter(signing_keys::name.eq(FLASH_KEY_NAME))
        .select(signing_keys::secret)
        .first(conn)
        .optional()?;
    let Some(secret) = secret else {
        return Ok(None);
    };
    match hex::decode(secret) {
        Ok(bytes) if bytes.len() >= KEY_BYTES => Ok(Some(bytes)),
        _ => Err(diesel::result::Error::QueryBuilderError(
            "the stored signing key is unreadable".into(),
        )),
    }
}
