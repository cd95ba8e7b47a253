//! The statuses stored in enumerated columns: each decodes from its column
//! (an unknown value is an error, never a default) and is one schema of the
//! OpenAPI document.

crate::text_enum! {
    // `pharmacy.status`.
    /// Whether a pharmacy may register sales.
    pub enum PharmacyStatus {
        /// 正常营业.
        Active = "active",
        /// 停业: no sale can be registered.
        Suspended = "suspended",
    }
}

crate::text_enum! {
    // `app_user.status`.
    /// Whether an account may sign in.
    pub enum UserStatus {
        Active = "active",
        /// Deactivated: cannot sign in.
        Inactive = "inactive",
    }
}
