//! Errors that refuse a whole import file (as opposed to one row).

use shared::codes::{self, Code};
use std::fmt;

use shared::error::FieldError;

use super::labels::label_of;

/// Why an uploaded file is refused as a whole. Row-level problems are not
/// errors of this kind: they are reported per row in [`super::Parsed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportFileError {
    /// The bytes are neither an `.xlsx` workbook nor a text (CSV) file:
    /// a picture, a PDF, a legacy `.xls`, an encrypted workbook, a web page…
    NotASpreadsheet,
    /// No header row, or a header row but no data rows.
    Empty,
    /// Text that is neither UTF-8 nor GB18030/GBK.
    Encoding,
    /// More data rows than one import may hold.
    TooManyRows { max: usize },
    /// Looks like an `.xlsx` or CSV file but cannot be read (corrupt, truncated).
    Unreadable,
    /// An `.xlsx` whose parts would inflate past what one import may take,
    /// or that declares absurd sizes (a zip bomb, a forged `uniqueCount`):
    /// refused before the workbook is parsed. The text says which.
    Oversized(String),
    /// Required columns are missing from the header row (English field
    /// names; `district_code` stands for "`district_code` or `district`").
    MissingColumns(Vec<String>),
    /// A known column appears more than once in the header row (English
    /// field names).
    DuplicateColumns(Vec<String>),
}

impl ImportFileError {
    /// Stable `UPPER_SNAKE` code (API contract).
    pub fn code(&self) -> Code {
        match self {
            Self::NotASpreadsheet | Self::Unreadable | Self::Oversized(_) => {
                codes::IMPORT_FILE_INVALID
            }
            Self::Empty => codes::IMPORT_FILE_EMPTY,
            Self::Encoding => codes::IMPORT_ENCODING,
            Self::TooManyRows { .. } => codes::IMPORT_TOO_MANY_ROWS,
            Self::MissingColumns(_) => codes::IMPORT_MISSING_COLUMNS,
            Self::DuplicateColumns(_) => codes::IMPORT_DUPLICATE_COLUMNS,
        }
    }

    /// Chinese message telling the administrator what to do.
    pub fn message(&self) -> String {
        match self {
            Self::NotASpreadsheet => "文件不是 .xlsx 或 .csv 表格（旧版 .xls、加密的工作簿、网页或图片等都无法读取），\
                 请在 Excel 中“另存为”Excel 工作簿（.xlsx）或 CSV 文件后重新上传"
                .to_owned(),
            Self::Empty => "文件中没有数据：第一行应为表头，其下至少一行数据，请补充后重新上传".to_owned(),
            Self::Encoding => "无法识别文件的文字编码，请在 Excel 中“另存为”CSV UTF-8（逗号分隔）或 Excel 工作簿（.xlsx）后重新上传"
                .to_owned(),
            Self::TooManyRows { max } => {
                format!("文件数据超过 {max} 行，请拆分为多个文件分别导入")
            }
            Self::Unreadable => "文件已损坏或格式不完整，无法读取，请用 Excel 打开检查后重新保存为 .xlsx 或 .csv 再上传"
                .to_owned(),
            Self::Oversized(problem) => format!(
                "文件无法安全读取：{problem}。请在 Excel 中打开检查后重新保存为 .xlsx 或 .csv 再上传"
            ),
            Self::MissingColumns(cols) => format!(
                "表头缺少必填列：{}。请在第一行补充这些列名（中文或英文均可）后重新上传",
                describe(cols)
            ),
            Self::DuplicateColumns(cols) => format!(
                "表头中以下列出现了不止一次：{}。请删除或合并重复的列后重新上传",
                describe(cols)
            ),
        }
    }

    /// One field error per missing or duplicated column (`field` is the
    /// English column name), for the `errors` of a problem response; empty for
    /// the other kinds.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let (cols, code, what) = match self {
            Self::MissingColumns(cols) => (cols, codes::REQUIRED, "缺少该列，请在表头补充"),
            Self::DuplicateColumns(cols) => {
                (cols, codes::DUPLICATE_COLUMN, "该列重复出现，请只保留一列")
            }
            _ => return Vec::new(),
        };
        cols.iter()
            .map(|c| FieldError::new(c.clone(), code, format!("{}：{what}", label_of(c))))
            .collect()
    }
}

fn describe(cols: &[String]) -> String {
    cols.iter()
        .map(|c| label_of(c))
        .collect::<Vec<_>>()
        .join("、")
}

impl fmt::Display for ImportFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ImportFileError {}
