//! Residents' identifiers (issue 3, item 3; PIPL art. 51): the national ID number, phone
//! number and name, sealed with a key that lives outside the database. The ID number is
//! stored twice: as HMAC-SHA-256 (so a desk can find a resident by the card in front of
//! them without the table holding any number in clear) and encrypted with
//! XChaCha20-Poly1305 (so those allowed can see it). A dump without the key file reveals
//! neither, and an edited ciphertext fails to open rather than showing something else.

use crate::ServiceError;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::path::Path;
use yilian_domain::access::{IdCardNo, PhoneNo};
use yilian_domain::ids::ResidentId;
use yilian_store::Store;
use yilian_store::event::{NewEvent, append};
use yilian_store::identity::{self, SealedIdentity};

/// Bytes of each of the two keys.
const KEY_BYTES: usize = 32;
/// Bytes of an XChaCha20 nonce: random nonces of this size never repeat in practice.
const NONCE_BYTES: usize = 24;

/// The two keys: one encrypts, one makes the lookup hash. `Debug` hides both.
#[derive(Clone)]
pub struct Keyring {
    enc: [u8; KEY_BYTES],
    mac: [u8; KEY_BYTES],
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(***)")
    }
}

/// Why the key file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing the file failed.
    #[error("key file {path}: {source} / 密钥文件无法读写")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not 128 hex digits.
    #[error("key file {path} is not 128 hex digits / 密钥文件格式错误（应为 128 位十六进制）")]
    Malformed {
        /// The file.
        path: String,
    },
}

impl Keyring {
    /// Fresh random keys.
    pub fn generate() -> Keyring {
        let mut k = [0u8; 2 * KEY_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut k);
        Keyring::from_bytes(&k)
    }

    fn from_bytes(k: &[u8; 2 * KEY_BYTES]) -> Keyring {
        let mut enc = [0u8; KEY_BYTES];
        let mut mac = [0u8; KEY_BYTES];
        enc.copy_from_slice(&k[..KEY_BYTES]);
        mac.copy_from_slice(&k[KEY_BYTES..]);
        Keyring { enc, mac }
    }

    /// Reads the key file, or creates it (readable by its owner only) when it does not
    /// exist; the flag says it was created, so the caller can tell the operator to keep a
    /// copy: without it the sealed identifiers cannot be read again.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool), KeyError> {
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed {
                    path: shown.clone(),
                })?;
                let k: [u8; 2 * KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::Malformed {
                    path: shown.clone(),
                })?;
                Ok((Keyring::from_bytes(&k), false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Keyring::generate();
                let text = format!("{}{}\n", hex::encode(ring.enc), hex::encode(ring.mac));
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(io)?;
                std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok((ring, true))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The lookup hash of an ID number.
    pub fn id_card_hmac(&self, id: &IdCardNo) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac)
            .expect("BUG: HMAC takes a key of any length");
        m.update(id.reveal().as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Encrypts a short text for a column (identifiers, webhook secrets).
    pub(crate) fn seal(&self, clear: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.enc).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, clear.as_bytes())
            .expect("BUG: encrypting a short text cannot fail");
        format!("{}{}", hex::encode(nonce), hex::encode(ct))
    }

    /// Decrypts what [`Keyring::seal`] made; `what` names it in the error.
    pub(crate) fn open(&self, sealed: &str, what: &str) -> Result<String, ServiceError> {
        let bad = || {
            ServiceError::Internal(format!(
                "a sealed {what} does not open with this key file (wrong key, or the row was edited)"
            ))
        };
        let bytes = hex::decode(sealed).map_err(|_| bad())?;
        if bytes.len() <= NONCE_BYTES {
            return Err(bad());
        }
        let (nonce, ct) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| bad())?;
        let cipher = XChaCha20Poly1305::new((&self.enc).into());
        let clear = cipher
            .decrypt(&XNonce::from(nonce), ct)
            .map_err(|_| bad())?;
        String::from_utf8(clear).map_err(|_| bad())
    }
}

/// A resident's identifiers in clear, as the service hands them to a caller the policy
/// allowed; the types print masked unless revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// National ID number.
    pub id_card: IdCardNo,
    /// Phone number.
    pub phone: Option<PhoneNo>,
    /// Name.
    pub name: Option<String>,
}

impl Identity {
    fn seal(&self, ring: &Keyring, resident: &ResidentId) -> SealedIdentity {
        SealedIdentity {
            resident_id: resident.clone(),
            id_card_hmac: ring.id_card_hmac(&self.id_card),
            id_card_enc: ring.seal(self.id_card.reveal()),
            phone_enc: self.phone.as_ref().map(|p| ring.seal(p.reveal())),
            name_enc: self.name.as_deref().map(|n| ring.seal(n)),
        }
    }
}

/// Records (or replaces) a resident's identifiers. Another resident with the same ID
/// number is refused: one person, one record.
pub async fn put_identity(
    store: &Store,
    ring: &Keyring,
    resident: &ResidentId,
    ident: &Identity,
    actor: &str,
) -> Result<(), ServiceError> {
    if yilian_store::registry::get_resident(store, resident)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound {
            what: "resident",
            id: resident.to_string(),
        });
    }
    let sealed = ident.seal(ring, resident);
    if let Some(other) = identity::find_by_hmac(store, &sealed.id_card_hmac).await?
        && &other != resident
    {
        return Err(ServiceError::Conflict(format!(
            "this ID number belongs to resident {other} / 该身份证号已登记于居民 {other}"
        )));
    }
    let mut tx = store.begin().await?;
    identity::put(&mut tx, &sealed).await?;
    append(
        &mut tx,
        &NewEvent {
            stream: format!("resident/{resident}"),
            kind: "IdentityRecorded",
            version: 1,
            // never the identifiers themselves: the event log is read by more people
            payload: serde_json::json!({"phone": ident.phone.is_some(), "name": ident.name.is_some()}),
            actor: actor.to_owned(),
            at: chrono::Utc::now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stores many identities in one transaction (the demo city), without events: they are
/// part of the city being built, whose import is the event.
pub async fn put_identities(
    store: &Store,
    ring: &Keyring,
    idents: &[(ResidentId, Identity)],
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    for (resident, ident) in idents {
        identity::put(&mut tx, &ident.seal(ring, resident)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A resident's identifiers, opened; none when not recorded.
pub async fn identity_of(
    store: &Store,
    ring: &Keyring,
    resident: &ResidentId,
) -> Result<Option<Identity>, ServiceError> {
    let Some(s) = identity::get(store, resident).await? else {
        return Ok(None);
    };
    let id_text = ring.open(&s.id_card_enc, "ID number")?;
    // parsed against a far date: a stored number was valid when recorded
    let far = chrono::NaiveDate::MAX;
    let id_card = IdCardNo::parse(&id_text, far)
        .map_err(|e| ServiceError::Internal(format!("stored ID number no longer parses: {e}")))?;
    let phone = s
        .phone_enc
        .map(|p| {
            let text = ring.open(&p, "phone number")?;
            PhoneNo::parse(&text).map_err(|e| {
                ServiceError::Internal(format!("stored phone number no longer parses: {e}"))
            })
        })
        .transpose()?;
    let name = s.name_enc.map(|n| ring.open(&n, "name")).transpose()?;
    Ok(Some(Identity {
        id_card,
        phone,
        name,
    }))
}

/// The resident holding this ID number, if any.
pub async fn find_by_id_card(
    store: &Store,
    ring: &Keyring,
    id: &IdCardNo,
) -> Result<Option<ResidentId>, ServiceError> {
    Ok(identity::find_by_hmac(store, &ring.id_card_hmac(id)).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use yilian_store::dbtest;

    #[test]
    fn key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("yilian.key");
        let (a, created) = Keyring::load_or_create(&path).unwrap();
        assert!(created);
        let (b, created) = Keyring::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!((a.enc, a.mac), (b.enc, b.mac));
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            Keyring::load_or_create(&path),
            Err(KeyError::Malformed { .. })
        ));
        assert_eq!(format!("{a:?}"), "Keyring(***)");
    }

    #[test]
    fn sealed_text_opens_with_its_key_only() {
        let ring = Keyring::generate();
        let sealed = ring.seal("13812341234");
        assert!(!sealed.contains("13812341234"));
        assert_eq!(ring.open(&sealed, "phone").unwrap(), "13812341234");
        assert!(Keyring::generate().open(&sealed, "phone").is_err());
        let mut edited = sealed.clone().into_bytes();
        let last = edited.len() - 1;
        edited[last] = if edited[last] == b'0' { b'1' } else { b'0' };
        assert!(
            ring.open(&String::from_utf8(edited).unwrap(), "phone")
                .is_err()
        );
    }

    dbtest!(identity_round_trip_and_lookup_without_clear_text, |store| {
        let city = yilian_synth::demo_city(&yilian_synth::CityParams {
            seed: 1,
            residents: 20,
            grids: 2,
        });
        crate::import::store_city(&store, &city.registry, city.residents.clone(), "test")
            .await
            .unwrap();
        let ring = Keyring::generate();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let r1 = city.residents[0].id.clone();
        let r2 = city.residents[1].id.clone();
        let ident = Identity {
            id_card: IdCardNo::parse("11010519491231002X", today).unwrap(),
            phone: Some(PhoneNo::parse("13812341234").unwrap()),
            name: Some("张三".into()),
        };
        put_identity(&store, &ring, &r1, &ident, "test")
            .await
            .unwrap();
        assert_eq!(
            identity_of(&store, &ring, &r1).await.unwrap(),
            Some(ident.clone())
        );
        assert_eq!(
            find_by_id_card(&store, &ring, &ident.id_card)
                .await
                .unwrap(),
            Some(r1.clone())
        );
        assert!(matches!(
            put_identity(&store, &ring, &r2, &ident, "test").await,
            Err(ServiceError::Conflict(_))
        ));
        let sealed = identity::get(&store, &r1).await.unwrap().unwrap();
        let dump = format!("{sealed:?}");
        for clear in ["11010519491231002X", "13812341234", "张三"] {
            assert!(!dump.contains(clear), "{clear} in clear in the stored row");
        }
        assert!(matches!(
            identity_of(&store, &Keyring::generate(), &r1).await,
            Err(ServiceError::Internal(_))
        ));
    });
}
