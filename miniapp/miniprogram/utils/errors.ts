/**
 * THE table of error codes → what the user sees: what happened and what to do.
 * Every `code` the server can answer (SPEC §3–§5, OpenAPI `x-error-codes`)
 * must be here; test/errors.test.ts fails when one is missing.
 */
import { ApiError, LocalFileError, NetworkError } from '../api/api-error'

export const ERROR_MESSAGES: Record<string, string> = {
  // Malformed requests: a fault of this app, not of the user.
  BAD_REQUEST: '请求有误，请返回重试；如仍出现请联系技术支持',
  MALFORMED_JSON: '请求数据格式有误，请重试；如仍出现请联系技术支持',
  MALFORMED_BODY: '请求数据格式有误，请重试；如仍出现请联系技术支持',
  MALFORMED_MULTIPART: '照片上传不完整，请重新拍照上传',
  VALIDATION_FAILED: '填写的信息有误，请按提示修改后再提交',
  INVALID_PARAMETER: '查询条件有误，请修改后重试',
  UNSUPPORTED_CONTENT_TYPE: '上传的文件类型不支持，请使用 JPG 或 PNG 照片',
  BODY_TOO_LARGE: '提交的内容过大，请减少药品条目后重试',
  METHOD_NOT_ALLOWED: '该操作不被支持，请更新小程序后重试',
  NOT_FOUND: '内容不存在或无权查看，请返回刷新',
  // Field-level codes.
  REQUIRED: '有必填项未填写，请补全后再提交',
  INVALID_TYPE: '填写的内容格式不对，请检查后重试',
  INVALID_VALUE: '填写的内容不正确，请检查后重试',
  INVALID_LENGTH: '填写的内容长度不对，请检查后重试',
  INVALID_RANGE: '数值超出允许范围，请修改后重试',
  UNKNOWN_FIELD: '请求含有无法识别的内容，请更新小程序后重试',
  TOO_LONG: '内容过长，请精简后重试',
  TOO_MANY: '条目过多，请分开登记',
  NOT_ALLOWED: '不允许此操作',
  // Idempotency and conflicts.
  IDEMPOTENCY_KEY_REUSED: '此次提交的内容已变更，请重新提交一次（不会重复记录）',
  IDEMPOTENCY_IN_PROGRESS: '上一次提交仍在处理中，请稍候，系统会自动重试',
  CONFLICT: '数据已被他人修改，请刷新后重试',
  REFERENCE_INVALID: '引用的数据不存在，请刷新后重试',
  CONSTRAINT_VIOLATED: '数据与已有记录冲突，请检查后重试',
  VALUE_INVALID: '填写的内容不正确，请检查后重试',
  // Sign-in and permissions.
  UNAUTHORIZED: '登录已失效，请重新登录',
  FORBIDDEN: '您的账号无权进行此操作，如需权限请联系店长或区局',
  RATE_LIMITED: '操作太频繁，请稍等片刻再试',
  LOGIN_FAILED: '用户名或密码错误，请重新输入',
  LOGIN_LOCKED: '密码错误次数过多，账号已锁定 15 分钟，请稍后再试',
  ACCOUNT_DISABLED: '账号已停用，请联系店长或区局',
  PASSWORD_CHANGE_REQUIRED: '首次登录需修改密码，请先修改密码',
  PASSWORD_TOO_WEAK: '密码太简单，请使用更长、含字母和数字的密码',
  PASSWORD_MISMATCH: '原密码不正确，请重新输入',
  PASSWORD_REUSED: '新密码不能与旧密码相同，请换一个',
  WECHAT_CODE_INVALID: '微信登录凭证已失效，请重新点击登录',
  WECHAT_RATE_LIMITED: '微信登录太频繁，请稍等一分钟再试',
  WECHAT_ALREADY_BOUND: '此微信已绑定其他账号，请换用对应账号，或联系店长解绑',
  BIND_TOKEN_INVALID: '绑定已超时，请重新输入邀请码',
  INVITE_INVALID: '邀请码不正确或已过期，请核对后重输，或请店长重新生成',
  INVITE_NOT_ALLOWED: '该账号不通过微信登录，不能发放邀请码',
  WECHAT_LOGIN_NOT_ALLOWED: '该账号不能通过微信登录，请在电脑上用用户名和密码登录',
  METRICS_TOKEN_REQUIRED: '需要监控令牌',
  NOT_PHARMACY_MEMBER: '您不属于该药店，无法为其登记，请联系店长',
  BUYER_LOOKUP_FORBIDDEN: '只有区局和市局可以按身份证号查询',
  UNMASK_FORBIDDEN: '无权查看完整个人信息',
  // Dependencies: transient.
  UPSTREAM_UNAVAILABLE: '证件识别服务暂不可用，请稍后重试，或改用手工录入',
  DATABASE_UNAVAILABLE: '系统繁忙，请稍后重试',
  REDIS_UNAVAILABLE: '系统繁忙，请稍后重试',
  STORAGE_UNAVAILABLE: '照片存储暂不可用，请稍后重试',
  DEPENDENCY_UNAVAILABLE: '系统繁忙，请稍后重试',
  SITE_NOT_BUILT: '页面文件尚未部署，请联系运维人员',
  RETRY: '系统繁忙，请重试',
  INTERNAL: '系统出错，请稍后重试；如反复出现请联系技术支持',
  SERVER_BUSY: '服务器正忙，请稍等片刻再试',
  OCR_QUOTA_EXHAUSTED: '今日拍照识别次数已用完，请改用读卡器或手工录入',
  WECHAT_USER_BLOCKED: '该微信账号已被微信限制使用，请更换账号或联系管理员',
  WECHAT_MISCONFIGURED: '微信服务配置有误，已通知运维；请先改用读卡器或手工录入',
  // Organisations, departments, grants (the console's; the mini-program never meets them).
  ORGANISATION_NOT_FOUND: '机构不存在',
  ORGANISATION_EXISTS: '该统一社会信用代码的机构已存在',
  ORGANISATION_CYCLE: '不能把机构移到自身或其下级机构之下',
  SIGNATURE_INVALID: '请求签名无效或已过期',
  REQUEST_REPLAYED: '重复的请求（nonce 已使用）',
  APPROVAL_ITEM_NOT_FOUND: '审批事项不存在',
  APPROVAL_ITEM_CODE_TAKEN: '事项编码已被使用，请换一个编码',
  APPROVAL_ITEM_STALE: '事项已被他人修改，请刷新后在最新版本上修改',
  ITEM_DEFINITION_INVALID: '事项配置不完整或有误，请按提示修改',
  ACCEPTANCE_NUMBER_INVALID: '受理编号格式或校验位错误，请核对受理通知书',
  CALENDAR_YEAR_NOT_COVERED: '工作日历尚未收录该年度，请先添加该年度的节假日安排',
  ORGANISATION_KIND_INVALID: '只能新增监督所等机构',
  DIVISION_CODE_INVALID: '行政区划代码应为 6 位数字',
  DEPARTMENT_NOT_FOUND: '科室不存在',
  DEPARTMENT_EXISTS: '该机构已有同名科室',
  DEPARTMENT_INVALID: '只有审批人员属于科室',
  GRANT_NOT_FOUND: '授权不存在',
  GRANT_EXISTS: '该用户已有此项授权',
  GRANT_USER_INVALID: '只能授权给审批人员',
  APPROVAL_CASE_NOT_FOUND: '办件不存在，或不在您的办理范围内',
  APPROVAL_ITEM_RETIRED: '该事项已停止受理',
  PRE_REVIEW_FAILED: '申请未通过系统预审，请按提示补正后重新提交',
  MATERIAL_MISSING: '缺少必需的申请材料',
  MATERIAL_UNKNOWN: '事项不需要该材料',
  MATERIAL_TYPE_NOT_ALLOWED: '材料文件类型不符合要求',
  MATERIAL_TOO_LARGE: '材料文件超过大小上限',
  MATERIAL_DIGEST_MISMATCH: '材料文件在传输中损坏，请重新上传',
  MATERIAL_NOT_FOUND: '材料不存在',
  PLATFORM_CASE_CONFLICT: '该平台办件编号已用于另一份不同的申请',
  TASK_NOT_FOUND: '待办不存在，或已不是您的待办',
  TASK_ALREADY_DECIDED: '该待办已被处理（可能同事已先办理），请刷新待办列表',
  DECISION_NOT_ALLOWED: '当前环节不能作出该处理',
  OPINION_REQUIRED: '请填写审批意见',
  CASE_NOT_RETURNED: '办件不在补正状态',
  CASE_CLOSED: '办件已办结或已撤回',
  OTP_INVALID: '验证码错误或已过期，请重新获取',
  OTP_LOCKED: '验证码错误次数过多，请重新获取验证码',
  PHONE_MISSING: '账号未登记手机号，无法发送验证码，请联系管理员',
  UNREACHABLE: '服务暂时无法连接，请稍后重试',
  // Identifiers.
  ID_FORMAT: '身份证号格式不对（应为 18 位），请核对后重新输入或重新扫描',
  ID_REGION: '身份证号的地区码无效，请核对证件后重新输入',
  ID_BIRTH_DATE: '身份证号中的出生日期无效，请核对证件后重新输入',
  ID_CHECKSUM: '身份证号校验位不对，可能有一位输错，请逐位核对',
  ID_LEGACY_15: '不接受 15 位旧身份证号，请出示 18 位身份证',
  USCC_FORMAT: '统一社会信用代码格式不对（应为 18 位），请核对',
  USCC_CHECKSUM: '统一社会信用代码校验位不对，请逐位核对',
  BARCODE_INVALID: '条形码无效，请重新扫描药盒上的条形码',
  APPROVAL_NUMBER_INVALID: '批准文号格式不对（如 国药准字H12345678），请核对',
  NAME_INVALID: '姓名不正确，请按证件填写',
  PHONE_INVALID: '手机号不正确，请输入 11 位手机号',
  // Sale rules (SPEC §4.2).
  MINOR_NOT_ALLOWED: '购买人未满 18 周岁，不得销售此类药品',
  PURCHASE_LIMIT_EXCEEDED: '超过单次限购数量，请按页面提示减少数量或录入处方号',
  PRESCRIPTION_REQUIRED: '含处方药，请录入处方号后再提交',
  WINDOW_LIMIT_EXCEEDED: '该购买人近期在全市累计购买已达上限，本次不得销售',
  DRUG_NOT_FOUND: '药品不在目录中，请核对条形码；如确属特殊药品请联系区局补录',
  DRUG_INACTIVE: '该药品已停用，不得登记销售',
  PHARMACY_SUSPENDED: '本药店已停业，暂不能登记，请联系区局',
  BUYER_REQUIRED: '请先扫描或录入购买人证件',
  // Scans (SPEC §4.3).
  SCAN_TOKEN_INVALID: '证件扫描已过期（10 分钟有效），请重新扫描证件',
  OCR_UNREADABLE: '照片看不清证件，请放平证件、避免反光后重拍',
  IMAGE_INVALID: '照片格式不支持，请重新拍照（JPG 或 PNG）',
  IMAGE_TOO_LARGE: '照片太大（证件照最大 4 MB，检查照片最大 10 MB，不超过 4000 万像素），请降低分辨率后重新拍照',
  EXPORT_TOO_LARGE: '导出的记录过多，请缩小日期范围或改用 CSV 格式',
  // Records and staff.
  REGISTRATION_NOT_FOUND: '登记记录不存在或无权查看，请返回刷新',
  STAFF_NOT_FOUND: '店员不存在，请刷新列表',
  STAFF_ALREADY_BOUND: '该店员已绑定微信，无需邀请码',
  CANNOT_REMOVE_SELF: '不能移除自己',
  CANNOT_REMOVE_MANAGER: '不能移除店长，请联系区局',
  USER_NOT_FOUND: '用户不存在，请刷新后重试',
  USER_INVALID: '用户信息不正确，请检查后重试',
  USERNAME_INVALID: '用户名格式不对，请使用字母、数字',
  USERNAME_TAKEN: '用户名已被使用，请换一个',
  CANNOT_DEACTIVATE_SELF: '不能停用自己的账号',
  NO_PASSWORD_SIGN_IN: '此账号不能用密码登录，请用微信登录',
  // Pharmacies and inspections.
  PHARMACY_NOT_FOUND: '药店不存在或不在您的辖区',
  PHARMACY_EXISTS: '药店已存在，请勿重复添加',
  FINDINGS_REQUIRED: '请填写检查发现的问题',
  DISPOSITION_INCONSISTENT: '处理结果与检查结论不一致，请检查后重填',
  INSPECTED_AT_INVALID: '检查时间不正确（不能晚于现在），请修改',
  PHOTO_INVALID: '照片格式不支持，请重新拍照',
  PHOTO_NOT_FOUND: '照片不存在，请重新上传',
  ALERT_NOT_FOUND: '预警不存在或不在您的辖区，请刷新',
  ALERT_ALREADY_RESOLVED: '该预警已被处理，请刷新列表',
  // Imports (admin).
  FILE_TOO_LARGE: '文件太大，请拆分后再上传',
  IMPORT_FILE_INVALID: '文件无法读取，请使用 xlsx 或 csv 格式',
  IMPORT_FILE_EMPTY: '文件没有数据行',
  IMPORT_ENCODING: '文件编码无法识别，请另存为 UTF-8 的 csv 或 xlsx',
  IMPORT_TOO_MANY_ROWS: '行数过多，请拆分文件后上传',
  IMPORT_MISSING_COLUMNS: '缺少必需的列，请按模板补齐表头',
  IMPORT_DUPLICATE_COLUMNS: '表头有重复的列，请删除重复列',
  DUPLICATE_IN_FILE: '文件中有重复的行，请删除重复行',
  DUPLICATE_COLUMN: '表头有重复的列，请删除重复列',
  DISTRICT_INVALID: '区划代码不正确（应为 6 位数字）',
  DISTRICT_UNKNOWN: '区划不存在，请核对区划代码或区名',
  STATUS_INVALID: '状态不正确（应为 正常 或 停业）',
  CATEGORY_INVALID: '特殊药品类别不正确，请按模板填写',
  BOOL_INVALID: '应填“是”或“否”',
  MAX_PER_PURCHASE_INVALID: '每次限购应为正整数',
}

/** When the code is unknown (a newer server), the status still says what to do. */
const BY_STATUS: Record<number, string> = {
  400: '请求有误，请重试',
  401: '登录已失效，请重新登录',
  403: '无权进行此操作',
  404: '内容不存在或无权查看',
  408: '请求超时，请重试',
  409: '数据冲突，请刷新后重试',
  413: '提交的内容过大',
  422: '不符合业务规则，无法办理',
  429: '操作太频繁，请稍后再试',
}

export const NETWORK_MESSAGE = '网络不通，请检查网络后重试'

/** The sentence to show for any failure. */
export function messageFor(err: unknown): string {
  if (err instanceof NetworkError) return err.timeout ? '网络超时，请稍后重试' : NETWORK_MESSAGE
  if (err instanceof LocalFileError) return '照片文件已不在手机上，请删除该照片后重新拍照'
  if (err instanceof ApiError) {
    // A refused request names the field at fault: its code says more than
    // VALIDATION_FAILED (e.g. BUYER_REQUIRED on scan_token).
    const field = err.fields.length === 1 ? ERROR_MESSAGES[err.fields[0].code] : undefined
    if (err.code === 'VALIDATION_FAILED' && field) return field
    const known = ERROR_MESSAGES[err.code]
    if (known) return known
    if (err.title) return err.title
    return BY_STATUS[err.status] || (err.status >= 500 ? '系统繁忙，请稍后重试' : '操作失败，请重试')
  }
  return '操作失败，请重试'
}

/** Field errors as `{ field: message }` for forms; the server's message is already Chinese. */
export function fieldMessages(err: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (err instanceof ApiError) {
    for (const f of err.fields) out[f.field] = f.message || ERROR_MESSAGES[f.code] || ''
  }
  return out
}
