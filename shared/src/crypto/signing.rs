//! SM2 signatures (GM/T 0003) with the distinguishing id every Chinese
//! government system uses, `1234567812345678`. Keys and signatures travel
//! as hex: a public key as the uncompressed point `04‖x‖y` (130 characters),
//! a signature as `r‖s` (128), so any other SM2 implementation can check
//! what we sign.

use rand::RngCore;
use sm2::dsa::{
    Signature, SigningKey, VerifyingKey,
    signature::{Signer as _, Verifier as _},
};

/// GM/T 0009's default user id (ENTL = 128 bits).
pub const DISTINGUISHING_ID: &str = "1234567812345678";

/// A private key, never shown: `Debug` is redacted.
pub struct Sm2Key(SigningKey);

impl std::fmt::Debug for Sm2Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm2Key(<redacted>)")
    }
}

impl Sm2Key {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Sm2Key {
        loop {
            let mut d = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut d);
            // Out of range (0 or ≥ n) with probability about 2⁻³²: draw again.
            if let Ok(k) = SigningKey::from_slice(DISTINGUISHING_ID, &d) {
                return Sm2Key(k);
            }
        }
    }

    /// The key whose scalar `d` is these 32 bytes (hex), as stored.
    pub fn from_hex(d: &str) -> Option<Sm2Key> {
        let bytes = hex::decode(d).ok()?;
        SigningKey::from_slice(DISTINGUISHING_ID, &bytes)
            .ok()
            .map(Sm2Key)
    }

    /// The scalar `d` as 64 hex characters, for encrypted storage only.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The public key, hex of the uncompressed point `04‖x‖y`.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_sec1_bytes())
    }

    /// The signature of `message` (SM3 with Z of the public key and the
    /// distinguishing id, as GM/T 0003 says), hex of `r‖s`.
    pub fn sign(&self, message: &[u8]) -> String {
        let sig: Signature = self.0.sign(message);
        hex::encode(sig.to_bytes())
    }
}

/// Whether `signature` (hex `r‖s`) is `public_key`'s (hex, uncompressed or
/// compressed point) over `message`. Malformed hex is simply not valid.
pub fn verify(public_key: &str, message: &[u8], signature: &str) -> bool {
    let (Ok(point), Ok(sig)) = (hex::decode(public_key), hex::decode(signature)) else {
        return false;
    };
    let (Ok(key), Ok(sig)) = (
        VerifyingKey::from_sec1_bytes(DISTINGUISHING_ID, &point),
        Signature::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GM/T 0003's example (part 5, A.2 on the recommended curve): the
    /// signature of `message digest` under d must verify with its public
    /// point, and a change to any part must not.
    #[test]
    fn the_gmt_0003_vector_verifies() {
        let d = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
        let x = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
        let y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
        let r = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
        let s = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
        let point = format!("04{x}{y}");
        let sig = format!("{r}{s}");
        assert!(verify(&point, b"message digest", &sig));
        // d gives that very point.
        let key = Sm2Key::from_hex(d).unwrap();
        assert_eq!(key.public_hex(), point.to_ascii_lowercase());
        assert!(!verify(&point, b"message digesT", &sig));
        let other_s = format!("{r}{}", &s.replace('B', "C"));
        assert!(!verify(&point, b"message digest", &other_s));
    }

    #[test]
    fn a_generated_key_signs_and_verifies() {
        let key = Sm2Key::generate();
        let sig = key.sign(b"{\"a\":1}");
        assert_eq!(sig.len(), 128);
        assert_eq!(key.public_hex().len(), 130);
        assert!(verify(&key.public_hex(), b"{\"a\":1}", &sig));
        assert!(!verify(&key.public_hex(), b"{\"a\":2}", &sig));
        let again = Sm2Key::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
    }

    #[test]
    fn malformed_input_is_not_valid() {
        assert!(!verify("zz", b"m", "00"));
        assert!(!verify("04", b"m", &"0".repeat(128)));
        assert!(Sm2Key::from_hex(&"0".repeat(64)).is_none());
        assert!(Sm2Key::from_hex("xyz").is_none());
    }
}
