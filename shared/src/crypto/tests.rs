use super::*;
use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use proptest::prelude::*;
use sm4::Sm4;
use sm4::cipher::BlockCipherEncrypt;

const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY_B: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff";
const AAD: &[u8] = b"registration.buyer_name";

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

fn cipher_from(text: &str) -> PiiCipher {
    PiiCipher::new(&MasterKeys::parse(text).expect("valid keys in test"))
}

// ---------------------------------------------------------------- known answers

#[test]
fn sm3_known_answers() {
    // GB/T 32905-2016 Appendix A examples.
    assert_eq!(
        sm3_hex(b"abc"),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
    assert_eq!(
        sm3_hex("abcd".repeat(16).as_bytes()),
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    );
    assert_eq!(hex::encode(sm3(b"abc")), sm3_hex(b"abc"));
}

#[test]
fn sm4_block_known_answer() {
    // GB/T 32907-2016 Appendix A.1: key = plaintext = 0123456789abcdeffedcba9876543210.
    let key = unhex("0123456789abcdeffedcba9876543210");
    let cipher = <Sm4 as KeyInit>::new_from_slice(&key).unwrap();
    let mut block = sm4::cipher::Block::<Sm4>::try_from(&key[..]).unwrap();
    cipher.encrypt_block(&mut block);
    assert_eq!(
        hex::encode(block.as_slice()),
        "681edf34d206965e86b3e94f536e4246"
    );
}

#[test]
fn sm4_gcm_known_answer_rfc8998() {
    // RFC 8998 Appendix A.1 (SM4-GCM); also reproduced with Python `cryptography` 48
    // (algorithms.SM4 + modes.GCM, OpenSSL 3 backend).
    let key = unhex("0123456789ABCDEFFEDCBA9876543210");
    let nonce: [u8; 12] = unhex("00001234567800000000ABCD").try_into().unwrap();
    let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
    let pt = unhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
         EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
    );
    let expected = unhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
         D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
         83DE3541E4C2B58177E065A9BF7B62EC",
    );
    let gcm = <AesGcm<Sm4, U12> as KeyInit>::new_from_slice(&key).unwrap();
    let nonce = aes_gcm::Nonce::<U12>::from(nonce);
    let out = gcm
        .encrypt(
            &nonce,
            Payload {
                msg: &pt,
                aad: &aad,
            },
        )
        .unwrap();
    assert_eq!(out, expected);
    let back = gcm
        .decrypt(
            &nonce,
            Payload {
                msg: &out,
                aad: &aad,
            },
        )
        .unwrap();
    assert_eq!(back, pt);
}

#[test]
fn hmac_sm3_matches_openssl() {
    // printf 'abc' | openssl dgst -sm3 -hmac 'key'            (OpenSSL 3.0.19)
    assert_eq!(
        hmac_sm3_hex(b"key", b"abc"),
        "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393"
    );
    // printf 'The quick brown fox jumps over the lazy dog' | openssl dgst -sm3 -hmac 'yaojian-secret'
    assert_eq!(
        hmac_sm3_hex(
            b"yaojian-secret",
            b"The quick brown fox jumps over the lazy dog"
        ),
        "108f9fc27234e2ab3a716b35b5f84d72c4e979a1b48f2f5347cfacb9f305ad4e"
    );
    // Key longer than the 64-byte block (gets hashed first):
    // printf 'abc' | openssl dgst -sm3 -mac HMAC -macopt hexkey:$(printf 'a%.0s' $(seq 100) | xxd -p | tr -d '\n')
    assert_eq!(
        hmac_sm3_hex(&[b'a'; 100], b"abc"),
        "1533ed7c33a2d4fa5f9eff0a5f9797e01cc44adc088ab9e00eb9d11a525aa91e"
    );
    assert_eq!(
        hex::encode(hmac_sm3(b"key", b"abc")),
        hmac_sm3_hex(b"key", b"abc")
    );
}

#[test]
fn data_centre_signature_matches_openssl() {
    // printf '1700000000\n{"batch":1}' | openssl dgst -sm3 -hmac 'data-centre-shared-key'
    let expected = "745f723c7630b7e20a5125ca1d8434d9af528b9c882813bcd68d5aa5f9e68dd6";
    let key = b"data-centre-shared-key";
    assert_eq!(
        data_centre_signature(key, "1700000000", br#"{"batch":1}"#),
        expected
    );
    assert!(verify_data_centre_signature(
        key,
        "1700000000",
        br#"{"batch":1}"#,
        expected
    ));
    assert!(!verify_data_centre_signature(
        key,
        "1700000001",
        br#"{"batch":1}"#,
        expected
    ));
    assert!(!verify_data_centre_signature(
        key,
        "1700000000",
        br#"{"batch":2}"#,
        expected
    ));
    assert!(!verify_data_centre_signature(
        b"other",
        "1700000000",
        br#"{"batch":1}"#,
        expected
    ));
    assert!(!verify_data_centre_signature(
        key,
        "1700000000",
        br#"{"batch":1}"#,
        "zz"
    ));
    assert!(!verify_data_centre_signature(
        key,
        "1700000000",
        br#"{"batch":1}"#,
        ""
    ));
}

#[test]
fn verify_hmac_sm3_accepts_only_the_right_tag() {
    let tag = hmac_sm3(b"key", b"abc");
    assert!(verify_hmac_sm3(b"key", b"abc", &tag));
    assert!(!verify_hmac_sm3(b"key", b"abd", &tag));
    assert!(!verify_hmac_sm3(b"kez", b"abc", &tag));
    for i in 0..32 {
        let mut bad = tag;
        bad[i] ^= 0x01;
        assert!(!verify_hmac_sm3(b"key", b"abc", &bad));
    }
    assert!(!verify_hmac_sm3(b"key", b"abc", &tag[..31]));
    assert!(!verify_hmac_sm3(b"key", b"abc", &[]));
    let mut long = tag.to_vec();
    long.push(0);
    assert!(!verify_hmac_sm3(b"key", b"abc", &long));
}

/// Pins the key derivation and blob format against an independent implementation
/// (Python `cryptography` 48: HKDF(hashes.SM3(), salt=b"yaojian/hkdf-salt/v1", info=...),
/// HMAC(SM3), SM4-GCM). If this fails, stored data would no longer decrypt/match.
#[test]
fn derivation_and_format_match_independent_implementation() {
    let c = PiiCipher::new(&MasterKeys::development_default());
    // SM4 key = HKDF(dev, info "yaojian/pii-enc/v1", 16) = 0e25d7b3f74b9000d8d6182ac1c50d22,
    // nonce 01..0c, aad = [1, 1] || "registration.buyer_name", plaintext "张三".
    let blob = unhex("01010102030405060708090a0b0c6e3337248a35baff68b1bc87dbce46799b5c31c763d9");
    assert_eq!(c.decrypt(&blob, AAD).unwrap(), "张三");
    // index key = HKDF(dev, info "yaojian/blind-index/v1", 32);
    // HMAC-SM3(index key, be32(len(label)) || label || "11010519491231002X")
    assert_eq!(
        hex::encode(c.blind_index("registration.id_number", "11010519491231002x")),
        "85e5807a87cfa7eb6600bfc2aed3d011c68b9722b56ebeb60551a2ef18368057"
    );
    // HKDF(dev, info "yaojian/subkey/v1:yaojian/token/v1", 32)
    assert_eq!(
        hex::encode(c.derive_key(LABEL_TOKEN)),
        "672f16fe719ec163136415e49d69eebdeea3855aad2d8e47093231885d2de44d"
    );
}

// ---------------------------------------------------------------- encryption

#[test]
fn round_trip() {
    let c = cipher_from(KEY_A);
    for text in [
        "",
        "张三",
        "11010519491231002X",
        "O'Brien, Seán",
        "a\0b\n😀",
    ] {
        let blob = c.encrypt(text, AAD);
        assert_eq!(blob.len(), MIN_BLOB_LEN + text.len());
        assert_eq!(blob[0], BLOB_VERSION);
        assert_eq!(blob[1], 1);
        assert_eq!(c.decrypt(&blob, AAD).unwrap(), text);
    }
    // A clone decrypts too.
    let blob = c.encrypt("李四", AAD);
    assert_eq!(c.clone().decrypt(&blob, AAD).unwrap(), "李四");
}

#[test]
fn ciphertexts_are_randomised() {
    let c = cipher_from(KEY_A);
    let a = c.encrypt("张三", AAD);
    let b = c.encrypt("张三", AAD);
    assert_ne!(a, b);
    assert_ne!(a[2..14], b[2..14], "nonces must differ");
    let plain = "张三".as_bytes();
    assert!(
        !a.windows(plain.len()).any(|w| w == plain),
        "plaintext visible in blob"
    );
}

#[test]
fn wrong_aad_fails() {
    let c = cipher_from(KEY_A);
    let blob = c.encrypt("张三", b"registration.buyer_name");
    assert_eq!(
        c.decrypt(&blob, b"registration.seller_name"),
        Err(CryptoError::Authentication)
    );
    assert_eq!(c.decrypt(&blob, b""), Err(CryptoError::Authentication));
    let blob = c.encrypt("张三", b"");
    assert_eq!(c.decrypt(&blob, b"x"), Err(CryptoError::Authentication));
}

#[test]
fn wrong_key_fails() {
    let blob = cipher_from(KEY_A).encrypt("张三", AAD);
    // Same id 1, different secret.
    assert_eq!(
        cipher_from(KEY_B).decrypt(&blob, AAD),
        Err(CryptoError::Authentication)
    );
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let c = cipher_from(KEY_A);
    let blob = c.encrypt("11010519491231002X", AAD);
    for i in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[i] ^= 1 << bit;
            let err = c
                .decrypt(&bad, AAD)
                .expect_err("tampered blob must not decrypt");
            match i {
                0 => assert_eq!(err, CryptoError::Malformed, "version byte"),
                // Only key id 1 is configured, so a changed id is unknown.
                1 => assert_eq!(
                    err,
                    CryptoError::UnknownKeyId(1 ^ (1 << bit)),
                    "key id byte"
                ),
                _ => assert_eq!(err, CryptoError::Authentication, "byte {i} bit {bit}"),
            }
        }
    }
}

#[test]
fn changed_key_id_between_configured_keys_fails_authentication() {
    let c = cipher_from(&format!("2:{KEY_B},1:{KEY_A}"));
    let mut blob = c.encrypt("张三", AAD);
    assert_eq!(blob[1], 2);
    blob[1] = 1;
    assert_eq!(c.decrypt(&blob, AAD), Err(CryptoError::Authentication));
}

#[test]
fn truncated_or_garbage_blobs_fail_without_panic() {
    let c = cipher_from(KEY_A);
    let blob = c.encrypt("11010519491231002X", AAD);
    for len in 0..blob.len() {
        let err = c
            .decrypt(&blob[..len], AAD)
            .expect_err("truncated blob must not decrypt");
        if len < MIN_BLOB_LEN {
            assert_eq!(err, CryptoError::Malformed, "len {len}");
        } else {
            assert_eq!(err, CryptoError::Authentication, "len {len}");
        }
    }
    let mut extended = blob.clone();
    extended.push(0);
    assert_eq!(c.decrypt(&extended, AAD), Err(CryptoError::Authentication));
    assert_eq!(c.decrypt(&[2; 64], AAD), Err(CryptoError::Malformed));
    assert_eq!(c.decrypt(&[1; 64], AAD), Err(CryptoError::Authentication));
}

#[test]
fn key_rotation() {
    let old = cipher_from(&format!("1:{KEY_A}"));
    let old_blob = old.encrypt("张三", AAD);
    assert_eq!(old_blob[1], 1);

    let rotated = cipher_from(&format!("2:{KEY_B},1:{KEY_A}"));
    assert_eq!(rotated.current_key_id(), 2);
    assert_eq!(rotated.decrypt(&old_blob, AAD).unwrap(), "张三");
    let new_blob = rotated.encrypt("张三", AAD);
    assert_eq!(new_blob[1], 2);
    assert_eq!(rotated.decrypt(&new_blob, AAD).unwrap(), "张三");
    // The old configuration cannot read blobs of the new key.
    assert_eq!(
        old.decrypt(&new_blob, AAD),
        Err(CryptoError::UnknownKeyId(2))
    );

    let only_new = cipher_from(&format!("2:{KEY_B}"));
    assert_eq!(
        only_new.decrypt(&old_blob, AAD),
        Err(CryptoError::UnknownKeyId(1))
    );
    assert_eq!(only_new.decrypt(&new_blob, AAD).unwrap(), "张三");

    // The blind index survives the rotation (lowest id = 1 in both configurations),
    // and does not depend on list order.
    let label = "registration.id_number";
    let id = "11010519491231002X";
    assert_eq!(old.blind_index(label, id), rotated.blind_index(label, id));
    assert_eq!(
        rotated.blind_index(label, id),
        cipher_from(&format!("1:{KEY_A},2:{KEY_B}")).blind_index(label, id)
    );
    // ... but a different lowest key gives a different index.
    assert_ne!(old.blind_index(label, id), only_new.blind_index(label, id));

    // Subsystem keys follow the current key.
    assert_ne!(old.derive_key(LABEL_TOKEN), rotated.derive_key(LABEL_TOKEN));
    assert_eq!(
        only_new.derive_key(LABEL_TOKEN),
        rotated.derive_key(LABEL_TOKEN)
    );
}

// ---------------------------------------------------------------- blind index & derivation

#[test]
fn blind_index_normalises_and_separates_labels() {
    let c = cipher_from(KEY_A);
    let l = "registration.id_number";
    let base = c.blind_index(l, "11010519491231002X");
    assert_eq!(base, c.blind_index(l, "  11010519491231002x "));
    assert_eq!(
        base,
        c.blind_index(l, "１１０１０５１９４９１２３１００２Ｘ")
    ); // full-width
    assert_ne!(base, c.blind_index(l, "110105194912310021"));
    assert_ne!(
        base,
        c.blind_index("registration.buyer_name", "11010519491231002X")
    );
    // Label/value boundary is unambiguous.
    assert_ne!(c.blind_index("ab", "C"), c.blind_index("a", "BC"));
    assert_eq!(
        c.blind_index("n", "张 三"),
        c.blind_index("n", "张\u{3000}\t 三")
    );
    assert_ne!(c.blind_index("n", "张三"), c.blind_index("n", "张 三"));
    // Not a plain HMAC with the master secret or an unkeyed hash.
    assert_ne!(
        base.to_vec(),
        hmac_sm3(&unhex(KEY_A), b"11010519491231002X").to_vec()
    );
    assert_ne!(base, sm3(b"11010519491231002X"));
}

#[test]
fn normalise_rules() {
    assert_eq!(normalise("  a  b\u{3000}c "), "A B C");
    assert_eq!(normalise("ＡＢＣ１２３ｘ"), "ABC123X");
    assert_eq!(normalise("张三"), "张三");
    assert_eq!(normalise(" \t "), "");
}

#[test]
fn derive_key_labels_are_independent() {
    let c = cipher_from(KEY_A);
    let token = c.derive_key(LABEL_TOKEN);
    assert_eq!(token, c.derive_key(LABEL_TOKEN));
    assert_ne!(token, c.derive_key("yaojian/other/v1"));
    assert_ne!(c.derive_key(LABEL_PII_ENC), c.derive_key(LABEL_BLIND_INDEX));
    assert_ne!(token, cipher_from(KEY_B).derive_key(LABEL_TOKEN));
}

// ---------------------------------------------------------------- key parsing

fn parse_err(text: &str) -> KeyError {
    let err = MasterKeys::parse(text).expect_err("should be refused");
    // No error message may echo any part of the input that could be a secret.
    let msg = err.to_string();
    for piece in text
        .split([',', ':'])
        .map(str::trim)
        .filter(|p| p.len() >= 4)
    {
        assert!(!msg.contains(piece), "error message {msg:?} leaks input");
    }
    assert!(
        !format!("{err:?}").contains("secret-ish"),
        "debug leaks input"
    );
    err
}

#[test]
fn parse_single_hex_and_base64() {
    let hex_keys = MasterKeys::parse(&format!("  {KEY_A}\n")).unwrap();
    assert_eq!(hex_keys.current_id(), 1);
    assert_eq!(hex_keys.key_ids(), vec![1]);

    let secret = unhex(KEY_A);
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &secret);
    let b64_keys = MasterKeys::parse(&b64).unwrap();
    assert_eq!(
        b64_keys, hex_keys,
        "hex and base64 of the same bytes are the same key"
    );
    let b64_url =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &secret);
    assert_eq!(MasterKeys::parse(&b64_url).unwrap(), hex_keys);

    // Uppercase hex.
    assert_eq!(MasterKeys::parse(&KEY_A.to_uppercase()).unwrap(), hex_keys);
    // Longer hex and base64 secrets are fine.
    assert!(MasterKeys::parse(&format!("{KEY_A}{KEY_B}")).is_ok());
    let long = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 64]);
    assert!(MasterKeys::parse(&long).is_ok());
}

#[test]
fn parse_list_form() {
    let keys = MasterKeys::parse(&format!(" 7:{KEY_B} , 3:{KEY_A} ")).unwrap();
    assert_eq!(keys.current_id(), 7);
    assert_eq!(keys.key_ids(), vec![7, 3]);
    let single = MasterKeys::parse(&format!("255:{KEY_A}")).unwrap();
    assert_eq!(single.key_ids(), vec![255]);
}

#[test]
fn parse_errors() {
    assert_eq!(parse_err(""), KeyError::Empty);
    assert_eq!(parse_err("   \n"), KeyError::Empty);
    assert_eq!(
        parse_err(&format!("0:{KEY_A}")),
        KeyError::InvalidId { position: 1 }
    );
    assert_eq!(
        parse_err(&format!("256:{KEY_A}")),
        KeyError::InvalidId { position: 1 }
    );
    assert_eq!(
        parse_err(&format!("-1:{KEY_A}")),
        KeyError::InvalidId { position: 1 }
    );
    assert_eq!(
        parse_err(&format!("1:{KEY_A},x:{KEY_B}")),
        KeyError::InvalidId { position: 2 }
    );
    assert_eq!(
        parse_err(&format!(":{KEY_A}")),
        KeyError::InvalidId { position: 1 }
    );
    assert_eq!(
        parse_err(&format!("1:{KEY_A},1:{KEY_B}")),
        KeyError::DuplicateId { id: 1 }
    );
    assert_eq!(
        parse_err(&format!("1:{KEY_A},{KEY_B}")),
        KeyError::MissingId { position: 2 }
    );
    assert_eq!(
        parse_err(&format!("1:{KEY_A},")),
        KeyError::EmptyEntry { position: 2 }
    );
    assert_eq!(
        parse_err(&format!("{KEY_A},{KEY_B}")),
        KeyError::MissingId { position: 1 }
    );
    // Short secrets.
    assert_eq!(
        parse_err("changeme"),
        KeyError::TooShort {
            position: 1,
            id: 1,
            len: 6
        }
    );
    assert_eq!(
        parse_err(&format!("2:{}", &KEY_A[..62])),
        KeyError::TooShort {
            position: 1,
            id: 2,
            len: 31
        }
    );
    let short_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [9u8; 31]);
    assert_eq!(
        parse_err(&short_b64),
        KeyError::TooShort {
            position: 1,
            id: 1,
            len: 31
        }
    );
    // Not hex, not base64.
    assert_eq!(
        parse_err("secret-ish value with spaces!!"),
        KeyError::InvalidEncoding { position: 1, id: 1 }
    );
    assert_eq!(
        parse_err("3:"),
        KeyError::TooShort {
            position: 1,
            id: 3,
            len: 0
        }
    );
    // Odd-length hex.
    assert_eq!(
        parse_err(&KEY_A[..63]),
        KeyError::InvalidEncoding { position: 1, id: 1 }
    );

    // Messages say what is wrong.
    assert!(
        KeyError::TooShort {
            position: 1,
            id: 1,
            len: 6
        }
        .to_string()
        .contains("at least 32 bytes")
    );
    assert!(
        KeyError::DuplicateId { id: 4 }
            .to_string()
            .contains("key id 4")
    );
    assert!(
        KeyError::InvalidId { position: 2 }
            .to_string()
            .contains("1..=255")
    );
    assert!(KeyError::Empty.to_string().contains("empty"));
}

#[test]
fn development_default_is_usable_and_flagged() {
    let dev = MasterKeys::development_default();
    assert_eq!(dev.current_id(), 1);
    assert!(dev.is_development_default());
    assert!(!MasterKeys::parse(KEY_A).unwrap().is_development_default());
    assert!(
        MasterKeys::parse(&format!("2:{KEY_A},1:{DEVELOPMENT_MASTER_KEY}"))
            .unwrap()
            .is_development_default()
    );
    let c = PiiCipher::new(&dev);
    assert_eq!(c.decrypt(&c.encrypt("x", AAD), AAD).unwrap(), "x");
}

#[test]
fn debug_output_is_redacted() {
    let keys = MasterKeys::parse(&format!("2:{KEY_B},1:{KEY_A}")).unwrap();
    let c = PiiCipher::new(&keys);
    for text in [
        format!("{keys:?}"),
        format!("{c:?}"),
        format!("{keys:#?}"),
        format!("{c:#?}"),
    ] {
        assert!(text.contains("redacted"), "{text}");
        for secret in [KEY_A, KEY_B] {
            let bytes = unhex(secret);
            assert!(!text.contains(secret));
            assert!(!text.contains(&format!("{:?}", &bytes[..4])), "{text}");
        }
    }
}

#[test]
fn crypto_error_messages() {
    assert!(CryptoError::UnknownKeyId(9).to_string().contains('9'));
    assert!(!CryptoError::Authentication.to_string().is_empty());
    assert!(!CryptoError::Malformed.to_string().is_empty());
    let _: &dyn std::error::Error = &CryptoError::Malformed;
    let _: &dyn std::error::Error = &KeyError::Empty;
}

proptest! {
    #[test]
    fn prop_round_trip(text in any::<String>(), aad in proptest::collection::vec(any::<u8>(), 0..48)) {
        let c = cipher_from(&format!("5:{KEY_B},1:{KEY_A}"));
        let blob = c.encrypt(&text, &aad);
        prop_assert_eq!(blob.len(), MIN_BLOB_LEN + text.len());
        prop_assert_eq!(blob[1], 5);
        prop_assert_eq!(c.decrypt(&blob, &aad), Ok(text.clone()));
        let mut other_aad = aad.clone();
        other_aad.push(0);
        prop_assert_eq!(c.decrypt(&blob, &other_aad), Err(CryptoError::Authentication));
    }

    #[test]
    fn prop_decrypt_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..80)) {
        let c = cipher_from(KEY_A);
        prop_assert!(c.decrypt(&blob, AAD).is_err());
    }
}
