//! [`text_enum!`]: an enum stored in a text column, spelled once.

/// Declares an enum whose variants are stored in a text column and shown in
/// the API under the same spelling: serde, the OpenAPI schema and sqlx all
/// use the text given for each variant, `as_str` returns it and `ALL` lists
/// the variants. Decoding a value the enum does not list is an error.
///
/// ```ignore
/// shared::text_enum! {
///     /// Whether a pharmacy may register sales.
///     pub enum PharmacyStatus {
///         Active = "active",
///         /// 停业
///         Suspended = "suspended",
///     }
/// }
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, poem_openapi::Enum, sqlx::Type,
        )]
        #[sqlx(type_name = "text")]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[oai(rename = $text)]
                #[sqlx(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and serialised) text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The variant stored as `text`, if any.
            pub fn from_text(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
