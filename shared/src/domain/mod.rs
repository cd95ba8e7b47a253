//! Domain identifier types (SPEC §4.1) and masking helpers (SPEC §3).
//!
//! Every identifier is a newtype with private fields whose only constructor is
//! `parse` (or a `parse_*` variant): holding a value of the type is proof that
//! the string passed validation, so handlers and repositories never re-check.
//!
//! | type | standard |
//! | --- | --- |
//! | [`ResidentIdNumber`] | GB 11643-1999 公民身份号码 |
//! | [`Uscc`] | GB 32100-2015 法人和其他组织统一社会信用代码编码规则 |
//! | [`Gtin`] | GS1 General Specifications (GTIN-8/12/13/14), GB 12904 |
//! | [`ApprovalNumber`] | 《药品注册管理办法》药品批准文号格式 |
//! | [`AcceptanceNumber`] | ours (SPEC §8.3): `SL` + division + date + sequence + ISO 7064 MOD 11,10 |
//!
//! Errors are one enum per type and all implement [`DomainError`], which gives
//! a stable machine code and a Chinese message for the user. Errors never carry
//! the rejected input: it may be personal data and errors end up in logs.

pub mod acceptance_number;
pub mod approval_number;
pub mod barcode;
pub mod id_number;
pub mod mask;
pub mod status;
pub mod uscc;

pub use acceptance_number::{AcceptanceNumber, AcceptanceNumberError};
pub use approval_number::{ApprovalCategory, ApprovalNumber, ApprovalNumberError};
pub use barcode::{BarcodeError, Gtin, GtinKind};
pub use id_number::{Gender, IdNumberError, ResidentIdNumber};
pub use mask::{mask_id_number, mask_name};
pub use status::{PharmacyStatus, UserStatus};
pub use uscc::{Uscc, UsccError};

/// Common behaviour of the validation errors of the domain types.
pub trait DomainError: std::error::Error {
    /// Stable `UPPER_SNAKE` code, part of the API contract (clients switch on it).
    fn code(&self) -> crate::codes::Code;
    /// Chinese message telling the user what to do, e.g.
    /// "身份证号码校验位错误，请核对后重新输入".
    fn message(&self) -> &'static str;
}

/// Deserializes a string and runs it through `parse`. The serde error message
/// is the error's code only, so the input never appears in it.
pub(crate) fn deserialize_parsed<'de, D, T, E>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: DomainError,
{
    use serde::Deserialize as _;
    use serde::de::Error as _;
    let raw = String::deserialize(deserializer)?;
    parse(&raw).map_err(|e| D::Error::custom(e.code().code))
}

/// Test helpers shared by the modules' tests (no serde_json in this crate's
/// allowed dependencies, so a tiny string-only serializer stands in).
#[cfg(test)]
pub(crate) mod test_util {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, StrDeserializer};
    use serde::ser::{Impossible, Serialize, Serializer};

    /// Serializes `value`, which must serialize as a plain string.
    pub(crate) fn to_serialized_string<T: Serialize>(value: &T) -> String {
        value
            .serialize(StrOnly)
            .expect("value serializes as a string")
    }

    /// Deserializes `T` from a string, returning the error's message on failure.
    pub(crate) fn from_str_value<'de, T: serde::Deserialize<'de>>(
        s: &'de str,
    ) -> Result<T, String> {
        let de: StrDeserializer<'de, Error> = s.into_deserializer();
        T::deserialize(de).map_err(|e| e.to_string())
    }

    struct StrOnly;

    fn refuse<T>() -> Result<T, Error> {
        Err(serde::ser::Error::custom("not a string"))
    }

    macro_rules! refuse_scalars {
        ($($name:ident($($t:ty),*);)*) => {
            $(fn $name(self, $(_: $t),*) -> Result<String, Error> { refuse() })*
        };
    }

    impl Serializer for StrOnly {
        type Ok = String;
        type Error = Error;
        type SerializeSeq = Impossible<String, Error>;
        type SerializeTuple = Impossible<String, Error>;
        type SerializeTupleStruct = Impossible<String, Error>;
        type SerializeTupleVariant = Impossible<String, Error>;
        type SerializeMap = Impossible<String, Error>;
        type SerializeStruct = Impossible<String, Error>;
        type SerializeStructVariant = Impossible<String, Error>;

        fn serialize_str(self, v: &str) -> Result<String, Error> {
            Ok(v.to_owned())
        }

        refuse_scalars! {
            serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
            serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
            serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
            serialize_bytes(&[u8]); serialize_none(); serialize_unit();
            serialize_unit_struct(&'static str);
            serialize_unit_variant(&'static str, u32, &'static str);
        }

        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<String, Error> {
            refuse()
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<String, Error> {
            refuse()
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<String, Error> {
            refuse()
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
            refuse()
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
            refuse()
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Error> {
            refuse()
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            refuse()
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
            refuse()
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Error> {
            refuse()
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            refuse()
        }
    }
}
