use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{ApiRequest, Object, OpenApi, payload::Json};
use serde::{Deserialize, Serialize};
use shared::codes;

use serde_json::json;
use shared::{
    ApiError, AppState,
    audit::{Action, Entry},
    auth::PharmacyStaff,
    body::JsonBody,
    domain::{ResidentIdNumber, mask_id_number, mask_name},
    sales::{
        GenderView, Identity, Method, Source,
        identity::{self, parse_name},
    },
    time::today_in_china,
};

use super::{PhotoUpload, photo};

pub struct ScansApi;

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct IdCardReaderFields {
    pub name: String,
    pub id_number: String,
    /// `YYYY-MM-DD`, `YYYYMMDD` or `长期`.
    pub valid_until: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct IdCardReader {
    pub card_reader: IdCardReaderFields,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct SsCardReaderFields {
    pub name: String,
    /// 社会保障号码: the holder's ID number.
    pub ss_number: String,
    pub card_number: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct SsCardReader {
    pub card_reader: SsCardReaderFields,
}

#[derive(ApiRequest)]
pub enum IdCardScan {
    /// A photo of the card's portrait side (multipart `image`).
    Photo(PhotoUpload),
    /// Fields decoded by a card reader.
    CardReader(JsonBody<IdCardReader>),
}

#[derive(ApiRequest)]
pub enum SsCardScan {
    /// A photo of the card's front (multipart `image`).
    Photo(PhotoUpload),
    /// Fields decoded by a card reader.
    CardReader(JsonBody<SsCardReader>),
}

/// The scanned identity, masked, and the token to register the sale with.
#[derive(Debug, Serialize, Object)]
pub struct ScanResult {
    /// Valid 10 minutes, for the scanning clerk only.
    pub scan_token: String,
    pub source: Source,
    pub name_masked: String,
    pub id_masked: String,
    pub gender: GenderView,
    /// Age today.
    pub age: u32,
    pub card_expired: bool,
    /// Packages this buyer may still buy across all pharmacies in the rolling
    /// window (`window_days`), so the clerk knows before submitting.
    pub window_remaining: u32,
    pub window_days: u32,
}

fn parse_id(raw: &str, field: &str) -> Result<ResidentIdNumber, ApiError> {
    ResidentIdNumber::parse(raw).map_err(|e| ApiError::at_field(e, field, None))
}

/// `2030-01-31`, `20300131` or `长期` (no expiry).
fn expired(valid_until: Option<&str>) -> Result<bool, ApiError> {
    let Some(v) = valid_until.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(false);
    };
    if v == "长期" {
        return Ok(false);
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y%m%d"))
        .map_err(|_| {
            ApiError::bad_request(codes::VALIDATION_FAILED, "证件有效期格式不正确").field(
                "card_reader.valid_until",
                codes::INVALID_VALUE,
                "应为 YYYY-MM-DD、YYYYMMDD 或 长期",
            )
        })?;
    Ok(date < today_in_china())
}

async fn answer(
    state: &AppState,
    auth: &PharmacyStaff,
    identity: Identity,
) -> Result<Json<ScanResult>, ApiError> {
    let token = identity::store(state, auth.user_id, &identity).await?;
    let id = &identity.id_number;
    let policy = &state.config.policy;
    let mut conn = state.db.acquire().await?;
    let index = shared::sales::buyer::index(state, id);
    let already =
        shared::sales::read::packages_in_window(&mut conn, &index, policy.window_days).await?;
    drop(conn);
    // A scan tells the clerk the buyer's city-wide allowance: it is a
    // look-up of a person, audited by blind index (never the number).
    Entry::by(&auth.0, Action::BuyerScan)
        .object(hex::encode(&index))
        .detail(json!({ "source": identity.source.as_str(), "method": identity.method.as_str() }))
        .append_alone(&state.db)
        .await?;
    let window_remaining = (i64::from(policy.window_limit) - already).max(0) as u32;
    tracing::info!(
        source = identity.source.as_str(),
        method = identity.method.as_str(),
        "identity scanned"
    );
    Ok(Json(ScanResult {
        scan_token: token,
        source: identity.source,
        name_masked: mask_name(&identity.name),
        id_masked: mask_id_number(id.as_str()),
        gender: id.gender().into(),
        age: id.age_on(today_in_china()),
        card_expired: identity.card_expired,
        window_remaining,
        window_days: policy.window_days,
    }))
}

async fn prepared_photo(upload: PhotoUpload) -> Result<photo::Prepared, ApiError> {
    shared::imaging::run_bounded(move || photo::prepare(upload.bytes)).await?
}

fn unreadable(message: &'static str) -> ApiError {
    ApiError::unprocessable(codes::OCR_UNREADABLE, message)
}

/// The 社会保障号码 and the name in the printed text of a social-security card.
pub fn read_ss_card(lines: &[String]) -> Option<(String, String)> {
    let mut id = None;
    let mut name = None;
    for line in lines {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if id.is_none() {
            let chars: Vec<char> = compact.chars().collect();
            id = chars.windows(18).find_map(|w| {
                let ok = w[..17].iter().all(char::is_ascii_digit)
                    && (w[17].is_ascii_digit() || w[17] == 'X' || w[17] == 'x');
                ok.then(|| w.iter().collect::<String>())
            });
        }
        if name.is_none()
            && let Some(rest) = compact.split_once("姓名").map(|(_, r)| r)
        {
            let rest = rest.trim_start_matches([':', '：']);
            if !rest.is_empty() {
                name = Some(rest.to_owned());
            }
        }
    }
    Some((id?, name?))
}

#[OpenApi]
impl ScansApi {
    /// Scan a resident ID card (photo or card reader)
    #[oai(path = "/scan/id-card", method = "post", operation_id = "scan_id_card")]
    #[tracing::instrument(name = "scans.id_card", skip_all)]
    async fn id_card(
        &self,
        state: Data<&AppState>,
        auth: PharmacyStaff,
        body: IdCardScan,
    ) -> Result<Json<ScanResult>, ApiError> {
        let identity = match body {
            IdCardScan::CardReader(JsonBody(r)) => Identity {
                id_number: parse_id(&r.card_reader.id_number, "card_reader.id_number")?,
                name: parse_name(&r.card_reader.name)?,
                source: Source::IdCard,
                method: Method::CardReader,
                card_expired: expired(r.card_reader.valid_until.as_deref())?,
            },
            IdCardScan::Photo(upload) => {
                let photo = prepared_photo(upload).await?;
                let ocr = match state
                    .wechat
                    .ocr_id_card(photo.bytes, photo.content_type)
                    .await
                {
                    Ok(ocr) => ocr,
                    Err(e) => return Err(shared::wechat::failed(&state, e).await),
                };
                if !ocr.side.eq_ignore_ascii_case("front") {
                    return Err(unreadable("请拍摄身份证人像面（有姓名和号码的一面）"));
                }
                let id_number = ResidentIdNumber::parse(&ocr.id_number).map_err(|_| {
                    unreadable("未能从照片读出有效的身份证号码，请重新拍摄或改用读卡器/手工录入")
                })?;
                let name = parse_name(&ocr.name)
                    .map_err(|_| unreadable("未能从照片读出姓名，请重新拍摄"))?;
                Identity {
                    id_number,
                    name,
                    source: Source::IdCard,
                    method: Method::Photo,
                    card_expired: false,
                }
            }
        };
        answer(&state, &auth, identity).await
    }

    /// Scan a social-security card (photo or card reader)
    ///
    /// Its 社会保障号码 is the holder's ID number.
    #[oai(path = "/scan/ss-card", method = "post", operation_id = "scan_ss_card")]
    #[tracing::instrument(name = "scans.ss_card", skip_all)]
    async fn ss_card(
        &self,
        state: Data<&AppState>,
        auth: PharmacyStaff,
        body: SsCardScan,
    ) -> Result<Json<ScanResult>, ApiError> {
        let identity = match body {
            SsCardScan::CardReader(JsonBody(r)) => Identity {
                id_number: parse_id(&r.card_reader.ss_number, "card_reader.ss_number")?,
                name: parse_name(&r.card_reader.name)?,
                source: Source::SsCard,
                method: Method::CardReader,
                card_expired: false,
            },
            SsCardScan::Photo(upload) => {
                let photo = prepared_photo(upload).await?;
                let lines = match state
                    .wechat
                    .ocr_printed_text(photo.bytes, photo.content_type)
                    .await
                {
                    Ok(lines) => lines,
                    Err(e) => return Err(shared::wechat::failed(&state, e).await),
                };
                let (raw_id, raw_name) = read_ss_card(&lines).ok_or_else(|| {
                    unreadable("未能从照片读出社会保障号码和姓名，请对准卡片正面重新拍摄")
                })?;
                let id_number = ResidentIdNumber::parse(&raw_id).map_err(|_| {
                    unreadable("照片中的社会保障号码无效，请重新拍摄或改用读卡器/手工录入")
                })?;
                let name = parse_name(&raw_name)
                    .map_err(|_| unreadable("未能从照片读出姓名，请重新拍摄"))?;
                Identity {
                    id_number,
                    name,
                    source: Source::SsCard,
                    method: Method::Photo,
                    card_expired: false,
                }
            }
        };
        answer(&state, &auth, identity).await
    }
}

#[cfg(test)]
mod tests {
    use super::read_ss_card;

    #[test]
    fn reads_the_number_and_name_of_a_social_security_card() {
        let lines: Vec<String> = [
            "中华人民共和国",
            "社会保障卡",
            "姓名 欧阳娜娜",
            "社会保障号码 4201 0219 9003 07123x",
            "卡号 A1234",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            read_ss_card(&lines),
            Some(("42010219900307123x".into(), "欧阳娜娜".into()))
        );
        assert_eq!(read_ss_card(&["姓名：张三".into()]), None);
    }
}
